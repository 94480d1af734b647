"""Normalisation: the matcher sees only topic words, the same on every platform."""

from __future__ import annotations

import unicodedata

import pytest

from rolecall.bot.normalize import clean, defang, stem, words

QUESTION = "who owns the roadmap"
EXPECTED = ["who", "owns", "the", "roadmap"]


# -- platform markup ---------------------------------------------------------

@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("<@U123ABC>", id="slack-user-mention"),
        pytest.param("<@U123ABC|alice>", id="slack-user-mention-with-name"),
        pytest.param("<!here>", id="slack-here"),
        pytest.param("<!channel>", id="slack-channel"),
        pytest.param("<!everyone>", id="slack-everyone"),
        pytest.param("<#C1|general>", id="slack-channel-link"),
        pytest.param("<!subteam^S123|@devs>", id="slack-user-group"),
        pytest.param("<@123456789012345678>", id="discord-user"),
        pytest.param("<@!123456789012345678>", id="discord-nickname-user"),
        pytest.param("<@&123456789012345678>", id="discord-role"),
        pytest.param("<#123456789012345678>", id="discord-channel"),
        pytest.param("<:partyparrot:123456789>", id="discord-custom-emoji"),
        pytest.param("<a:partyparrot:123456789>", id="discord-animated-emoji"),
        pytest.param("@everyone", id="discord-everyone"),
        pytest.param("@here", id="discord-here"),
        pytest.param(":thinking_face:", id="emoji-shortcode"),
        pytest.param(":+1:", id="emoji-shortcode-plus"),
    ],
)
def test_platform_markup_is_not_part_of_the_question(markup):
    assert words(f"{markup} {QUESTION} {markup}") == EXPECTED


def test_markup_glued_to_words_still_leaves_the_words():
    assert words(f"<@U1>{QUESTION}<!here>") == EXPECTED


def test_slack_link_keeps_its_label_and_drops_the_url():
    assert words("who owns <https://example.com/wiki/Roadmap?x=1|the roadmap>") == EXPECTED


def test_bare_slack_link_leaves_no_url_words():
    assert words("who owns the roadmap <https://example.com/roadmap-2024>") == EXPECTED


def test_clean_keeps_case_and_punctuation_but_drops_markup():
    assert clean("<@U123> Who owns the Roadmap? <!here> :tada:") == "Who owns the Roadmap?"


# -- emoji, invisible characters and spacing -----------------------------------

@pytest.mark.parametrize(
    "emoji",
    ["🙂", "🚀", "👍🏽", "❤️", "👩‍💻", "🇬🇧"],
    ids=["smiley", "rocket", "skin-tone", "variation-selector", "zwj-sequence", "flag"],
)
def test_unicode_emoji_are_dropped(emoji):
    assert words(f"{emoji} who owns the {emoji}roadmap {emoji}") == EXPECTED


def test_emoji_only_text_has_no_words():
    assert words("🙂🙂 🚀 :tada: <:blob:1>") == []


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"],
    ids=["zero-width-space", "zwnj", "zwj", "word-joiner", "bom", "soft-hyphen"],
)
def test_zero_width_characters_between_words_vanish(invisible):
    assert words(f"{invisible}who {invisible}owns the{invisible} roadmap{invisible}") == EXPECTED


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u2060", "\ufeff", "\u00ad"],
    ids=["zero-width-space", "word-joiner", "bom", "soft-hyphen"],
)
def test_zero_width_characters_inside_a_word_do_not_split_it(invisible):
    assert words(f"risk re{invisible}gis{invisible}ter") == ["risk", "register"]


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"],
                         ids=["nul", "bell", "escape", "delete", "nel", "line-sep", "para-sep"])
def test_control_characters_separate_words(control):
    assert words(f"who{control}owns{control}the{control}roadmap") == EXPECTED


def test_terminal_escape_sequence_leaves_no_control_codes():
    assert "\x1b" not in clean("who owns the \x1b[31mroadmap\x1b[0m")


def test_repeated_whitespace_collapses():
    assert clean("  who \t owns\n\n the \r\n  roadmap  ") == "who owns the roadmap"
    assert words("  who \t owns\n\n the \r\n  roadmap  ") == EXPECTED


def test_case_is_folded():
    assert words("WHO Owns THE RoadMap") == EXPECTED


def test_punctuation_is_not_a_word():
    assert words("who... owns -- the (roadmap)?!") == EXPECTED


def test_apostrophes_join_contractions():
    assert words("who's on the hook?") == words("whos on the hook")
    assert words("who’s on the hook?") == words("whos on the hook")


def test_fullwidth_letters_read_as_ascii():
    assert words("ｗｈｏ ｏｗｎｓ ｔｈｅ ｒｏａｄｍａｐ") == EXPECTED


def test_non_latin_scripts_survive_as_words():
    assert words("谁负责 路线图") == ["谁负责", "路线图"]
    assert words("Wer ist für die Roadmap zuständig?") == ["wer", "ist", "für", "die", "roadmap", "zuständig"]


def test_empty_and_blank_text_have_no_words():
    assert words("") == []
    assert words(" \t\n ") == []
    assert clean("") == ""


# -- stems: one key for every form of a word ------------------------------------

@pytest.mark.parametrize(
    "forms",
    [
        pytest.param(("prioritise", "prioritize", "prioritised", "prioritized", "prioritising", "prioritizing"),
                     id="prioritise-british-american"),
        pytest.param(("organisation", "organization", "organisations"), id="organisation-british-american"),
        pytest.param(("behaviour", "behavior"), id="behaviour-british-american"),
        pytest.param(("centre", "center"), id="centre-british-american"),
        pytest.param(("stories", "story"), id="stories-plural"),
        pytest.param(("roadmaps", "roadmap"), id="roadmaps-plural"),
        pytest.param(("planning", "planned", "plan", "plans"), id="plan-inflections"),
        pytest.param(("schedule", "scheduling", "scheduled", "schedules"), id="schedule-inflections"),
    ],
)
def test_word_forms_share_one_stem(forms):
    assert {stem(f) for f in forms} == {stem(forms[0])}


@pytest.mark.parametrize(
    "forms",
    [
        pytest.param(("analyse", "analyze"), id="analyse-analyze"),
        pytest.param(("analyses", "analyzes"), id="analyses-analyzes"),
        pytest.param(("cancelled", "canceled"), id="cancelled-canceled"),
        pytest.param(("modelling", "modeling"), id="modelling-modeling"),
        pytest.param(("travelling", "traveling"), id="travelling-traveling"),
    ],
)
def test_british_double_l_and_yse_spellings_share_one_stem(forms):
    assert {stem(f) for f in forms} == {stem(forms[0])}


@pytest.mark.parametrize("word", ["pm", "okr", "sow", "q3", "2024"])
def test_short_words_and_codes_are_their_own_stem(word):
    assert stem(word) == word


def test_distinct_topics_keep_distinct_stems():
    assert stem("product") != stem("project")
    assert stem("budget") != stem("burndown")


# -- defang: replies can never ping a crowd ------------------------------------

MASS_MENTIONS = ["@everyone", "@here", "@channel", "<!channel>", "<!here>", "<!everyone>",
                 "<!here|here>", "<!channel|@channel>", "@Everyone", "@HERE", "<!EVERYONE>"]


@pytest.mark.parametrize("mention", MASS_MENTIONS)
def test_defang_disarms_mass_mentions(mention, assert_cannot_ping):
    assert_cannot_ping(defang(f"hey {mention} who owns the roadmap"))


@pytest.mark.parametrize("mention", MASS_MENTIONS)
def test_defang_disarms_mass_mentions_glued_to_punctuation(mention, assert_cannot_ping):
    assert_cannot_ping(defang(f"({mention}),{mention}.{mention}!"))


def test_defang_disarms_doubled_and_nested_tokens(assert_cannot_ping):
    assert_cannot_ping(defang("@@everyone <<!here>> <!<!channel>> @@@here"))


def test_defang_disarms_discord_role_mentions():
    assert "<@&123456789>" not in defang("ping <@&123456789> now")


def test_defang_only_adds_invisible_characters():
    text = "tell @everyone and <!here> about it"
    visible = "".join(ch for ch in defang(text) if unicodedata.category(ch) != "Cf")
    assert visible == text


def test_defang_leaves_ordinary_text_alone():
    assert defang("who owns the roadmap? mail pm@example.com") == "who owns the roadmap? mail pm@example.com"


def test_defang_is_stable_when_applied_twice(assert_cannot_ping):
    once = defang("@everyone <!here> @here")
    assert defang(once) == once
    assert_cannot_ping(once)


@pytest.mark.parametrize("text", ["@everyones", "@hereafter", "@here_we_go", "@everyone2"])
def test_defang_disarms_mass_mentions_followed_by_letters(text, assert_cannot_ping):
    assert_cannot_ping(defang(text))
