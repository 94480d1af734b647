"""The Discord front end: `/rolecall` slash commands, mentions and DMs, quiz, poll and feedback buttons.

A thin discord.py adapter. It turns interactions and messages into the core's
`Message`, hands them to `Conversation`, and sends the `Reply` as an embed with
buttons (`discord_render`, `discord_buttons`), or a backlog triage as a code
block or an attached file (`discord_triage`). Every decision lives in the core,
so Discord answers exactly as the terminal and Slack do. This module is the
client: its events, clicks, the reveal timers of debate polls, and the two
entry points, `rolecall serve discord` and `rolecall discord sync`.

Settings (environment, or a .env file, read into one `DiscordSettings`):
DISCORD_TOKEN (required) and DISCORD_MESSAGE_CONTENT=1 to use the privileged
message-content intent. See docs/discord.md for creating the bot, inviting it
and registering the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands

from ..bot.commands import Subcommand
from ..bot.conversation import SORRY, Conversation
from ..bot.intents import Intent
from ..bot.messages import Message, Reply
from ..bot.parts import PollCard, QuizEnded, QuizQuestion, QuizResult
from . import discord_triage
from .discord_buttons import ChoiceButton, button_view
from .discord_commands import TRIAGE_INPUT_ID, TRIAGE_INPUT_MAX, TRIAGE_MODAL_ID, rolecall_group, submitted_value
from .discord_io import FAILED, NO_PINGS, deliver, guarded, message_from, message_from_post, send, send_response
from .discord_render import render
from .discord_settings import API_BASE_VARIABLE, GATEWAY_VARIABLE, DiscordSettings
from .settings import SettingsError

log = logging.getLogger(__name__)

REJECTED = ("rolecall: DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy a fresh token from the Developer "
            "Portal (Bot > Reset Token) and set it again")
INTENT_MISSING = ("rolecall: DISCORD_MESSAGE_CONTENT=1 asks for the Message Content intent, but it is not enabled for "
                  "this bot: turn it on in the Developer Portal (Bot > Privileged Gateway Intents) or unset the "
                  "variable")
_TOKEN_LIFETIME = 14 * 60
"""An interaction's token edits its message for 15 minutes; after that the channel message is edited instead."""
_CARDS = (QuizQuestion, QuizResult, QuizEnded, PollCard)
"""Parts that are a card edited in place by the clicks on it (a quiz, a poll), not a note for the clicker."""

Editor = Callable[..., Awaitable[Any]]
"""Edits one message the bot sent: `edit(embed=, view=, allowed_mentions=)`."""


class RolecallBot(discord.Client):
    """The Discord client: holds the core's Conversation and a CommandTree with /rolecall."""

    def __init__(self, conversation: Conversation, settings: DiscordSettings, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True           # guild and channel objects for interactions and mentions
        intents.guild_messages = True   # MESSAGE_CREATE in channels (content only when we are mentioned)
        intents.dm_messages = True      # MESSAGE_CREATE in DMs
        intents.message_content = settings.message_content
        options.setdefault("chunk_guilds_at_startup", False)
        _no_voice_warnings()
        super().__init__(intents=intents, allowed_mentions=NO_PINGS, **options)
        self.conversation = conversation
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(rolecall_group())
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

    async def answer(self, message: Message, intent: Intent | None = None) -> Reply:
        """The core's reply; run off the event loop, since the store may touch the disk or the network."""
        return await asyncio.to_thread(self.conversation.handle, message, intent)

    def card_owner(self, reply: Reply, user_id: int, *, shared: bool) -> str | None:
        """Whose id goes into the buttons: only on a card others can see (in a channel, not ephemeral)."""
        return self.conversation.card_owner(reply, str(user_id)) if shared else None

    # -- slash commands (built by discord_commands from the core's table) --

    async def run_subcommand(self, interaction: discord.Interaction, sub: Subcommand, argument: str) -> None:
        intent = sub.intent(argument)
        reply = await self.answer(message_from(interaction), intent)
        if reply.silent:
            return  # past the rate limit: the core already told this person once, so nothing is sent
        ephemeral = reply.private or not sub.posts_publicly(intent)
        owner = self.card_owner(reply, interaction.user.id, shared=bool(interaction.guild_id) and not ephemeral)
        response = await send(send_response(interaction, reply, ephemeral=ephemeral, owner=owner),
                              f"answering /rolecall {sub.name}")
        if response is not FAILED and not ephemeral:
            self.reveal_when_due(reply, self.original_editor(interaction, getattr(response, "message_id", None)))

    async def triage_attachment(self, interaction: discord.Interaction, attachment: discord.Attachment) -> None:
        await guarded(interaction, discord_triage.triage_attachment(interaction, self.conversation, attachment),
                      "triaging an attached backlog")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Submissions of the triage form, matched by custom_id (see discord_commands.TriageForm)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        if data.get("custom_id") != TRIAGE_MODAL_ID:
            return
        text = submitted_value(data.get("components"), TRIAGE_INPUT_ID) or ""
        work = discord_triage.triage_pasted(interaction, self.conversation, text[:TRIAGE_INPUT_MAX])
        await guarded(interaction, work, "triaging a pasted backlog")

    async def _on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.error("/rolecall failed", exc_info=error)
        if not interaction.response.is_done():
            await deliver(send_response(interaction, Reply.note(SORRY, private=True), ephemeral=True),
                          "reporting an error")

    # -- mentions and DMs --

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None or message.author.id == self.user.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        if not self._addressed_to_me(message):
            return
        text = re.sub(rf"<@!?{self.user.id}>", " ", message.content).strip()
        reply = await self.answer(message_from_post(message, text))
        if reply.silent:
            return  # past the rate limit: the core already told this person once, so nothing is sent
        if reply.private and message.guild and await self._tell_privately(message, reply):
            return
        # A quiz card posted in a channel belongs to the person taking it; poll cards are for everyone.
        view = button_view(reply, owner=self.card_owner(reply, message.author.id, shared=message.guild is not None))
        extra: dict[str, Any] = {"view": view} if view else {}
        if message.guild:
            # A reply keeps the thread of the conversation; fail_if_not_exists=False still answers if it was deleted.
            extra["reference"] = message.to_reference(fail_if_not_exists=False)
            extra["mention_author"] = False
        sent = await send(message.channel.send(embed=render(reply), allowed_mentions=NO_PINGS, **extra),
                          f"answering a message in channel {message.channel.id}")
        if sent is not FAILED:
            self.reveal_when_due(reply, sent.edit)

    async def _tell_privately(self, message: discord.Message, reply: Reply) -> bool:
        """A note meant for one person, from a message in a channel: a DM (a channel message cannot be ephemeral).

        False when their DMs are closed, so the caller answers in the channel after all.
        """
        view = button_view(reply)
        extra: dict[str, Any] = {"view": view} if view else {}
        return await deliver(message.author.send(embed=render(reply), allowed_mentions=NO_PINGS, **extra),
                             f"sending a private note to user {message.author.id}")

    def _addressed_to_me(self, message: discord.Message) -> bool:
        """DMs, mentions of the bot (not @everyone), and with the content intent, replies to the bot."""
        assert self.user is not None
        if message.guild is None:
            return True
        if self.user.id in message.raw_mentions:
            return True
        if self.settings.message_content and message.reference is not None:
            resolved = message.reference.resolved
            return isinstance(resolved, discord.Message) and resolved.author.id == self.user.id
        return False

    # -- buttons --

    async def on_choice(self, interaction: discord.Interaction, choice: str, *, owner: str | None) -> None:
        """A click: the card it was on (quiz or poll) is edited in place; a private note goes only to the clicker.

        `owner` is whose card it is (from the custom_id); the core turns away anyone else's click with a note.
        """
        reply = await self.answer(message_from(interaction, choice=choice, card_owner=owner))
        if reply.silent:
            # Past the rate limit: acknowledge the click without a word, and without changing the card.
            await deliver(interaction.response.defer(), f"acknowledging a click on {choice}")
            return
        if reply.private or not any(reply.first(kind) is not None for kind in _CARDS):
            # A note for the clicker alone (a thank-you for 👍/👎, a closed poll): the card stays as everyone sees it.
            await deliver(send_response(interaction, reply, ephemeral=True), f"answering a click on {choice}")
            return
        shared = interaction.guild_id is not None and not (interaction.message and interaction.message.flags.ephemeral)
        view = button_view(reply, owner=self.card_owner(reply, interaction.user.id, shared=shared))
        action = interaction.response.edit_message(embed=render(reply), view=view, allowed_mentions=NO_PINGS)
        card = reply.first(PollCard)
        if await deliver(action, f"updating the message after a click on {choice}") and card and card.closed:
            timer = self._reveals.pop(card.id, None)
            if timer is not None:
                timer.cancel()  # the card already shows the result

    # -- debate polls: the reveal when time is up --

    def reveal_when_due(self, reply: Reply, edit: Editor) -> None:
        """If `reply` shows an open poll, turn its card into the result once time is up, even if nobody clicks.

        The core closes a poll that is due on its next vote, reveal or show; this timer
        only shows the result on time. It lives in this process: after a restart,
        late votes get the core's private "closed" note and anyone's Reveal click
        turns the card into the result.
        """
        card = reply.first(PollCard)
        delay = self.conversation.reveal_delay(reply)
        if card is None or delay is None:
            return
        poll_id = card.id
        task = asyncio.create_task(self._reveal_later(poll_id, edit, delay), name=f"rolecall-reveal-{poll_id}")
        self._reveals[poll_id] = task
        task.add_done_callback(lambda done: self._forget_timer(poll_id, done))

    def _forget_timer(self, poll_id: str, done: asyncio.Task[None]) -> None:
        if self._reveals.get(poll_id) is done:  # not a newer timer for the same poll
            del self._reveals[poll_id]

    async def _reveal_later(self, poll_id: str, edit: Editor, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            reply = await asyncio.to_thread(self.conversation.poll_card, poll_id)
        except Exception as exc:  # poll_card never raises for the store; anything else must not kill the timer loudly
            log.warning("could not reveal poll %s when its time was up: %s", poll_id, exc)
            return
        card = reply.first(PollCard) if reply is not None else None
        if reply is None or card is None or not card.closed:
            return  # gone, unreadable (logged by the core) or, oddly, still open: the next click shows it
        await deliver(edit(embed=render(reply), view=None, allowed_mentions=NO_PINGS),
                      f"revealing poll {poll_id} when its time was up")

    def original_editor(self, interaction: discord.Interaction, message_id: int | None) -> Editor:
        """Edits the message an interaction's answer created: through the interaction's token while it is valid
        (15 minutes), then as the bot's own message in the channel."""
        started = time.monotonic()

        def edit(**kwargs: Any) -> Awaitable[Any]:
            if time.monotonic() - started < _TOKEN_LIFETIME or not message_id or not interaction.channel_id:
                return interaction.edit_original_response(**kwargs)
            return self.get_partial_messageable(interaction.channel_id).get_partial_message(message_id).edit(**kwargs)

        return edit


# -- entry points: rolecall serve discord, rolecall discord sync --------------------------------


def serve(conversation: Conversation, args: argparse.Namespace) -> int:
    """Run the bot until interrupted; a missing or rejected token is one clear line and exit code 2."""
    settings = _settings(args)
    if settings is None:
        return 2
    bot = RolecallBot(conversation, settings)

    async def run() -> None:
        async with bot:
            await bot.start(settings.token)

    return _run_client(run)


def sync_commands(args: argparse.Namespace) -> int:
    """Register /rolecall globally, or copied to one guild with --guild (instant; for development)."""
    settings = _settings(args)
    if settings is None:
        return 2
    guild_id: int | None = getattr(args, "guild", None)

    async def run() -> None:
        _no_voice_warnings()
        client = discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_PINGS)
        tree = app_commands.CommandTree(client)
        tree.add_command(rolecall_group())
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


def _settings(args: argparse.Namespace) -> DiscordSettings | None:
    """The settings with their endpoints applied, or None after printing the one line that says what to fix."""
    try:
        settings = DiscordSettings.from_env(getattr(args, "env_file", ".env"))
    except SettingsError as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return None
    _use_endpoints(settings)
    return settings


def _use_endpoints(settings: DiscordSettings) -> None:
    """Tests only: point discord.py's REST API and gateway (process-wide class attributes) at a local mock."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base.rstrip("/")
        log.warning("using the Discord API at %s (%s is for tests only)", settings.api_base, API_BASE_VARIABLE)
    if settings.gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway)
        log.warning("using the Discord gateway at %s (%s is for tests only)", settings.gateway, GATEWAY_VARIABLE)


def _run_client(run: Callable[[], Coroutine[Any, Any, None]]) -> int:
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
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        print(f"rolecall: could not reach Discord: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


def _no_voice_warnings() -> None:
    """Rolecall never joins voice channels: skip discord.py's warnings about missing voice libraries."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
