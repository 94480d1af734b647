"""The Discord front end: `/rolecall` slash commands, mentions and DMs, quiz, poll and feedback buttons.

A thin discord.py adapter. It turns interactions and messages into the core's
`Message`, hands them to `Conversation`, and renders the `Reply` as an embed
(and buttons for the quiz, debate polls and 👍/👎 feedback), or a backlog
triage as a code block or an attached file. Every decision lives in the core,
so Discord answers exactly as the terminal and Slack do.

Settings (environment, or a .env file): DISCORD_TOKEN (required) and
DISCORD_MESSAGE_CONTENT=1 to use the privileged message-content intent. See
docs/discord.md for creating the bot, inviting it and registering the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import aiohttp
import discord
import yarl
from discord import app_commands

from ..bot.commands import Command
from ..bot.conversation import Conversation
from ..bot.messages import Message, Reply
from ..bot.normalize import defang
from ..bot.triage import open_text

from .settings import SettingsError, load_env_file, optional, require

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_PINGS = discord.AllowedMentions.none()
"""Nothing the bot sends may notify anyone: no @everyone/@here, no users, no roles, no reply ping."""

TOKEN_HINT = ("create a bot at https://discord.com/developers/applications (Bot > Reset Token) and put its token "
              "in the environment or a .env file; see docs/discord.md")
REJECTED = ("rolecall: DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy a fresh token from the Developer "
            "Portal (Bot > Reset Token) and set it again")
INTENT_MISSING = ("rolecall: DISCORD_MESSAGE_CONTENT=1 asks for the Message Content intent, but it is not enabled for "
                  "this bot: turn it on in the Developer Portal (Bot > Privileged Gateway Intents) or unset the variable")
API_BASE_VARIABLE = "ROLECALL_DISCORD_API_BASE"
GATEWAY_VARIABLE = "ROLECALL_DISCORD_GATEWAY"
"""Tests only: point discord.py's REST API and gateway at a local mock server."""

NOT_YOURS = "These buttons belong to someone else's quiz. Use /rolecall quiz to take your own."
SORRY = "Sorry, something went wrong on my side. Please try again."

TRIAGE_MODAL_ID = "rolecall:triage"
TRIAGE_INPUT_ID = "rolecall:triage:backlog"
TRIAGE_INPUT_MAX = 4000
"""A modal's paragraph box holds at most 4,000 characters (Discord's limit for a text input)."""
ATTACHMENT_MAX_BYTES = 1_000_000
"""Attached backlogs are read up to 1 MB; the core triages the first MAX_CHAT_ROWS rows of them."""
TEXT_TYPES = ("text/", "application/csv", "application/x-csv", "application/vnd.ms-excel")
TEXT_SUFFIXES = (".txt", ".text", ".csv", ".tsv", ".md", ".markdown", ".list")
TRIAGE_FILENAME = "triage.txt"
NOT_TEXT = ("I can only triage a text or CSV file (.txt, .csv, .tsv or .md, one task per line or a CSV with a "
            "title column); {name} looks like {kind}.")
TOO_BIG = ("{name} is {size}; I triage attached files up to 1 MB here. For bigger backlogs run "
           "`rolecall triage FILE` on your machine.")
NO_DOWNLOAD = "I couldn't download {name} from Discord; please attach it again."

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
POLL_OPTIONS = ("product", "project", "both")

# Discord's size limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits,
# https://discord.com/developers/docs/components/reference#button and a message's 2,000 characters of content.
_DESCRIPTION_MAX, _FOOTER_MAX, _LABEL_MAX, _CUSTOM_ID_MAX = 4096, 2048, 80, 100
_TITLE_MAX, _CONTENT_MAX = 256, 2000
_TOKEN_LIFETIME = 14 * 60
"""An interaction's token edits its message for 15 minutes; after that the channel message is edited instead."""
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class DiscordSettings:
    token: str
    message_content: bool = False

    @classmethod
    def from_env(cls, env_file: str | None = ".env") -> "DiscordSettings":
        """Read the settings, or raise SettingsError naming the variable to fix."""
        if env_file:
            load_env_file(env_file)
        token = require("DISCORD_TOKEN", TOKEN_HINT)
        flag = (optional("DISCORD_MESSAGE_CONTENT", "0") or "0").lower()
        if flag not in _TRUE | _FALSE:
            raise SettingsError(f"DISCORD_MESSAGE_CONTENT must be 1 or 0, not {flag!r}")
        return cls(token=token, message_content=flag in _TRUE)


# -- rendering: a Reply as an embed and buttons --------------------------------------------------


def render(reply: Reply) -> discord.Embed:
    """The reply as one embed: verdict colour and topic/source footer, quiz progress, or the quiz result."""
    text = defang(reply.text)
    quiz = reply.quiz
    if reply.poll:
        return _poll_embed(reply.poll, text)
    if quiz and quiz.get("result"):
        embed = discord.Embed(title="Your quiz result", description=_clip(text, _DESCRIPTION_MAX),
                              colour=COLOURS.get(quiz["result"].get("role"), QUIZ_COLOUR))
        embed.set_footer(text=f"Quiz complete · {quiz['of']} questions")
        return embed
    if quiz and reply.choices:
        progress = f"Question {quiz['step']} of {quiz['of']}"
        body = text.replace(progress + ": ", "", 1)  # the title already says where we are
        return discord.Embed(title=progress, description=_clip(body, _DESCRIPTION_MAX), colour=QUIZ_COLOUR)
    if reply.verdict:
        lines = text.split("\n")
        footer = [line for line in lines if line.startswith("Topic: ")]
        body = "\n".join(line for line in lines if not line.startswith("Topic: "))
        embed = discord.Embed(description=_clip(body, _DESCRIPTION_MAX), colour=COLOURS.get(reply.verdict, NOTE_COLOUR))
        if footer:
            embed.set_footer(text=_clip(footer[0], _FOOTER_MAX))
        return embed
    return discord.Embed(description=_clip(text, _DESCRIPTION_MAX), colour=NOTE_COLOUR)


def _poll_embed(poll: dict[str, Any], text: str) -> discord.Embed:
    """A debate poll card: the question as the title, the tally as fields (counts, never names).

    Open: the core's instructions below the title. Closed: the team's tally beside
    Rolecall's verdict, its reason, and how many agreed; topic and source in the footer.
    A private note about the poll (a vote that came too late) shows the same tally.
    """
    closed = bool(poll.get("closed"))
    verdict = poll.get("verdict") if closed else None
    question = defang(str(poll.get("question") or "this task product or project work?"))
    lines = text.split("\n")
    if lines and lines[0].startswith("Debate"):  # the core's first line is the question: it is the title here
        lines = lines[1:]
    footer = [line for line in lines if line.startswith("Topic: ")]
    # The tally lines are shown as fields; everything else the core said stays as it said it.
    body = "\n".join(line for line in lines
                     if not line.startswith(("Topic: ", "Votes so far: ", "The team voted: "))).strip()
    embed = discord.Embed(title=_clip(("Debate closed: " if closed else "Debate: ") + question, _TITLE_MAX),
                          description=_clip(body, _DESCRIPTION_MAX) or None,
                          colour=COLOURS.get(str(verdict), NOTE_COLOUR) if closed else POLL_COLOUR)
    tally = poll.get("tally") or {}
    counts = {option: _count(tally.get(option)) for option in POLL_OPTIONS}
    for option in POLL_OPTIONS:
        name = option.capitalize() + (" · Rolecall's answer" if option == verdict else "")
        embed.add_field(name=name, value=str(counts[option]), inline=True)
    votes = sum(counts.values())
    status = f"{votes} vote{'' if votes == 1 else 's'} · {'closed' if closed else 'open'}"
    embed.set_footer(text=_clip(" · ".join([*footer, status]), _FOOTER_MAX))
    return embed


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def buttons(reply: Reply, *, owner: int | None = None) -> discord.ui.View | None:
    """The reply's choices as persistent buttons, or None when it has none.

    `owner` (a user id) goes into each custom_id on public messages, so that on a
    quiz started in a channel only its owner's clicks count.
    """
    if not reply.choices:
        return None
    view = discord.ui.View(timeout=None)
    for choice in reply.choices[:25]:  # a message holds at most 5 rows of 5 buttons
        try:
            view.add_item(ChoiceButton(choice.id, choice.label, owner=owner))
        except ValueError:
            log.warning("choice id %r does not fit in a Discord custom_id; leaving its button out", choice.id)
    return view if view.children else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _style(choice: str) -> discord.ButtonStyle:
    """Reveal stands out from the vote buttons; everything else is neutral."""
    return discord.ButtonStyle.primary if choice.startswith("poll:") and choice.endswith(":reveal") \
        else discord.ButtonStyle.secondary


# -- rendering: a backlog triage -----------------------------------------------------------------


def triage_message(table: str) -> tuple[str, discord.File | None]:
    """The triage table as message content: a code block when it fits in one message (2,000 characters),
    else the counts in a code block and the whole table attached as triage.txt."""
    block = _code_block(table)
    if len(block) <= _CONTENT_MAX:
        return block, None
    lines = table.split("\n")
    notice = [lines[0]] if lines and lines[0].startswith("(") else []  # "I triaged the first 500 lines of ..."
    counts = table[table.rfind("\n\n") + 2:] if "\n\n" in table else ""
    intro = f"The whole table is in the attached {TRIAGE_FILENAME}; the counts:"
    summary = "\n".join([*notice, counts]).strip() or "(see the attached file)"
    room = _CONTENT_MAX - len(intro) - len(_code_block("")) - 1
    content = f"{intro}\n{_code_block(_clip(summary, room))}"
    return content, discord.File(io.BytesIO(table.encode("utf-8")), filename=TRIAGE_FILENAME,
                                 description="Rolecall backlog triage")


def _code_block(text: str) -> str:
    # A task holding ``` must not end the block early: a zero-width space keeps the backticks apart.
    return "```text\n" + text.replace("```", "`\u200b``") + "\n```"


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=r"rolecall:(?P<choice>[^|]{1,90})(?:\|(?P<owner>\d{1,20}))?"):
    """A button whose custom_id carries the core's choice id (`rolecall:quiz:<q>:<o>`).

    Registered with `Client.add_dynamic_items` at start-up, so a click on any
    message ever sent, even before a restart, finds its way back; the quiz state
    itself lives in the core's store.
    """

    def __init__(self, choice: str, label: str, *, owner: int | None = None):
        custom_id = f"rolecall:{choice}" + (f"|{owner}" if owner else "")
        if len(custom_id) > _CUSTOM_ID_MAX or "|" in choice:
            raise ValueError(f"custom_id too long or malformed: {custom_id!r}")
        super().__init__(discord.ui.Button(label=_clip(defang(label), _LABEL_MAX) or "…", custom_id=custom_id,
                                           style=_style(choice)))
        self.choice = choice
        self.owner = owner

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> "ChoiceButton":
        owner = match["owner"]
        return cls(match["choice"], item.label or "", owner=int(owner) if owner else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, RolecallBot):
            await client.on_choice(interaction, self.choice, owner=self.owner)


class TriageForm(discord.ui.Modal, title="Triage a backlog"):
    """The /rolecall triage form: one paragraph box for a pasted backlog.

    Its custom_id is fixed and the submission is answered by `RolecallBot.on_interaction`,
    not by this object, so a form opened before a restart still works when submitted after it.
    """

    def __init__(self) -> None:
        super().__init__(custom_id=TRIAGE_MODAL_ID, timeout=None)
        self.backlog = discord.ui.TextInput(
            custom_id=TRIAGE_INPUT_ID, style=discord.TextStyle.paragraph, max_length=TRIAGE_INPUT_MAX,
            required=True, placeholder="Write the release notes\nPlan the sprint review\nDecide the pricing page copy")
        self.add_item(discord.ui.Label(text="Your backlog, one task per line",
                                       description="A plain or Markdown list, or CSV with a title column",
                                       component=self.backlog))


def submitted_value(components: Any, custom_id: str) -> str | None:
    """A text input's value in a MODAL_SUBMIT payload, whether wrapped in labels (type 18) or action rows (type 1)."""
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id and isinstance(component.get("value"), str):
            return component["value"]
        inner = component.get("components")
        if isinstance(component.get("component"), dict):
            inner = [component["component"]]
        found = submitted_value(inner, custom_id)
        if found is not None:
            return found
    return None


# -- the slash commands ------------------------------------------------------------------------


class RolecallCommands(app_commands.Group):
    """/rolecall who|ask|quiz|help, each mapped straight to a core Command."""

    def __init__(self) -> None:
        super().__init__(name="rolecall", description="Settle 'is this product or project work?' debates")

    @app_commands.command(description="Post who owns a task (product or project manager) for the whole channel")
    @app_commands.describe(task="the task, artifact or metric, e.g. the release plan")
    async def who(self, interaction: discord.Interaction, task: app_commands.Range[str, 1, 500]) -> None:
        # Discord validates option lengths, discord.py does not: a blank task gets help, as on Slack.
        command = Command("who", task.strip(), public=True) if task.strip() else Command("help")
        await _run(interaction, command)

    @app_commands.command(description="Ask Rolecall a question; only you see the answer")
    @app_commands.describe(question="e.g. is the burndown chart product or project work?")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]) -> None:
        await _run(interaction, Command("ask", question.strip()) if question.strip() else Command("help"))

    @app_commands.command(description="Take the quiz: which role fits you, product or project manager?")
    async def quiz(self, interaction: discord.Interaction) -> None:
        await _run(interaction, Command("quiz"))

    @app_commands.command(description="Your last quiz result; only you see it")
    async def result(self, interaction: discord.Interaction) -> None:
        await _run(interaction, Command("result"))

    @app_commands.command(description="Start a team poll in the channel: is this task product or project work?")
    @app_commands.describe(task="the task to debate, e.g. the release plan")
    async def debate(self, interaction: discord.Interaction, task: app_commands.Range[str, 1, 200]) -> None:
        await _run(interaction, Command("debate", task.strip(), public=True) if task.strip() else Command("help"))

    @app_commands.command(description="Classify a backlog: paste it into a form, or attach a text or CSV file")
    @app_commands.describe(file="optional: a .txt, .csv or .md file (up to 1 MB), one task per line or CSV with a "
                                "title column")
    async def triage(self, interaction: discord.Interaction, file: discord.Attachment | None = None) -> None:
        client = interaction.client
        assert isinstance(client, RolecallBot)
        if file is not None:
            await client.triage_attachment(interaction, file)
            return
        form = TriageForm()
        # Finished before it is sent, so discord.py keeps no copy of it waiting for a submission that
        # RolecallBot.on_interaction answers by custom_id (a form outlives restarts; nothing accumulates).
        form.stop()
        await _deliver(interaction.response.send_modal(form), "opening the triage form")

    @app_commands.command(description="What Rolecall can do, with examples")
    async def help(self, interaction: discord.Interaction) -> None:
        await _run(interaction, Command("help"))


async def _run(interaction: discord.Interaction, command: Command) -> None:
    client = interaction.client
    assert isinstance(client, RolecallBot)
    reply = await asyncio.to_thread(client.conversation.run, command, _message_from_interaction(interaction))
    if not reply.text:
        return  # past the rate limit: the core already told this person once, so nothing is sent
    ephemeral = reply.private or not command.public
    response = await _send(_send_response(interaction, reply, ephemeral=ephemeral), f"answering /rolecall {command.name}")
    if response is not _FAILED and reply.poll and not reply.poll.get("closed") and not ephemeral:
        client.reveal_when_due(str(reply.poll.get("id")),
                               client.original_editor(interaction, getattr(response, "message_id", None)))


def _message_from_interaction(interaction: discord.Interaction, *, choice: str | None = None) -> Message:
    return Message(platform=PLATFORM, workspace=str(interaction.guild_id or "dm"),
                   channel=str(interaction.channel_id), user=str(interaction.user.id), choice=choice)


def _send_response(interaction: discord.Interaction, reply: Reply, *, ephemeral: bool) -> Awaitable[Any]:
    view = buttons(reply)
    extra = {"view": view} if view else {}
    return interaction.response.send_message(embed=render(reply), ephemeral=ephemeral, allowed_mentions=NO_PINGS,
                                             **extra)


_FAILED: Any = object()


async def _deliver(action: Awaitable[Any], what: str) -> bool:
    """Await one Discord call; log a failure instead of letting it stop the bot. True when it went through."""
    return await _send(action, what) is not _FAILED


async def _send(action: Awaitable[Any], what: str) -> Any:
    """Await one Discord call and return its result, or _FAILED after logging why.

    discord.py already waits out 429 rate limits and retries 5xx answers
    (https://discord.com/developers/docs/topics/rate-limits); what reaches here
    is final, so it is logged and the bot moves on to the next event.
    """
    try:
        return await action
    except discord.Forbidden as exc:
        if exc.code == 50007:  # https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
            log.warning("%s: the user does not accept direct messages from the bot (code 50007)", what)
            return _FAILED
        log.warning("%s: forbidden (HTTP 403, code %s: %s); check the bot's channel permissions", what, exc.code, exc.text)
    except discord.NotFound as exc:
        log.warning("%s: not found (HTTP 404, code %s: %s); the interaction may have expired or the message or "
                    "channel is gone", what, exc.code, exc.text)
    except discord.RateLimited as exc:
        log.warning("%s: rate limited for %.1f s; dropped", what, exc.retry_after)
    except discord.HTTPException as exc:
        log.warning("%s: Discord answered HTTP %s (code %s: %s)", what, exc.status, exc.code, exc.text)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        log.warning("%s: could not reach Discord: %s", what, exc)
    return _FAILED


# -- the client ----------------------------------------------------------------------------------


class RolecallBot(discord.Client):
    """The Discord client: holds the core's Conversation and a CommandTree with /rolecall."""

    def __init__(self, conversation: Conversation, *, message_content: bool = False, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True           # guild and channel objects for interactions and mentions
        intents.guild_messages = True   # MESSAGE_CREATE in channels (content only when we are mentioned)
        intents.dm_messages = True      # MESSAGE_CREATE in DMs
        intents.message_content = message_content
        options.setdefault("chunk_guilds_at_startup", False)
        _no_voice_warnings()
        super().__init__(intents=intents, allowed_mentions=NO_PINGS, **options)
        self.conversation = conversation
        self.message_content = message_content
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(RolecallCommands())
        self.tree.error(self._on_command_error)
        self._reveals: dict[str, asyncio.Task[None]] = {}
        """Poll id -> the timer that reveals its card when time is up."""

    async def setup_hook(self) -> None:
        # Buttons on messages sent before a restart keep working: the custom_id is all we need.
        self.add_dynamic_items(ChoiceButton)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (id %s) in %d guild(s)", self.user, getattr(self.user, "id", "?"),
                 len(self.guilds))

    async def close(self) -> None:
        for task in list(self._reveals.values()):
            task.cancel()
        await super().close()

    async def answer(self, message: Message) -> Reply:
        """The core's reply; run off the event loop, since the store may touch the disk or the network."""
        return await asyncio.to_thread(self.conversation.handle, message)

    # -- mentions and DMs --

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None or message.author.id == self.user.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        if not self._addressed_to_me(message):
            return
        text = re.sub(rf"<@!?{self.user.id}>", " ", message.content).strip()
        reply = await self.answer(Message(text=text, platform=PLATFORM,
                                          workspace=str(message.guild.id) if message.guild else "dm",
                                          channel=str(message.channel.id), user=str(message.author.id)))
        if not reply.text:
            return  # past the rate limit: the core already told this person once, so nothing is sent
        if reply.private and message.guild and await self._tell_privately(message, reply):
            return
        # A quiz card posted in a channel belongs to the person taking it; poll cards are for everyone.
        owner = message.author.id if message.guild and reply.quiz is not None else None
        view = buttons(reply, owner=owner)
        extra: dict[str, Any] = {"view": view} if view else {}
        if message.guild:
            # A reply keeps the thread of the conversation; fail_if_not_exists=False still answers if it was deleted.
            extra["reference"] = message.to_reference(fail_if_not_exists=False)
            extra["mention_author"] = False
        sent = await _send(message.channel.send(embed=render(reply), allowed_mentions=NO_PINGS, **extra),
                           f"answering a message in channel {message.channel.id}")
        if sent is not _FAILED and reply.poll and not reply.poll.get("closed") and not reply.private:
            self.reveal_when_due(str(reply.poll.get("id")), sent.edit)

    async def _tell_privately(self, message: discord.Message, reply: Reply) -> bool:
        """A note meant for one person, from a message in a channel: a DM (a channel message cannot be ephemeral).

        False when their DMs are closed, so the caller answers in the channel after all.
        """
        view = buttons(reply)
        extra: dict[str, Any] = {"view": view} if view else {}
        return await _deliver(message.author.send(embed=render(reply), allowed_mentions=NO_PINGS, **extra),
                              f"sending a private note to user {message.author.id}")

    def _addressed_to_me(self, message: discord.Message) -> bool:
        """DMs, mentions of the bot (not @everyone), and with the content intent, replies to the bot."""
        assert self.user is not None
        if message.guild is None:
            return True
        if self.user.id in message.raw_mentions:
            return True
        if self.message_content and message.reference is not None:
            resolved = message.reference.resolved
            return isinstance(resolved, discord.Message) and resolved.author.id == self.user.id
        return False

    # -- buttons --

    async def on_choice(self, interaction: discord.Interaction, choice: str, *, owner: int | None) -> None:
        """A click: the card it was on (quiz or poll) is edited in place; a private note goes only to the clicker."""
        if owner is not None and interaction.user.id != owner:
            await _deliver(_send_response(interaction, Reply(text=NOT_YOURS), ephemeral=True), "answering a click")
            return
        reply = await self.answer(_message_from_interaction(interaction, choice=choice))
        if not reply.text:
            # Past the rate limit: acknowledge the click without a word, and without changing the card.
            await _deliver(interaction.response.defer(), f"acknowledging a click on {choice}")
            return
        if not reply.private and (reply.quiz is not None or reply.poll is not None):
            view = buttons(reply, owner=owner)
            action = interaction.response.edit_message(embed=render(reply), view=view, allowed_mentions=NO_PINGS)
            if await _deliver(action, f"updating the message after a click on {choice}") and reply.poll \
                    and reply.poll.get("closed"):
                timer = self._reveals.pop(str(reply.poll.get("id")), None)
                if timer is not None:
                    timer.cancel()  # the card already shows the result
        else:
            # A note for the clicker alone (a thank-you for 👍/👎, a closed poll): the card stays as everyone sees it.
            await _deliver(_send_response(interaction, reply, ephemeral=True), f"answering a click on {choice}")

    # -- debate polls: the reveal when time is up --

    def reveal_when_due(self, poll_id: str, edit: Callable[..., Awaitable[Any]]) -> None:
        """Turn the card into the result once the poll's time is up, even if nobody clicks.

        The core closes a poll that is due on its next vote, reveal or show; this timer
        only shows the result on time. It lives in this process: after a restart,
        late votes get the core's private "closed" note and anyone's Reveal click
        turns the card into the result. `edit(embed=, view=, allowed_mentions=)` edits the card.
        """
        duration = getattr(getattr(self.conversation, "polls", None), "duration", None)
        if not isinstance(duration, (int, float)) or duration < 0:
            return
        task = asyncio.create_task(self._reveal_later(poll_id, edit, float(duration)), name=f"rolecall-reveal-{poll_id}")
        self._reveals[poll_id] = task
        task.add_done_callback(lambda done: self._reveals.pop(poll_id, None) if self._reveals.get(poll_id) is done else None)

    async def _reveal_later(self, poll_id: str, edit: Callable[..., Awaitable[Any]], duration: float) -> None:
        await asyncio.sleep(duration + 0.5)
        try:
            reply = await asyncio.to_thread(self.conversation.polls.show, poll_id)
        except Exception as exc:  # the store may be down; the next click reveals it then
            log.warning("could not reveal poll %s when its time was up: %s", poll_id, exc)
            return
        if reply is None or not (reply.poll or {}).get("closed"):
            return
        await _deliver(edit(embed=render(reply), view=None, allowed_mentions=NO_PINGS),
                       f"revealing poll {poll_id} when its time was up")

    def original_editor(self, interaction: discord.Interaction, message_id: int | None) -> Callable[..., Awaitable[Any]]:
        """Edits the message an interaction's answer created: through the interaction's token while it is valid
        (15 minutes), then as the bot's own message in the channel."""
        started = time.monotonic()

        def edit(**kwargs: Any) -> Awaitable[Any]:
            if time.monotonic() - started < _TOKEN_LIFETIME or not message_id or not interaction.channel_id:
                return interaction.edit_original_response(**kwargs)
            return self.get_partial_messageable(interaction.channel_id).get_partial_message(message_id).edit(**kwargs)

        return edit

    # -- backlog triage: the form's submission, or an attached file --

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Submissions of the triage form, matched by custom_id (see TriageForm)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data = interaction.data or {}
        if data.get("custom_id") != TRIAGE_MODAL_ID:
            return
        text = submitted_value(data.get("components"), TRIAGE_INPUT_ID) or ""
        await self._guarded(interaction, self.triage(interaction, text[:TRIAGE_INPUT_MAX]), "triaging a pasted backlog")

    async def triage_attachment(self, interaction: discord.Interaction, attachment: discord.Attachment) -> None:
        """/rolecall triage file:<attachment>: a text or CSV file up to 1 MB, read from Discord's CDN."""
        name = defang(attachment.filename)[:100] or "That file"
        problem = _unreadable(attachment, name)
        if problem:
            await _deliver(_send_response(interaction, Reply(text=problem, private=True), ephemeral=True),
                           "refusing an attachment")
            return

        async def download() -> str | None:
            try:
                data = await attachment.read()
            except (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                log.warning("could not download attachment %s: %s", attachment.id, exc)
                return None
            return _decode(data[:ATTACHMENT_MAX_BYTES])

        await self._guarded(interaction, self.triage(interaction, None, source=download, name=name),
                            "triaging an attached backlog")

    async def triage(self, interaction: discord.Interaction, text: str | None, *, source: Any = None,
                     name: str = "") -> None:
        """Answer only the asker: "thinking" first (a download and 500 rows can take a moment), then the table."""
        if not await _deliver(interaction.response.defer(ephemeral=True, thinking=True), "starting a triage"):
            return
        if source is not None:
            text = await source()
            if text is None:
                await self._follow_up(interaction, embed=render(Reply(text=NO_DOWNLOAD.format(name=name))))
                return
        message = _message_from_interaction(interaction)
        reply = await asyncio.to_thread(self.conversation.run, Command("triage", text or ""), message)
        if not reply.text:
            await _deliver(interaction.delete_original_response(), "withdrawing a triage")
            return
        if not (text or "").strip():  # nothing to triage: the core's note on what to paste
            await self._follow_up(interaction, embed=render(reply))
            return
        content, file = triage_message(defang(reply.text))
        await self._follow_up(interaction, content=content, **({"file": file} if file else {}))

    async def _follow_up(self, interaction: discord.Interaction, **kwargs: Any) -> None:
        await _deliver(interaction.followup.send(ephemeral=True, allowed_mentions=NO_PINGS, **kwargs),
                       "sending a triage")

    async def _guarded(self, interaction: discord.Interaction, work: Awaitable[None], what: str) -> None:
        """Run one handler; a bug is logged and the person told, as for slash commands."""
        try:
            await work
        except Exception:
            log.exception("%s failed", what)
            sorry = Reply(text=SORRY)
            if interaction.response.is_done():
                await _deliver(interaction.followup.send(embed=render(sorry), ephemeral=True, allowed_mentions=NO_PINGS),
                               "reporting an error")
            else:
                await _deliver(_send_response(interaction, sorry, ephemeral=True), "reporting an error")

    # -- errors --

    async def _on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.error("/rolecall failed", exc_info=error)
        if not interaction.response.is_done():
            await _deliver(_send_response(interaction, Reply(text=SORRY), ephemeral=True), "reporting an error")


def _unreadable(attachment: discord.Attachment, name: str) -> str | None:
    """Why an attached file cannot be triaged here, or None when it can."""
    if attachment.size > ATTACHMENT_MAX_BYTES:
        return TOO_BIG.format(name=name, size=_size(attachment.size))
    kind = (attachment.content_type or "").split(";")[0].strip().lower()
    if kind.startswith(TEXT_TYPES) or attachment.filename.lower().endswith(TEXT_SUFFIXES):
        return None
    return NOT_TEXT.format(name=name, kind=defang(kind)[:60] or "something other than text")


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def _decode(data: bytes) -> str:
    """As the CLI reads a backlog file: UTF-8 (BOM dropped, bad bytes replaced), or UTF-16 with its BOM."""
    with open_text(io.BufferedReader(io.BytesIO(data))) as text:
        return text.read()


# -- entry points: rolecall serve discord, rolecall discord sync --------------------------------


def serve(conversation: Conversation, args: argparse.Namespace) -> int:
    """Run the bot until interrupted; a missing or rejected token is one clear line and exit code 2."""
    try:
        settings = DiscordSettings.from_env(getattr(args, "env_file", ".env"))
    except SettingsError as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return 2
    _use_test_endpoints()
    bot = RolecallBot(conversation, message_content=settings.message_content)

    async def run() -> None:
        async with bot:
            await bot.start(settings.token)

    return _run_client(run)


def sync_commands(args: argparse.Namespace) -> int:
    """Register /rolecall globally, or copied to one guild with --guild (instant; for development)."""
    try:
        settings = DiscordSettings.from_env(getattr(args, "env_file", ".env"))
    except SettingsError as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return 2
    _use_test_endpoints()
    guild_id: int | None = getattr(args, "guild", None)

    async def run() -> None:
        _no_voice_warnings()
        client = discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_PINGS)
        tree = app_commands.CommandTree(client)
        tree.add_command(RolecallCommands())
        async with client:
            await client.login(settings.token)  # REST only: no gateway connection is needed to register
            guild = discord.Object(id=guild_id) if guild_id else None
            if guild:
                tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
        names = ", ".join(f"/{c.name}" for c in synced) or "nothing"
        if guild:
            print(f"Registered {names} in guild {guild_id}; it is usable there now.")
        else:
            print(f"Registered {names} globally; Discord can take up to an hour to show it in every server.")

    return _run_client(run)


def _run_client(run) -> int:
    try:
        asyncio.run(run())
    except discord.LoginFailure:
        print(REJECTED, file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print(INTENT_MISSING, file=sys.stderr)
        return 2
    except discord.Forbidden as exc:
        print(f"rolecall: Discord refused (HTTP 403: {exc.text}); for --guild, invite the bot to that server with the "
              "applications.commands scope", file=sys.stderr)
        return 1
    except discord.HTTPException as exc:
        print(f"rolecall: Discord answered HTTP {exc.status}: {exc.text}", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        print(f"rolecall: could not reach Discord: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


def _no_voice_warnings() -> None:
    """Rolecall never joins voice channels: skip discord.py's warnings about missing voice libraries."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def _use_test_endpoints() -> None:
    """Tests only: ROLECALL_DISCORD_API_BASE / ROLECALL_DISCORD_GATEWAY point discord.py at a local mock."""
    base = os.environ.get(API_BASE_VARIABLE, "").strip()
    if base:
        discord.http.Route.BASE = base.rstrip("/")
        log.warning("using the Discord API at %s (%s is for tests only)", base, API_BASE_VARIABLE)
    gateway = os.environ.get(GATEWAY_VARIABLE, "").strip()
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
        log.warning("using the Discord gateway at %s (%s is for tests only)", gateway, GATEWAY_VARIABLE)
