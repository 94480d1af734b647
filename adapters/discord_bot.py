"""The Discord front end: `/rolecall` slash commands, "Who owns this?" on a message, mentions and DMs, buttons.

A thin discord.py adapter. It turns interactions and messages into the core's
`Message`, hands them to `Conversation`, and sends the `Reply` as an embed with
buttons (`discord_render`, `discord_buttons`), or a backlog triage as a code
block or an attached file (`discord_triage`). Every decision lives in the core,
so Discord answers exactly as the terminal and Slack do. This module is the
client: its events and clicks, its shutdown, and `rolecall serve discord`.

Platform rules handled here, at the edge:
- Discord's 3-second deadline: every interaction goes through an `Answer`, which
  acknowledges it first when the core is slow (a locked store) and answers after.
- SIGTERM/SIGINT: stop taking work, let what is in flight finish or tell those
  people to try again, close the connection cleanly, exit 0 (`shutdown`).
- Privacy: what someone does in private in a server channel (an ephemeral
  /rolecall quiz) is kept apart from that channel's public conversation, so it
  never shows up in a public reply to a mention (`discord_io.message_from`).

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
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from ..bot import buttons
from ..bot.commands import Subcommand
from ..bot.conversation import SORRY, Conversation
from ..bot.intents import AboutMessage, Intent
from ..bot.messages import Message, Reply
from ..bot.parts import ContactPing, PollCard, QuizEnded, QuizQuestion, QuizResult
from . import discord_triage
from .discord_answer import RESTARTING, SLOW_DOWN, Answer
from .discord_buttons import ChoiceButton, button_view
from .discord_commands import TRIAGE_INPUT_ID, TRIAGE_INPUT_MAX, TRIAGE_MODAL_ID, add_commands, submitted_value
from .discord_contact import ping_message
from .discord_io import FAILED, NO_PINGS, deliver, message_from, message_from_post, send
from .discord_polls import PollCards
from .discord_render import render
from .discord_run import invite_url, no_voice_warnings, run_client, settings_from, stop_on_signals
from .discord_run import sync_commands as sync_commands
from .discord_settings import DiscordSettings
from .discord_work import CorePool, Jobs

log = logging.getLogger(__name__)

_CARDS = (QuizQuestion, QuizResult, QuizEnded, PollCard)
"""Parts that are a card edited in place by the clicks on it (a quiz, a poll), not a note for the clicker."""
DRAIN_SECONDS = 5.0
"""On SIGTERM, how long answers in progress may take to finish before their people are told to try again."""
CLOSE_SECONDS = 2.0
"""How long closing the connection may take; with the drain and the farewells, a stop takes well under 10 s."""
CORE_THREADS, TRIAGE_THREADS = 8, 2
"""Threads for the core's quick work and, apart, for backlog triages (CPU-heavy), so triages never crowd out a quiz
step or a vote."""
NOTHING_TO_READ = ("That message has no text I can read (only an embed, an image or a file). Ask me in your own "
                   "words with /rolecall ask.")
"""For "Who owns this?" on a message without text."""


class RolecallBot(discord.Client):
    """The Discord client: holds the core's Conversation and a CommandTree with /rolecall."""

    def __init__(self, conversation: Conversation, settings: DiscordSettings, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True           # guild and channel objects for interactions and mentions
        intents.guild_messages = True   # MESSAGE_CREATE in channels (content only when we are mentioned)
        intents.dm_messages = True      # MESSAGE_CREATE in DMs
        intents.message_content = settings.message_content
        options.setdefault("chunk_guilds_at_startup", False)
        no_voice_warnings()
        super().__init__(intents=intents, allowed_mentions=NO_PINGS, **options)
        self.conversation = conversation
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        add_commands(self.tree)
        self.tree.error(self._on_command_error)
        self.core = CorePool("rolecall-core", CORE_THREADS)
        self.triage_pool = CorePool("rolecall-triage", TRIAGE_THREADS)
        self.jobs = Jobs()
        self.polls = PollCards(self, conversation, self.core)
        self.drain_seconds = DRAIN_SECONDS
        self._background: set[asyncio.Task[None]] = set()
        self._gateway: asyncio.Future[None] | None = None

    async def setup_hook(self) -> None:
        # Buttons on messages sent before a restart keep working: the custom_id is all we need.
        self.add_dynamic_items(ChoiceButton)
        # ... and so do the reveal timers of the polls still open.
        self._in_background(self.polls.resume())

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (id %s) in %d guild(s); invite link: %s", self.user,
                 getattr(self.user, "id", "?"), len(self.guilds), invite_url(self.application_id or "APPLICATION_ID"))

    async def connect(self, *, reconnect: bool = True) -> None:
        """The gateway connection, in a task of its own, so that `shutdown` can stop reading from it first."""
        self._gateway = asyncio.ensure_future(super().connect(reconnect=reconnect))
        try:
            await self._gateway
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we were cancelled ourselves, not just the gateway by `shutdown`

    async def shutdown(self) -> None:
        """Stop taking work, let what is in flight finish (or tell those people to try again), then close.

        The gateway stays connected while answers finish, so interactions that arrive meanwhile
        are still told to come back later. Then reading from it stops before it is closed:
        discord.py's reader would otherwise answer the close with code 4000 ("resume later")
        instead of 1000, and Discord would keep the session alive for a while instead of
        ending it at once.
        """
        if self.jobs.closing:
            self.jobs.hurry()  # a second signal: stop waiting
            return
        log.info("stopping: no new work is taken")
        await self.jobs.drain(self.drain_seconds)
        gateway = self._gateway
        if gateway is not None and not gateway.done():
            gateway.cancel()
            await asyncio.wait({gateway}, timeout=0.5)
        try:
            await asyncio.wait_for(self.close(), CLOSE_SECONDS)
        except TimeoutError:
            log.warning("Discord did not answer the close within %.0f s; stopping anyway", CLOSE_SECONDS)

    async def close(self) -> None:
        self.polls.cancel_all()
        for task in list(self._background):
            task.cancel()
        await super().close()

    async def answer(self, message: Message, intent: Intent | None = None) -> Reply:
        """The core's reply, off the event loop, since the store may touch the disk or the network."""
        return await self.core.run(self.conversation.handle, message, intent)

    async def triage(self, message: Message, intent: Intent) -> Reply:
        return await self.triage_pool.run(self.conversation.handle, message, intent)

    def card_owner(self, reply: Reply, user_id: int, *, shared: bool) -> str | None:
        """Whose id goes into the buttons: only on a card others can see (in a channel, not ephemeral)."""
        return self.conversation.card_owner(reply, str(user_id)) if shared else None

    # -- interactions: commands (built by discord_commands from the core's table), forms, clicks --

    async def run_subcommand(self, interaction: discord.Interaction, sub: Subcommand, argument: str) -> None:
        intent = sub.intent(argument)
        public = sub.posts_publicly(intent)
        answer = Answer(interaction, f"answering /rolecall {sub.name}", private=not public)

        async def work() -> None:
            reply = await answer.in_time(self.answer(message_from(interaction, private=not public), intent))
            if reply.silent:  # past the rate limit: the core told them once; Discord needs an answer every time
                await answer.note(Reply.note(SLOW_DOWN, private=True))
                return
            ephemeral = reply.private or not public
            shared = bool(interaction.guild_id) and not ephemeral
            view = button_view(reply, owner=self.card_owner(reply, interaction.user.id, shared=shared))
            embed = render(reply, typed=_can_type_to(interaction, ephemeral=ephemeral))
            message_id = await answer.send(embed, view, ephemeral=ephemeral)
            if message_id is not None and not ephemeral:
                await self.polls.posted(reply, channel_id=interaction.channel_id, message_id=message_id,
                                        edit=self.polls.response_editor(interaction, message_id))

        await self._interaction(answer, work())

    async def triage_attachment(self, interaction: discord.Interaction, attachment: discord.Attachment) -> None:
        answer = Answer(interaction, "triaging an attached backlog")
        await self._interaction(answer, discord_triage.triage_attachment(answer, self.triage, attachment))

    async def about_message(self, interaction: discord.Interaction, target: discord.Message) -> None:
        """ "Who owns this?" on a message: the core's answer about its text, only for the person who asked, with a
        "Share in channel" button (`on_choice` posts it for everyone)."""
        answer = Answer(interaction, "answering 'Who owns this?' on a message")
        text = target.content.strip()  # in the interaction's resolved message, with or without the content intent

        async def work() -> None:
            if not text:
                await answer.note(Reply.note(NOTHING_TO_READ, private=True))
                return
            reply = await answer.in_time(self.answer(message_from(interaction, private=True), AboutMessage(text)))
            if reply.silent:  # past the rate limit: Discord needs an answer every time
                await answer.note(Reply.note(SLOW_DOWN, private=True))
                return
            embed = render(reply, typed=_can_type_to(interaction, ephemeral=True))
            await answer.send(embed, button_view(reply), ephemeral=True)

        await self._interaction(answer, work())

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Submissions of the triage form, matched by custom_id (see discord_commands.TriageForm)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        if data.get("custom_id") != TRIAGE_MODAL_ID:
            return
        text = submitted_value(data.get("components"), TRIAGE_INPUT_ID) or ""
        answer = Answer(interaction, "triaging a pasted backlog")
        await self._interaction(answer, discord_triage.triage_pasted(answer, self.triage, text[:TRIAGE_INPUT_MAX]))

    async def on_choice(self, interaction: discord.Interaction, choice: str, *, owner: str | None) -> None:
        """A click: the card it was on (quiz or poll) is edited in place; a private note goes only to the clicker.

        `owner` is whose card it is (from the custom_id); the core turns away anyone else's click with a note.
        "Share in channel" posts the core's answer as a new message for everyone, in the channel's conversation, and
        so does "Debate" on a private triage table: the new poll's card, kept in step with its votes and revealed on
        time like any other; "Ask <contact>" posts the question for the configured role (`discord_contact`).
        """
        answer = Answer(interaction, f"answering a click on {choice}")
        on_private_card = bool(interaction.message and interaction.message.flags.ephemeral)
        public = buttons.is_public(choice)

        async def work() -> None:
            message = message_from(interaction, choice=choice, card_owner=owner,
                                   private=on_private_card and not public)
            reply = await answer.in_time(self.answer(message))
            if reply.silent:  # past the rate limit: acknowledged without a word, the card unchanged
                await answer.quietly()
                return
            ping = reply.first(ContactPing)
            if ping is not None:  # "Ask <contact>": a new message for the channel, pinging that one role at most
                await answer.post_text(*ping_message(ping, in_guild=interaction.guild_id is not None))
                return
            if public and not reply.private:
                view = button_view(reply, owner=self.card_owner(reply, interaction.user.id,
                                                                shared=interaction.guild_id is not None))
                posted = await answer.post(render(reply), view)
                if posted is not None:
                    channel_id = interaction.channel_id
                    await self.polls.posted(reply, channel_id=channel_id, message_id=posted.id,
                                            edit=self.polls.token_editor(posted.edit, channel_id, posted.id))
                return
            if reply.private or not any(reply.first(kind) is not None for kind in _CARDS):
                # A note for the clicker alone (a thank-you for 👍/👎, a closed poll): the card stays as everyone sees it.
                await answer.note(reply)
                return
            card = reply.first(PollCard)
            if card is not None and interaction.message is not None:
                await self.polls.clicked(answer, interaction.message.id, reply, card)
                return
            shared = interaction.guild_id is not None and not on_private_card
            view = button_view(reply, owner=self.card_owner(reply, interaction.user.id, shared=shared))
            await answer.update(render(reply, typed=_can_type_to(interaction, ephemeral=on_private_card)), view)

        await self._interaction(answer, work())

    async def _interaction(self, answer: Answer, work: Awaitable[None]) -> None:
        """Run one interaction's work: counted as in flight, refused politely while stopping, a bug apologised for."""
        with self.jobs.track(answer.farewell):
            if self.jobs.closing:
                await answer.note(Reply.note(RESTARTING, private=True))
                _close(work)
                return
            try:
                await work
            except Exception:
                log.exception("%s failed", answer.what)
                await answer.note(Reply.note(SORRY, private=True))

    async def _on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.error("/rolecall failed", exc_info=error)
        await Answer(interaction, "reporting an error").note(Reply.note(SORRY, private=True))

    # -- mentions and DMs --

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None or message.author.id == self.user.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        if not self._addressed_to_me(message):
            return
        answered = False

        async def farewell() -> None:
            if not answered:
                await self._post(message, Reply.note(RESTARTING, private=True))

        with self.jobs.track(farewell):
            if self.jobs.closing:
                await farewell()
                return
            text = re.sub(rf"<@!?{self.user.id}>", " ", message.content).strip()
            reply = await self.answer(message_from_post(message, text))
            answered = True
            if reply.silent:
                return  # past the rate limit: the core already told this person once, so nothing is sent
            if reply.private and message.guild and await self._tell_privately(message, reply):
                return
            # A quiz card posted in a channel belongs to the person taking it; poll cards are for everyone.
            owner = self.card_owner(reply, message.author.id, shared=message.guild is not None)
            sent = await self._post(message, reply, owner=owner)
            if sent is not FAILED:
                await self.polls.posted(reply, channel_id=message.channel.id, message_id=sent.id, edit=sent.edit)

    async def _post(self, message: discord.Message, reply: Reply, *, owner: str | None = None) -> Any:
        """The reply in the channel the message came from: in a server, as a reply to it (without a ping)."""
        view = button_view(reply, owner=owner)
        extra: dict[str, Any] = {"view": view} if view else {}
        if message.guild:
            # A reply keeps the thread of the conversation; fail_if_not_exists=False still answers if it was deleted.
            extra["reference"] = message.to_reference(fail_if_not_exists=False)
            extra["mention_author"] = False
        return await send(message.channel.send(embed=render(reply), allowed_mentions=NO_PINGS, **extra),
                          f"answering a message in channel {message.channel.id}")

    async def _tell_privately(self, message: discord.Message, reply: Reply) -> bool:
        """A note meant for one person, from a message in a channel: a DM (a channel message cannot be ephemeral).

        False when their DMs are closed, so the caller answers in the channel after all.
        """
        view = button_view(reply)
        extra: dict[str, Any] = {"view": view} if view else {}
        return await deliver(message.author.send(embed=render(reply), allowed_mentions=NO_PINGS, **extra),
                             f"sending a private note to user {message.author.id}")

    def _addressed_to_me(self, message: discord.Message) -> bool:
        """DMs, mentions of the bot (not @everyone), replies that ping it, and with the content intent, any reply
        to the bot.

        Mentions are read from the message's `mentions`, which Discord fills in whatever the text says: a reply
        that pings the bot mentions it without an `<@id>` in its content.
        """
        assert self.user is not None
        if message.guild is None:
            return True
        if any(user.id == self.user.id for user in message.mentions):
            return True
        if self.settings.message_content and message.reference is not None:
            resolved = message.reference.resolved
            return isinstance(resolved, discord.Message) and resolved.author.id == self.user.id
        return False

    def _in_background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _can_type_to(interaction: discord.Interaction, *, ephemeral: bool) -> bool:
    """Whether typing to the bot reaches this card's conversation: not for a private card in a server channel,
    whose conversation is kept apart from the channel's (so its "say back, skip ..." hint is left out)."""
    return not (ephemeral and interaction.guild_id)


def _close(work: Awaitable[None]) -> None:
    """Work that will not run (the bot is stopping): closed, so Python does not warn it was never awaited."""
    close: Callable[[], None] | None = getattr(work, "close", None)
    if close is not None:
        close()


# -- the entry point: rolecall serve discord (rolecall discord sync is discord_run.sync_commands) ------------------


def serve(conversation: Conversation, args: argparse.Namespace) -> int:
    """Run the bot until SIGTERM or SIGINT; a missing or rejected token is one clear line and exit code 2."""
    settings = settings_from(args)
    if settings is None:
        return 2
    bot = RolecallBot(conversation, settings)

    async def run() -> None:
        stopping: list[asyncio.Task[None]] = []
        stop_on_signals(lambda: stopping.append(asyncio.ensure_future(bot.shutdown())))
        try:
            async with bot:
                await bot.start(settings.token)
        except Exception:
            if not stopping:
                raise
            log.debug("stopped while connecting", exc_info=True)  # asked to stop before it was connected
        if stopping:
            await asyncio.gather(*stopping, return_exceptions=True)

    return run_client(run)
