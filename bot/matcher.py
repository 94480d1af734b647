"""Fuzzy matching of a question to the knowledge base's topics.

A question is reduced to topic words (see `vocabulary`), each word is mapped to
a known word exactly, by stem, or by a small edit distance (typos), and every
entry sharing a word is scored on two things:

* phrase cover: how much of its best phrase the question contains, weighted by
  how rare each word is in the knowledge base (IDF), so "churn" counts for more
  than "plan";
* question cover: how much of the question the entry explains. Words the
  knowledge base has never seen ("dress code", "elevator") count heavily
  against, which is what keeps "what's the dress code for the product launch
  party?" from being answered as a product launch.

The index is built once; answering touches only entries that share a word.
"""

from __future__ import annotations

import math
from array import array
from bisect import insort
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .knowledge import Entry, KnowledgeBase
from .normalize import is_number, stem, words
from .vocabulary import EVERYDAY, JOB_TITLES, LIGHT_VERBS, PARTICLES, ROLE_PRODUCT, ROLE_PROJECT, STOP_STEMS, STOPWORDS

STOP_WEIGHT = 0.15
"""Weight of a question word inside a phrase ("product" in "product owner")."""
UNSEEN_WEIGHT = 8.0
"""Weight of a question word the knowledge base has never seen: strong evidence of an off-topic question."""
EVERYDAY_EXTRA = 2.0
"""An everyday word the topic does not use ("anniversary", "basement") counts this many unseen words more against it:
one domain word in a message about a gift or a flood is a coincidence, not a question about the topic. Measured on the
labelled sets (tuned on), 2 gained one question and lost none; 1 let "who is handling the risk of flooding in the
basement?" through, 3 lost one."""
ELSEWHERE_FACTOR = 0.3
"""A known word the entry does not use counts for this share of its weight against the entry."""
QUESTION_COVER_FLOOR = 0.4
"""Part of the score owed to the phrase alone, however much else the question says."""
RANK_REACH = QUESTION_COVER_FLOOR ** (2 / 3)
"""A score lies between QUESTION_COVER_FLOOR * cover ** 1.5 and cover ** 1.5, so an entry whose cover is below this
share of the top entries' covers can never outscore them: its phrases need not be looked at closely."""
HOPEFUL_COVER = 0.75
"""Phrases that could cover this much are scored first, to learn how good the top entries are."""
MIN_COVER = 0.2
"""Below this cover a phrase scores under 0.09, far below any threshold, close call or suggestion: not looked at."""
LIGHT_FACTOR = 0.3
"""Share of a topic word's weight that a doing-verb ("write", "run") carries."""
COMMON_POSTINGS = 400
"""A word in more phrases than this is 'common': only reached through rarer words or phrases of common words. The
shipped knowledge base has none (its commonest word, "plan", is in 260 phrases); at 50,000 entries, 400 rather than
1,000 took the p99 from 6.1 to 4.0 ms (min of 3) with the same answers on 1,421 sampled questions."""
FOUND_SCAN_COST = 8
"""Looking into a found phrase's words costs about this many steps of walking a postings list (measured)."""
FUZZY_MIN_LENGTH = 5
"""Shorter words are not corrected: one letter changes their meaning too easily."""
MAX_TOPIC_WORDS = 16
MAX_WORDS_READ = 80
"""Words read at all per question: enough for any real question's framing and topic, and a cap on the work."""
"""Topic words looked at per question; a pasted essay is judged on its start, and costs no more."""
SCATTERED_FACTOR = 0.93
"""A phrase whose words are all there but not together ("problem ... solving") is weaker evidence."""
CONTEXT_FACTOR = 0.35
"""Weight of a known word that only sets the scene ("the kickoff *for the payroll system rollout*"): the task the
question asks about decides the topic, its context only breaks ties."""
CONTEXT_PREPOSITIONS = frozenset("for in after at during before from on across within with since because when while "
                                 "ahead around amid".split())
"""After the task has been named, these start its context: "who updates the roadmap *after the board meeting*"."""
QUESTION_WORDS = frozenset("who whose whos which".split())
MAX_PHRASE_WORDS = 8
"""The longest run of a question's words looked up as a phrase."""
_CLAUSE_BREAKS = frozenset("and or but if so then".split())
"""Context ends where the sentence moves on: "... for the rollout, and who ..." or "... for if I want ..."."""


class _Phrase(NamedTuple):
    """One indexed phrase. A named tuple, not a dataclass: the index holds one per phrase, and tuples pickle and
    load from the index cache several times faster (a 20,000-entry team folder: 0.09 s against 0.41 s).

    It holds only what cannot be looked up elsewhere: word weights come from `idf`, and the phrase's total weight
    lives in the matcher's flat arrays. At 50,000 entries (325,000 phrases) every field here costs megabytes."""

    entry: int
    content: tuple[str, ...]
    stops: tuple[str, ...]
    seq: str
    """All the phrase's stems in order, padded with spaces, to test whether the question has it verbatim."""


class _NearWords(NamedTuple):
    """The known words a typo search of one length looks at, with bit masks over them (bit i: `words[i]`) that
    rule most of them out before any edit distance is worked out, without ever ruling out a word within reach."""

    words: list[str]
    lacking: dict[str, int]
    """Per letter: the words without it."""
    at_most: list[int]
    """at_most[n]: the words with at most n distinct letters (the last item: all of them)."""


@dataclass
class Analysis:
    """What the matcher made of a question: topic words known, fuzzy, and unseen."""

    tokens: list[str]
    seq: str = ""
    """The question's stems in order, typos replaced by the word they meant, padded with spaces."""
    known: dict[str, float] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    """Where each (canonical) word first occurs, to tell a phrase said together from words scattered about."""
    slots: list[dict[str, float]] = field(default_factory=list)
    """One per topic word of the question: the known words it may stand for, with similarity."""
    unseen: list[str] = field(default_factory=list)
    everyday: int = 0
    """How many unseen words are everyday ones (birthday, lunch): they count double against any topic."""
    stops: set[str] = field(default_factory=set)
    factor: dict[str, float] = field(default_factory=dict)
    """Known words that are only context, with the share of their weight they keep (see CONTEXT_FACTOR)."""


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    phrase_cover: float
    question_cover: float


class Matcher:
    """An index over the knowledge base's phrases, built once at start-up."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        tokenised = [[_tokens(phrase) for phrase in entry.phrases] for entry in kb.entries]
        self._alias = _misspelling_aliases(tokenised)
        entry_df: dict[str, int] = {}
        parsed: list[tuple[int, list[str], list[str], list[str]]] = []
        self._entry_vocab: list[tuple[str, ...]] = []
        surface: dict[str, str] = {}
        for index, phrases in enumerate(tokenised):
            vocab: set[str] = set()
            for raw, stems in phrases:
                tokens = [self._alias.get(t, t) for t in stems]
                content = [t for t in tokens if t not in STOP_STEMS and not is_number(t)]
                stops = [t for t in tokens if t in STOP_STEMS]
                parsed.append((index, tokens, content, stops))
                vocab.update(content)
                for word, token in zip(raw, tokens):
                    if token not in STOP_STEMS and len(word) >= 4:
                        surface.setdefault(word, token)
                        surface.setdefault(token, token)
            self._entry_vocab.append(tuple(sorted(vocab)))  # a tuple: a few words, and a fifth of a set's memory
            for token in vocab:
                entry_df[token] = entry_df.get(token, 0) + 1
        count = max(len(kb.entries), 1)
        self.idf: dict[str, float] = {
            t: math.log(1 + count / df) * (LIGHT_FACTOR if t in LIGHT_STEMS else 1.0) for t, df in entry_df.items()
        }
        self._phrases: list[_Phrase] = []
        self._inv_total = array("d")
        """Per phrase: 1 / (its words' weight + its framing words' weight), so a cover is one multiplication."""
        self._stop_share = array("d")
        """Per phrase: the share of its weight its framing words carry (the most a question's framing adds)."""
        postings: dict[str, list[int]] = {}
        stop_postings: dict[str, list[int]] = {}
        for index, tokens, content, stops in parsed:
            content = list(dict.fromkeys(content))  # a word said twice in a phrase counts once
            stop_total = sum(_stop_weight(t) for t in stops)
            total = sum(self.idf[t] for t in content) + stop_total
            pid = len(self._phrases)
            self._phrases.append(_Phrase(index, tuple(content), tuple(stops), f" {' '.join(tokens)} "))
            self._inv_total.append(1 / total if total else 0.0)
            self._stop_share.append(stop_total / total if total else 0.0)
            for token in set(content):
                postings.setdefault(token, []).append(pid)
            if not content:
                for token in set(stops):
                    stop_postings.setdefault(token, []).append(pid)
        # Flat arrays of phrase numbers: a list of Python ints costs nine times the memory once reloaded.
        self._postings: dict[str, array[int]] = {t: array("I", pids) for t, pids in postings.items()}
        self._stop_postings: dict[str, array[int]] = {t: array("I", pids) for t, pids in stop_postings.items()}
        self._common = {t for t, pids in self._postings.items() if len(pids) > COMMON_POSTINGS}
        self._common_postings = self._common_only_postings()
        self._index = {entry.id: i for i, entry in enumerate(kb.entries)}
        self._phrase_texts = frozenset(p.seq for p in self._phrases if p.content)
        """The phrases' own padded strings (shared with them, not copies): is a run of words a whole phrase?"""
        self._surface_words = list(surface)
        self._surface = surface
        self._surface_near: dict[int, _NearWords] = {}
        """For each length of typed word, the known words a typo search looks at, in their usual order: a word
        within `allowed` edits of another is within as many letters of its length, so most words are never compared."""
        for length in range(FUZZY_MIN_LENGTH, max(map(len, self._surface_words), default=0) + 3):
            allowed = _allowed_edits(length)
            self._surface_near[length] = _near_words([w for w in self._surface_words if abs(len(w) - length) <= allowed])
        self._fuzzy = lru_cache(maxsize=50_000)(self._fuzzy_uncached)

    def _common_only_postings(self) -> dict[str, array[int]]:
        """Phrases made only of common words, under each pair of their words ("roadmap budget" under "budget
        roadmap"), or under the word itself for a one-word phrase: a question reaches them through two of their
        words, never through one very common word alone (which would touch tens of thousands of phrases)."""
        found: dict[str, list[int]] = {}
        for pid, phrase in enumerate(self._phrases):
            if not phrase.content or not all(w in self._common for w in phrase.content):
                continue
            content = sorted(phrase.content)
            keys = content if len(content) == 1 else [f"{a} {b}" for i, a in enumerate(content) for b in content[i + 1:]]
            for key in keys:
                found.setdefault(key, []).append(pid)
        return {key: array("I", pids) for key, pids in found.items()}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_fuzzy"]  # a per-process cache of typo lookups; rebuilt empty
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._fuzzy = lru_cache(maxsize=50_000)(self._fuzzy_uncached)

    # -- question analysis -------------------------------------------------

    def analyse(self, text: str, *, tokens: list[str] | None = None) -> Analysis:
        """Map the question's words to known stems, fuzzily where needed (pass `tokens` if already split)."""
        raw = (words(text) if tokens is None else tokens)[:MAX_WORDS_READ]
        tokens = [self._alias.get(t, t) for t in map(stem, raw)]
        result = Analysis(tokens=tokens)
        scaffolding = names_both_roles(tokens)
        context = self._context_words(raw, tokens)
        canonical = []
        task_words: set[str] = set()
        for i, (word, token) in enumerate(zip(raw, tokens)):
            if len(result.slots) >= MAX_TOPIC_WORDS:
                break
            canonical.append(token)
            if token in STOP_STEMS:
                if not (scaffolding and token in ROLE_WORDS):
                    result.stops.add(token)
                continue
            if is_number(token) or not word.isalnum():
                continue
            if token in self.idf:
                result.slots.append({token: 1.0})
                if context[i]:
                    result.factor.setdefault(token, CONTEXT_FACTOR)
                else:
                    task_words.add(token)
                continue
            joined = self._joined(raw, i)
            if joined:
                result.slots.append({joined: 1.0})
                canonical[-1] = joined
                continue
            if self._misspelt_framing(word):
                continue  # "managment", "projet": a typo of a framing word is still framing
            # An everyday word spelt right is not a typo of a topic word ("flooding" is not "food").
            guess = None if token in EVERYDAY_STEMS else self._fuzzy(word)
            if guess:
                result.slots.append({guess[0]: guess[1]})
                canonical[-1] = guess[0]
            elif len(word) > 2 and not (i > 0 and self._joined(raw, i - 1)):
                result.slots.append({})  # too short to tell anything ("x", "ai") is left out
                result.unseen.append(token)
                result.everyday += token in EVERYDAY_STEMS
        for token in task_words:
            result.factor.pop(token, None)  # named as the task somewhere: it counts in full
        for slot in result.slots:
            for token, sim in slot.items():
                result.known[token] = max(result.known.get(token, 0.0), sim)
        result.seq = f" {' '.join(canonical)} "
        for position, token in enumerate(canonical):
            result.positions.setdefault(token, position)
        return result

    def _context_words(self, raw: list[str], tokens: list[str]) -> list[bool]:
        """Which words only set the scene: what follows a context preposition once a whole topic has been named
        ("who runs the kickoff *for the payroll system rollout*"), up to where the sentence moves on.

        A lead-in before "who ..." is left alone: in "two devs are double-booked, who re-levels the schedule?"
        it carries the meaning, and measured on the labelled sets, discounting it cost more than it won."""
        context = [False] * len(raw)
        strong = [t in self.idf and t not in STOP_STEMS and t not in LIGHT_STEMS for t in tokens]
        opener = max((i for i, w in enumerate(raw) if w in QUESTION_WORDS), default=-1)
        start = max(opener, 0)
        for i in range(start + 1, len(raw)):
            if raw[i] in CONTEXT_PREPOSITIONS and any(strong[start:i]) and self._names_topic(tokens[start:i]):
                end = next((j for j in range(i + 1, len(raw)) if raw[j] in _CLAUSE_BREAKS), len(raw))
                context[i:end] = [True] * (end - i)
                break
        return context

    def _names_topic(self, tokens: list[str]) -> bool:
        """Whether these words hold one of the knowledge base's phrases whole, as written: each short run of
        them is looked up in the set of all phrases, so the cost is a few dozen lookups whatever the KB's size."""
        last = len(tokens)
        return any(f" {' '.join(tokens[i:j])} " in self._phrase_texts
                   for i in range(last) for j in range(i + 1, min(last, i + MAX_PHRASE_WORDS) + 1))

    def _joined(self, raw: list[str], i: int) -> str | None:
        """'kick off' and 'road map' are the same words as 'kickoff' and 'roadmap'."""
        if i + 1 >= len(raw):
            return None
        token = stem(raw[i] + raw[i + 1])
        return token if token in self.idf else None

    @staticmethod
    @lru_cache(maxsize=20_000)
    def _misspelt_framing(word: str) -> bool:
        if len(word) < 6 or not word.isalpha():
            return False
        found = process.extractOne(word, _LONG_FRAMING, scorer=OSA.distance, score_cutoff=_allowed_edits(len(word)))
        return found is not None

    def _fuzzy_uncached(self, word: str) -> tuple[str, float] | None:
        """The closest known word within one edit (two for long words), or None."""
        if len(word) < FUZZY_MIN_LENGTH or not word.isalpha():
            return None
        allowed = _allowed_edits(len(word))
        own = stem(word)
        near = self._surface_near.get(len(word))
        if near is None:
            return None
        found = process.extract(word, _typo_candidates(near, word, allowed), scorer=OSA.distance,
                                score_cutoff=allowed, limit=4)
        for surface, distance, _ in found:
            token = self._surface[surface]
            if token == own or not _plausible_typo(word, surface) or _one_letter_longer(own, token):
                continue
            return token, 1.0 - 0.12 * distance
        return None

    # -- scoring -----------------------------------------------------------

    def candidates(self, text: str, limit: int = 5, *, tokens: list[str] | None = None) -> tuple[Analysis, list[Candidate]]:
        """The best-scoring entries for a question, best first, at most one per entry.

        Work grows with the postings of the question's words, not with the size
        of the knowledge base: phrase cover is accumulated word by word, and an
        entry's question cover is only worked out while it could still make the
        top `limit` (a score never exceeds cover ** 1.5).
        """
        query = self.analyse(text, tokens=tokens)
        covers = self._phrase_covers(query, limit)
        penalties = [self._slot_penalty(slot) for slot in query.slots]
        penalty = sum(penalties) + EVERYDAY_EXTRA * UNSEEN_WEIGHT * query.everyday
        weighted = [(t, self.idf[t] * sim * query.factor.get(t, 1.0), p)
                    for slot, p in zip(query.slots, penalties) for t, sim in slot.items()]
        # No entry explains more of the question than all of its known words: the words nothing knows (and everyday
        # ones) cap every entry's question cover, and so how far down the covers a candidate can still come from.
        reach = QUESTION_COVER_FLOOR + (1 - QUESTION_COVER_FLOOR) * self._question_cover(
            [(w, p) for _, w, p in weighted], penalty)
        ranked = sorted(covers.items(), key=itemgetter(1), reverse=True)  # stable: ties keep their order
        return query, self._top(ranked, limit, reach, weighted, penalty)

    def _top(self, ranked: list[tuple[int, float]], limit: int, reach: float,
             weighted: list[tuple[str, float, float]], penalty: float) -> list[Candidate]:
        """The best `limit` of these entries (best cover first) by (score, cover, id), looking at each only while
        it could still rank. Kept as plain tuples (rank key, then a count that keeps equal keys in arrival order),
        so that most entries cost a comparison of two floats; the candidates are made for the winners alone."""
        terms = [t for t, _, _ in weighted]
        covers_of: dict[tuple[bool, ...], float] = {}  # entries explaining the same words share a question cover
        vocabs, entries = self._entry_vocab, self.kb.entries
        top: list[tuple[float, float, str, int, int, float]] = []
        bar = -math.inf  # the worst score kept, once `limit` are kept
        for seen, (index, cover) in enumerate(ranked):
            lift = cover ** 1.5
            if lift * reach < bar:
                break
            vocab = vocabs[index]
            explains = tuple([t in vocab for t in terms])
            question = covers_of.get(explains)
            if question is None:
                question = covers_of[explains] = self._question_cover(
                    [(w, p) for (_, w, p), hit in zip(weighted, explains) if hit], penalty)
            score = lift * (QUESTION_COVER_FLOOR + (1 - QUESTION_COVER_FLOOR) * question)
            if score < bar:
                continue  # would rank below the top `limit`
            key = (-score, -cover, entries[index].id, seen, index, question)
            if len(top) >= limit and key >= top[-1]:
                continue
            insort(top, key)
            del top[limit:]
            if len(top) >= limit:
                bar = -top[-1][0]
        return [Candidate(entries[index], -score, -cover, question) for score, cover, _, _, index, question in top]

    def reads_other_words(self, entry: Entry, than: Entry, query: Analysis) -> bool:
        """Whether this entry explains a question word that `than` does not: another reading of the question, not a
        weaker match of the same words ("planning" against "the release plan")."""
        theirs = self._entry_vocab[self._index[than.id]]
        return any(t in query.known and t not in theirs for t in self._entry_vocab[self._index[entry.id]])

    def only_verbs(self, entry: Entry, query: Analysis) -> bool:
        """Whether the question shares nothing with this entry but doing-verbs ("write", "run")."""
        shared = self._shared(entry, query)
        return bool(shared) and all(t in LIGHT_STEMS for t in shared)

    def only_titles(self, entry: Entry, query: Analysis) -> bool:
        """Whether the question shares nothing with this entry but job-title and role words: "my VP asked our
        product manager 'are we on budget?'" read as the VP career path names who asks, not the task."""
        shared = self._shared(entry, query)
        return bool(shared) and all(t in TITLE_STEMS for t in shared)

    def reads_task_words(self, entry: Entry, query: Analysis) -> bool:
        """Whether this entry explains a question word that is neither a job title, a framing word nor a doing-verb."""
        return any(t not in TITLE_STEMS and t not in STOP_STEMS and t not in LIGHT_STEMS for t in self._shared(entry, query))

    def _shared(self, entry: Entry, query: Analysis) -> list[str]:
        return [t for t in self._entry_vocab[self._index[entry.id]] if t in query.known]

    def _phrase_covers(self, query: Analysis, limit: int) -> dict[int, float]:
        """The best phrase cover of each entry that could still rank in the top `limit`.

        Every phrase sharing a word gets a cheap upper bound first (its matched weight, plus all its framing words);
        exact covers, with their word-order checks, are worked out for the most hopeful phrases, and then only for
        phrases whose bound can still reach the top `limit` (see RANK_REACH). In a large knowledge base most phrases
        share one word with a question and never could.
        """
        full, discount = self._matched_weight(query)
        best: dict[int, float] = {}
        for pid in self._stop_only_phrases(query):
            best[self._phrases[pid].entry] = 1.0
        inv, share = self._inv_total, self._stop_share
        bounded = [(weight * inv[pid] + share[pid], pid, weight) for pid, weight in full.items() if pid not in discount]
        if discount:
            # Phrases with context words: at most their full weight when they also matched a word of the task (said
            # as written, their context words then count in full), else only their discounted context words.
            keep = 1 - CONTEXT_FACTOR
            for pid, off in discount.items():
                weight = full[pid]
                reach = weight if weight - off / keep > 1e-9 else weight - off
                bounded.append((reach * inv[pid] + share[pid], pid, weight - off))
        self._exact_covers([b for b in bounded if b[0] >= HOPEFUL_COVER], query, best)
        floor = MIN_COVER
        if len(best) >= limit:
            floor = max(floor, RANK_REACH * sorted(best.values(), reverse=True)[limit - 1])
        self._exact_covers([b for b in bounded if floor <= b[0] < HOPEFUL_COVER], query, best)
        return best

    def _matched_weight(self, query: Analysis) -> tuple[dict[int, float], dict[int, float]]:
        """Per phrase sharing a question word: the full weight of the question words it contains, and how much of
        it is discounted as context (a phrase said whole across task and context gets it back, so bounds use the full).

        Words in very many phrases ("roadmap" in a huge knowledge base) are not
        walked through in full: they are added to phrases a rarer question word
        already found, and otherwise reach only phrases made of such common words
        that the question has two words of (see `_common_only_postings`).
        """
        full: dict[int, float] = {}
        discount: dict[int, float] = {}
        common = []
        for token, sim in query.known.items():
            weight = self.idf[token] * sim
            off = weight * (1.0 - query.factor.get(token, 1.0))
            if token in self._common:
                common.append((token, weight, off))
                continue
            postings = self._postings.get(token, ())
            for pid in postings:
                full[pid] = full.get(pid, 0.0) + weight
            if off:
                for pid in postings:
                    discount[pid] = discount.get(pid, 0.0) + off
        if common and full:
            self._add_common_to_found(common, full, discount)
        if common:
            self._add_common_only(common, full, discount)
        return full, discount

    def _add_common_to_found(self, common: list[tuple[str, float, float]], full: dict[int, float],
                             discount: dict[int, float]) -> None:
        """Add the common words' weight to the phrases rarer words found: by looking at those phrases' words when
        they are few, else by walking the common word's postings (whichever touches fewer phrases)."""
        found = list(full)
        for token, weight, off in common:
            postings = self._postings[token]
            if len(found) * FOUND_SCAN_COST < len(postings):
                hits = [pid for pid in found if token in self._phrases[pid].content]
            else:
                hits = [pid for pid in postings if pid in full]
            for pid in hits:
                full[pid] += weight
                if off:
                    discount[pid] = discount.get(pid, 0.0) + off

    def _add_common_only(self, common: list[tuple[str, float, float]], full: dict[int, float],
                         discount: dict[int, float]) -> None:
        """Phrases made only of common words that the question has at least two words of (or all of)."""
        for token, weight, off in common:  # one-word phrases: the word's own weight
            for pid in self._common_postings.get(token, ()):
                full[pid] = weight
                if off:
                    discount[pid] = off
        tokens = sorted(t for t, _, _ in common)
        pairs = [f"{a} {b}" for i, a in enumerate(tokens) for b in tokens[i + 1:]]
        reached = {pid for key in pairs for pid in self._common_postings.get(key, ())}
        for pid in reached:
            content = self._phrases[pid].content
            weight = off = 0.0
            for token, token_weight, token_off in common:  # a plain loop: two or three words, for many phrases
                if token in content:
                    weight += token_weight
                    off += token_off
            full[pid] = weight
            if off:
                discount[pid] = off

    def _exact_covers(self, bounded: list[tuple[float, int, float]], query: Analysis, best: dict[int, float]) -> None:
        """Raise each entry's best cover in `best` with these phrases' exact covers (`content`: the weight matched,
        context discounted)."""
        phrases, inv_total, share, idf = self._phrases, self._inv_total, self._stop_share, self.idf
        stops = {t: _stop_weight(t) for t in query.stops}
        factor, known, said = query.factor, query.known, query.seq
        best_of = best.get
        for _, pid, content in bounded:  # locals and one unpacking: this runs for hundreds of phrases a question
            phrase = phrases[pid]
            entry, words_in, framing, seq = phrase
            inv = inv_total[pid]
            so_far = best_of(entry, 0.0)
            if content * inv + share[pid] <= so_far:
                continue  # even with every framing word present it can't beat this entry's best phrase
            if factor and seq in said and not all(t in factor for t in words_in):
                # said as written across the task and its context ("return on investment"): one topic, in full
                content = sum([idf[t] for t in words_in if t in known])
            if framing:
                content += sum([stops.get(t, 0.0) for t in framing])
            cover = content * inv
            if cover <= so_far:
                continue  # scattering only lowers a cover: no need to look at word positions
            if len(words_in) + len(framing) > 1 and not _together(phrase, query):
                cover *= SCATTERED_FACTOR
            if cover > so_far:
                best[entry] = cover

    def _slot_penalty(self, slot: dict[str, float]) -> float:
        """What a question word counts against an entry that does not explain it."""
        if not slot:
            return UNSEEN_WEIGHT
        if any(t in EVERYDAY_STEMS for t in slot):
            return 2 * UNSEEN_WEIGHT
        if all(t in LIGHT_STEMS for t in slot):
            return 0.0  # "who writes the plan?": the doing-verb says nothing against the plan
        return max(self.idf[t] * sim for t, sim in slot.items()) * ELSEWHERE_FACTOR

    @staticmethod
    def _question_cover(explained: list[tuple[float, float]] | None, penalty: float) -> float:
        if not explained:
            return 1.0 if penalty == 0 else 0.0
        weight = sum(w for w, _ in explained)
        other = penalty - sum(p for _, p in explained)
        total = weight + other
        return weight / total if total else 1.0

    def _stop_only_phrases(self, query: Analysis) -> list[int]:
        """Phrases made only of framing words ("product owner") must appear as written."""
        if not query.stops:
            return []
        found = []
        seen: set[int] = set()
        for token in query.stops:
            for pid in self._stop_postings.get(token, ()):
                if pid in seen:
                    continue
                seen.add(pid)
                if self._phrases[pid].seq in query.seq:
                    found.append(pid)
        return found


def _stop_weight(token: str) -> float:
    return 1.0 if token in PARTICLES else STOP_WEIGHT


LIGHT_STEMS = frozenset(stem(w) for w in LIGHT_VERBS)
_LONG_FRAMING = sorted(w for w in STOPWORDS if len(w) >= 6)
EVERYDAY_STEMS = frozenset(stem(w) for w in EVERYDAY)
ROLE_WORDS = frozenset(stem(w) for w in ROLE_PRODUCT | ROLE_PROJECT) | ROLE_PRODUCT | ROLE_PROJECT
TITLE_STEMS = ROLE_WORDS | JOB_TITLES | frozenset(stem(w) for w in JOB_TITLES)


def names_both_roles(tokens: list[str]) -> bool:
    """"Product or project?" frames the question; then neither word is evidence for a topic."""
    return any(t in ROLE_PRODUCT for t in tokens) and any(t in ROLE_PROJECT for t in tokens)


def _tokens(phrase: str) -> tuple[list[str], list[str]]:
    raw = words(phrase)
    return raw, [stem(w) for w in raw]


def _misspelling_aliases(tokenised: list[list[tuple[list[str], list[str]]]]) -> dict[str, str]:
    """Spot misspellings the knowledge base lists on purpose ("progam manager" beside "program manager").

    Two phrases of one entry that differ in one word, where the two words are a
    typo apart, name the same thing: the rarer spelling becomes an alias of the
    commoner, so a question with the typo matches everything the real word does.
    """
    frequency: dict[str, int] = {}
    for phrases in tokenised:
        for _, stems in phrases:
            for token in set(stems):
                frequency[token] = frequency.get(token, 0) + 1
    alias: dict[str, str] = {}
    for phrases in tokenised:
        slots: dict[tuple[str, ...], set[str]] = {}
        for _, stems in phrases:
            for i, token in enumerate(stems):
                if len(token) >= 4 and token not in STOP_STEMS:
                    slots.setdefault(tuple(stems[:i]) + ("*",) + tuple(stems[i + 1:]), set()).add(token)
        for variants in slots.values():
            if len(variants) < 2:
                continue
            ranked = sorted(variants, key=lambda t: (-frequency[t], t))
            for rare in ranked[1:]:
                if frequency[rare] > 1:
                    continue  # a typo is listed once; a word used twice is a word
                common = next((c for c in ranked if c != rare and _typo_apart(rare, c)), None)
                if common and common not in alias:
                    alias.setdefault(rare, common)
    return alias


def _typo_apart(a: str, b: str) -> bool:
    """One slip of the keyboard (two in long words); short words only by swapped letters."""
    if len(a) <= 5 and len(a) == len(b):
        return sorted(a) == sorted(b) and OSA.distance(a, b) == 1
    return OSA.distance(a, b) <= (1 if len(a) < 9 else 2)


def _together(phrase: _Phrase, query: Analysis) -> bool:
    """All the phrase's words within a short stretch of the question, in any order ("interview customers")."""
    positions = query.positions
    low, high, count = 1 << 30, -1, 0
    for token in phrase.content:  # a plain loop, no min/max calls: this runs for most candidate phrases
        at = positions.get(token)
        if at is None:
            return False
        if at < low:
            low = at
        if at > high:
            high = at
        count += 1
    for token in phrase.stops:
        at = positions.get(token)
        if at is not None:
            if at < low:
                low = at
            if at > high:
                high = at
            count += 1
    return count == 0 or high - low <= count


def _near_words(words: list[str]) -> _NearWords:
    lacking: dict[str, int] = {}
    counts = [len(set(w)) for w in words]
    exactly = [0] * (max(counts, default=0) + 1)
    everything = (1 << len(words)) - 1
    for letter in sorted({c for w in words for c in w}):
        lacking[letter] = int("".join("0" if letter in w else "1" for w in reversed(words)), 2)
    for i, count in enumerate(counts):
        exactly[count] |= 1 << i
    at_most = [0] * len(exactly)
    for n, group in enumerate(exactly):
        at_most[n] = group | (at_most[n - 1] if n else 0)
    at_most[-1] = everything
    return _NearWords(words, lacking, at_most)


def _typo_candidates(near: _NearWords, word: str, allowed: int) -> list[str]:
    """The words of `near` (in order) that could be within `allowed` edits of `word`: an edit brings in at most
    one letter and takes away at most one, so a word lacking more than `allowed` of the typed word's distinct
    letters, or holding more than `allowed` letters it lacks, is out of reach. With `shared` letters in common,
    n typed and u own distinct letters, both counts are n - shared and u - shared: only the first is counted."""
    letters = set(word)
    everything = near.at_most[-1]
    lack1 = lack2 = lack3 = 0  # the words lacking at least 1, 2, 3 of the typed word's letters
    for letter in letters:
        lack = near.lacking.get(letter, everything)
        lack3 |= lack2 & lack
        lack2 |= lack1 & lack
        lack1 |= lack
    too_many = (lack1, lack2, lack3)
    n, at_most = len(letters), near.at_most
    last = len(at_most) - 1
    keep = at_most[min(n, last)] & ~too_many[allowed]
    for extra in range(1, allowed + 1):  # words with `extra` more letters may lack only `allowed - extra` of them
        if n + extra <= last:
            keep |= (at_most[n + extra] & ~at_most[n + extra - 1]) & ~too_many[allowed - extra]
    found = []
    words = near.words
    while keep:
        low = keep & -keep
        found.append(words[low.bit_length() - 1])
        keep ^= low
    return found


def _allowed_edits(length: int) -> int:
    """Typos forgiven in a word of this length: one, or two in a long word."""
    return 1 if length < 9 else 2


def _plausible_typo(typed: str, known: str) -> bool:
    """Whether `typed` is more likely a slip for `known` than a different word.

    Short words change meaning with one letter (round/ground, vesting/testing), so
    the shorter the word, the fewer kinds of slip are accepted: up to 5 letters
    only swapped letters, up to 7 also a letter missing or doubled, from 8 any edit.
    """
    if sorted(typed) == sorted(known):
        return True
    if len(typed) <= 5:
        return False
    if len(typed) <= 7:
        return len(typed) != len(known)
    return True


def _one_letter_longer(a: str, b: str) -> bool:
    """plant/plan, card/car: one letter more or less at the end makes another word, not a slip."""
    return (len(a) == len(b) + 1 and a.startswith(b)) or (len(b) == len(a) + 1 and b.startswith(a))
