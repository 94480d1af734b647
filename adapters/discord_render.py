"""A Reply as Discord shows it: one embed laid out from the reply's typed parts, and a backlog triage as a
code block or an attached file.

The layout reads only the parts' fields (`bot.parts`), never the core's prose;
where Discord wants a sentence the core already words (a note, a close call,
the triage table), it comes from `plain_text`, the core's one plain rendering.
Every text is defanged and cut to Discord's limits here, so nothing sent can
ping or be refused for its size. The buttons are in `discord_buttons`.
"""

from __future__ import annotations

import io

import discord

from ..bot import plain_text
from ..bot.messages import Reply
from ..bot.normalize import defang
from ..bot.parts import (
    OWNERS,
    Contact,
    Part,
    PollCard,
    QuizQuestion,
    QuizResult,
    TriageTable,
    Verdict,
    role_name,
)

COLOURS = {
    "product": discord.Colour(0x5865F2),
    "project": discord.Colour(0x57F287),
    "both": discord.Colour(0x9B59B6),
    "hybrid": discord.Colour(0x9B59B6),
    "unknown": discord.Colour(0x95A5A6),
}
QUIZ_COLOUR = discord.Colour(0xFEE75C)
POLL_COLOUR = discord.Colour(0xEB459E)
NOTE_COLOUR = discord.Colour(0x2B2D31)
QUIZ_RESULT_TITLE = "Your quiz result"
ANSWER_MARK = " · Rolecall's answer"
"""Beside the poll option Rolecall's verdict picked, once the poll is revealed."""
TRIAGE_FILENAME = "triage.txt"

# Discord's size limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
# and a message's 2,000 characters of content.
_DESCRIPTION_MAX, _FOOTER_MAX, _TITLE_MAX = 4096, 2048, 256
_FIELD_NAME_MAX, _FIELD_VALUE_MAX, _EMBED_MAX = 256, 1024, 6000
CONTENT_MAX = 2000


def render(reply: Reply, *, typed: bool = True) -> discord.Embed:
    """The reply as one embed, laid out from its last part; any parts before it (a note, an answer given
    in the middle of the quiz) lead the description.

    `typed`: whether typing to the bot reaches this conversation; where it does not (a private quiz card in
    a server channel), a quiz question leaves out its hint about typed answers and controls.
    """
    if not reply.parts:
        return discord.Embed(colour=NOTE_COLOUR)  # a silent reply is never sent; this only keeps render total
    # Who to ask ("Still unsure? Ask @delivery-leads.") closes the answer it goes with rather than being laid out.
    contacts = [part for part in reply.parts if isinstance(part, Contact)]
    parts = [part for part in reply.parts if not isinstance(part, Contact)] or contacts
    *lead, main = parts
    embed = _question_embed(main, typed=False) if isinstance(main, QuizQuestion) and not typed else _layout(main)
    before = "\n\n".join(_prose(part) for part in lead)
    if before:
        embed.description = f"{before}\n\n{embed.description}" if embed.description else before
    after = "\n".join(plain_text.part_text(part) for part in contacts if part is not main)
    if after:
        embed.description = f"{embed.description}\n\n{after}" if embed.description else after
    return _within_limits(embed)


def _layout(part: Part) -> discord.Embed:
    if isinstance(part, Verdict):
        return _verdict_embed(part)
    if isinstance(part, QuizQuestion):
        return _question_embed(part)
    if isinstance(part, QuizResult):
        return _result_embed(part)
    if isinstance(part, PollCard):
        return _poll_embed(part)
    if isinstance(part, TriageTable):  # sent as a code block or a file (triage_message); an embed only as a fallback
        return discord.Embed(description=_code_block(plain_text.render([part])), colour=NOTE_COLOUR)
    # A Notice, QuizEnded, TeamDecision, Contact, or a ContactPing (posted as content, see discord_contact).
    return discord.Embed(description=plain_text.part_text(part), colour=NOTE_COLOUR)


def _prose(part: Part) -> str:
    """A part that leads another one's embed, as description text."""
    if isinstance(part, Verdict) and part.topic is not None:
        return f"{_verdict_body(part)}\n({_provenance(part)})"
    return plain_text.part_text(part)


# -- answers -------------------------------------------------------------------------------------


def _verdict_embed(verdict: Verdict) -> discord.Embed:
    """The verdict's colour, its role and reason; what it is about and where that comes from as the footer."""
    embed = discord.Embed(description=_verdict_body(verdict), colour=COLOURS.get(verdict.owner, NOTE_COLOUR))
    if verdict.topic is not None:
        embed.set_footer(text=_provenance(verdict))
    return embed


def _verdict_body(verdict: Verdict) -> str:
    if verdict.topic is None:  # a fixed note, an answer about the roles, or "not something I know" + closest topics
        return plain_text.verdict_text(verdict)
    body = f"{role_name(verdict.owner)}. {verdict.reason}"
    if verdict.close_call is not None:
        body += "\n" + plain_text.close_call_text(verdict)
    return body


def _provenance(verdict: Verdict) -> str:
    """E.g. "release plan · common industry practice"."""
    return " · ".join(text for text in (verdict.topic_label, verdict.source) if text)


# -- the quiz ------------------------------------------------------------------------------------


def _question_embed(question: QuizQuestion, *, typed: bool = True) -> discord.Embed:
    """Where the quiz is as the title, the question and its lettered options (typed answers use the letters)."""
    lines = [question.intro, ""] if question.intro else []
    lines.append(question.text)
    lines += [f"{chr(97 + i)}) {label}" for i, label in enumerate(question.options)]
    embed = discord.Embed(title=f"Step {question.step} of {question.of}", description="\n".join(lines),
                          colour=QUIZ_COLOUR)
    if question.hint and typed:
        embed.set_footer(text=question.hint)
    return embed


def _result_embed(result: QuizResult) -> discord.Embed:
    """The role and scores, the summary, then what weighed most, the career path, certifications and a first step."""
    scores = " · ".join(f"{side} {result.scores.get(side, 0)}%" for side in ("product", "project"))
    embed = discord.Embed(title=QUIZ_RESULT_TITLE, description=f"**{result.title}** · {scores}\n\n{result.summary}",
                          colour=COLOURS.get(result.role, QUIZ_COLOUR))
    if result.because:
        weighed = "\n".join(f"• You {why}" for why in result.because)
        embed.add_field(name="What weighed most", value=weighed, inline=False)
    if result.career:
        embed.add_field(name="Career path", value=result.career, inline=False)
    if result.certifications:
        embed.add_field(name="Certifications to look at", value=", ".join(result.certifications), inline=False)
    if result.first_step:
        embed.add_field(name="A first step", value=result.first_step, inline=False)
    embed.set_footer(text=f"Quiz complete · {result.of} questions")
    return embed


# -- debate polls --------------------------------------------------------------------------------


def _poll_embed(card: PollCard) -> discord.Embed:
    """A debate poll card: the question as the title, the tally as fields (counts, never names).

    Open: how to vote below the title. Closed: the team's tally beside Rolecall's
    verdict, its reason and how many agreed; what it is about and where that comes
    from in the footer. A private note about the poll (a vote that came too late)
    shows the same card after the note.
    """
    verdict = card.verdict if card.closed else None
    colour = POLL_COLOUR if not card.closed else COLOURS.get(verdict.owner, NOTE_COLOUR) if verdict else NOTE_COLOUR
    title = ("Debate closed: " if card.closed else "Debate: ") + card.question
    embed = discord.Embed(title=title, description=_poll_body(card), colour=colour)
    for option in OWNERS:
        marked = verdict is not None and option == verdict.owner
        embed.add_field(name=option.capitalize() + (ANSWER_MARK if marked else ""),
                        value=str(max(0, card.tally.get(option, 0))), inline=True)
    status = f"{card.votes} vote{'' if card.votes == 1 else 's'} · {'closed' if card.closed else 'open'}"
    about = _provenance(verdict) if verdict is not None and verdict.topic is not None else ""
    embed.set_footer(text=" · ".join(text for text in (about, status) if text))
    return embed


def _poll_body(card: PollCard) -> str:
    if not card.closed:
        return plain_text.POLL_HINT
    verdict = card.verdict
    if verdict is None or verdict.owner == "unknown":
        said = plain_text.verdict_text(verdict) if verdict else ""
        return f"Rolecall: I honestly don't know this one. {said}".rstrip()
    role = role_name(verdict.owner).lower()
    return (f"Rolecall: {_verdict_body(verdict)}\n"
            f"{card.agreed} of {card.votes} agreed with Rolecall ({role}).")


# -- limits and safety ---------------------------------------------------------------------------


def _within_limits(embed: discord.Embed) -> discord.Embed:
    """Every text defanged and cut to Discord's limits, the description shortened if the whole is too big."""
    if embed.title:
        embed.title = clip(defang(embed.title), _TITLE_MAX)
    if embed.description:
        embed.description = clip(defang(embed.description), _DESCRIPTION_MAX)
    if embed.footer.text:
        embed.set_footer(text=clip(defang(embed.footer.text), _FOOTER_MAX))
    for index, field in enumerate(embed.fields):
        embed.set_field_at(index, name=clip(defang(field.name or ""), _FIELD_NAME_MAX) or "…",
                           value=clip(defang(field.value or ""), _FIELD_VALUE_MAX) or "…", inline=bool(field.inline))
    excess = len(embed) - _EMBED_MAX
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(1, len(embed.description) - excess))
    return embed


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- a backlog triage ----------------------------------------------------------------------------


def triage_message(table: TriageTable) -> tuple[str, discord.File | None]:
    """The triage table as message content: a code block when it fits in one message (2,000 characters),
    else the counts in a code block and the whole table attached as triage.txt."""
    text = defang(plain_text.render([table]))
    block = _code_block(text)
    if len(block) <= CONTENT_MAX:
        return block, None
    summary = [plain_text.triage_limit_text(table)] if table.read_lines is not None else []
    summary += plain_text.triage_counts_lines(table.counts, len(table.skipped))
    intro = f"The whole table is in the attached {TRIAGE_FILENAME}; the counts:"
    room = CONTENT_MAX - len(intro) - len(_code_block("")) - 1
    counts = defang("\n".join(summary))
    content = f"{intro}\n{_code_block(clip(counts, room))}"
    return content, discord.File(io.BytesIO(text.encode("utf-8")), filename=TRIAGE_FILENAME,
                                 description="Rolecall backlog triage")


def _code_block(text: str) -> str:
    # A task holding ``` must not end the block early: a zero-width space keeps the backticks apart.
    return "```text\n" + text.replace("```", "`\u200b``") + "\n```"
