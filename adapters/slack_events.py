"""Rolecall on Slack: the one object that turns Slack payloads into `Message`s and the core's replies into Block Kit.

Thin by design: each listener turns one payload (a mention, a DM, /rolecall, a
click, the triage modal) into a `Message`, asks the core through
`Conversation.handle`, and renders the `Reply`. Every listener acknowledges at
once and answers in a task of its own (at most ANSWER_SLOTS at a time); the
synchronous core runs in a worker thread (`asyncio.to_thread`) so a slow store
never delays acknowledgements.

Replies are delivered by one rule everywhere: a silent reply (a flood past the
rate limit) sends nothing; a private reply goes to the person who acted alone
(ephemeral); a button's card is replaced in place only by another card, so a
plain note never wipes the buttons someone may want to click again.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from ..bot import buttons, commands
from ..bot.conversation import HELP_TEXT, Conversation
from ..bot.intents import Intent, Triage
from ..bot.messages import Message, Reply
from ..bot.parts import PollCard, QuizEnded, QuizQuestion, QuizResult, Verdict
from .slack_block_kit import SlackMessage
from .slack_blocks import (
    ACTION_PREFIX,
    TRIAGE_ACTION,
    TRIAGE_BLOCK,
    TRIAGE_CALLBACK,
    card_owner_of,
    home_view,
    render,
    triage_modal,
)
from .slack_delivery import Delivery, Respond
from .slack_poll_cards import PollCards
from .slack_settings import SlackSettings, api_base_url, refuse_oauth_env

log = logging.getLogger(__name__)

PLATFORM = "slack"
ANSWER_SLOTS = 16
"""Answers worked on at once per process; the rest wait their turn. A burst of requests is acknowledged at once
and answered steadily, instead of every answer competing with the acknowledgements for the event loop (and with
each other for the GIL); it also bounds the work a flood can start."""
Ack = Callable[..., Awaitable[Any]]
_COMMAND = re.compile(r"^/rolecall")
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*", re.IGNORECASE)


class SlackFrontEnd:
    """The Bolt app with Rolecall's listeners, the HTTP session they share, and the answers still being worked on."""

    def __init__(self, conversation: Conversation, settings: SlackSettings):
        refuse_oauth_env()
        self.conversation = conversation
        self.settings = settings
        self.delivery = Delivery(conversation.metrics)
        self.polls = PollCards(conversation, self.delivery, self._guarded)
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(ANSWER_SLOTS)
        self.app = self._bolt_app()

    def _bolt_app(self) -> AsyncApp:
        client = AsyncWebClient(token=self.settings.bot_token, base_url=api_base_url(self.settings.api_url))
        # process_before_response: Bolt answers Slack's HTTP request as soon as a listener returns, and every listener
        # only acknowledges and hands the real work to a task of its own (see _spawn). Without it Bolt polls every
        # 10 ms for ack() from a background listener, which adds tens of milliseconds under load.
        # Bolt's loggers copy the root level when they are made; given a base logger under "slack_bolt" they take its
        # (unset) level instead, so serve() can keep all of them, and their payload dumps, at INFO.
        app = AsyncApp(client=client, signing_secret=self.settings.signing_secret, name="rolecall",
                       process_before_response=True, logger=logging.getLogger("slack_bolt.rolecall"))
        app.use(_IgnoreRetries())
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        app.command(_COMMAND)(self.on_command)
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_click)
        app.view(TRIAGE_CALLBACK)(self.on_triage_submit)
        app.error(self.on_error)
        return app

    # -- the HTTP session and shutting down ------------------------------------------------

    async def open_session(self) -> None:
        """One HTTP session (a pool of keep-alive connections) for every Web API call and response_url post.

        Without it slack_sdk opens a new session, and a new connection, per call. Bolt hands `app.client.session` to
        the client it builds for each request, so setting it here covers every listener.
        """
        if self.delivery.session is None:
            self.delivery.session = aiohttp.ClientSession()
            self.app.client.session = self.delivery.session

    async def close_session(self) -> None:
        if self.delivery.session is not None:
            session, self.delivery.session = self.delivery.session, None
            self.app.client.session = None
            await session.close()

    async def drain(self, timeout: float) -> None:
        """Drop the poll reveal timers and wait (up to `timeout` seconds) for answers still being worked on."""
        self.polls.cancel_timers()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # -- listeners: acknowledge at once, answer in a task ----------------------------------

    async def on_mention(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        self._spawn(self._mention(event, context, client), "app_mention")

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        self._spawn(self._dm(event, context, client), "message")

    async def on_home_opened(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        self._spawn(self._home(event, client), "app_home_opened")

    async def on_command(self, ack: Ack, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient,
                         respond: Respond) -> None:
        await ack()  # within Slack's 3 seconds, before any work; the answer follows via response_url or the Web API
        self._spawn(self._command(command, context, client, respond), "slash command")

    async def on_click(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext,
                       client: AsyncWebClient, respond: Respond) -> None:
        await ack()
        self._spawn(self._click(body, action, context, client, respond), "block_actions")

    async def on_triage_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext,
                               client: AsyncWebClient) -> None:
        """The triage modal's Submit: an empty box keeps the modal open with an error; else it closes at once."""
        values = ((view.get("state") or {}).get("values") or {}).get(TRIAGE_BLOCK) or {}
        text = (values.get(TRIAGE_ACTION) or {}).get("value") or ""
        if not text.strip():
            # an "errors" response keeps the modal open with the message under the box (https://docs.slack.dev/surfaces/modals)
            await ack(response_action="errors", errors={TRIAGE_BLOCK: "Paste at least one task, one per line."})
            return
        await ack()  # closes the modal
        self._spawn(self._triage_submitted(text, body, view, context, client), "view_submission")

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        # The payload is not logged: it carries user text and Slack's legacy verification token.
        log.error("unhandled error for a Slack %s payload", body.get("type") or body.get("command") or "unknown",
                  exc_info=error)

    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run one answer in the background; the task is kept until done, and an error in it is logged."""
        task = asyncio.get_running_loop().create_task(self._guarded(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            async with self._slots:
                await work
        except Exception as exc:  # a bug costs one answer, never the app; the payload is not logged
            self.conversation.metrics.inc("rolecall_errors_total", kind="slack")
            log.error("error answering a Slack %s", what, exc_info=exc)
        finally:
            if inspect.getcoroutinestate(work) == inspect.CORO_CREATED:
                work.close()  # cancelled (shutting down) while waiting for a slot: it never started

    # -- answers ---------------------------------------------------------------------

    async def _mention(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """@Rolecall in a channel: the answer goes to a thread under the question."""
        if event.get("bot_id") or not event.get("user"):
            return
        text = _LEADING_MENTION.sub("", event.get("text") or "", count=1)
        channel, thread = event.get("channel", ""), event.get("thread_ts") or event.get("ts")
        reply = await self._handle(_message(context, channel=channel, user=event["user"], text=text))
        await self._send(client, reply, channel=channel, user=event["user"], thread_ts=thread)

    async def _dm(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """A direct message: the same conversation as the terminal chat, quiz included."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, deletions, joins and other bots' messages are not questions
        channel = event.get("channel", "")
        reply = await self._handle(_message(context, channel=channel, user=event["user"], text=event.get("text") or ""))
        await self._send(client, reply, channel=channel, user=event["user"], thread_ts=event.get("thread_ts"))

    async def _home(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """The App Home tab: what Rolecall is, example questions and a Start quiz button."""
        if event.get("tab") != "home" or not event.get("user"):
            return
        # Opening a tab is not a message: it neither counts against the rate limit nor shows up in the metrics.
        await self.delivery.call("views.publish", lambda: client.views_publish(user_id=event["user"],
                                                                               view=home_view(HELP_TEXT)))

    async def _command(self, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient,
                       respond: Respond) -> None:
        """/rolecall who|ask|debate|triage|quiz|result|help (see `commands.SUBCOMMANDS`).

        A public subcommand (`who`, `debate`) answers the channel, and `debate` posts its poll card as a message of
        Rolecall's own; a bare `triage` opens the triage modal; everything else (and every private reply) only the
        asker sees.
        """
        text = command.get("text") or ""
        sub, intent = commands.parse(text)
        user, channel = command.get("user_id", ""), command.get("channel_id", "")
        bare_triage = isinstance(intent, Triage) and not intent.text.strip() and command.get("trigger_id")
        if bare_triage and await self._open_triage(client, trigger_id=command["trigger_id"], channel=channel):
            return  # the answer follows the modal's submission
        reply = await self._handle(_message(context, channel=channel, user=user, text=text), intent)
        if reply.silent:
            return  # a flood past the rate limit: say nothing
        rendered = self._render(reply, user)
        public = sub.public and not reply.private
        if public and reply.first(PollCard) is not None:
            # A poll card is a message of Rolecall's own, so every vote can update it in place with chat.update;
            # where Rolecall may not post (a channel it was not invited to) the command's response_url still can.
            posted = await self.delivery.post(client, channel=channel, thread_ts=None, message=rendered)
            if posted is not None:
                self.polls.reveal_on_time(client, channel=channel, posted=posted, reply=reply)
                return
        await self.delivery.respond(respond, rendered, response_type="in_channel" if public else "ephemeral")

    async def _click(self, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext,
                     client: AsyncWebClient, respond: Respond) -> None:
        """A button: the core gets its choice id and whose card it was on. A card in reply replaces the clicked card
        (a poll card through chat.update, kept in step with the poll); a private reply or a plain note goes to the
        clicker alone, so someone else's quiz card is refused by the core without being touched."""
        user = (body.get("user") or {}).get("id", "")
        choice = action.get("value") or ""
        container = body.get("container") or {}
        if container.get("type") == "view":
            await self._start_in_dm(client, context, user=user, choice=choice)
            return
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        owner = card_owner_of(action.get("block_id") or "")
        reply = await self._handle(_message(context, channel=channel, user=user, choice=choice, card_owner=owner))
        if reply.silent:
            return  # a flood past the rate limit: say nothing
        card = reply.first(PollCard)
        if reply.private or not _is_card(reply):
            # A note for the clicker alone (a thank-you, a closed poll, "try again in a moment"): the card stays as
            # everyone sees it, buttons included.
            await self.delivery.note(client, body, respond, user=user, message=self._render(reply, user))
            if card is not None and card.closed and _shows_open_poll(body, card.id):
                await self.polls.sync(client, body, respond, None, card.id)  # it closed on time: show the result
            return
        if card is not None:
            await self.polls.sync(client, body, respond, reply, card.id)
            return
        await self.delivery.update_card(client, body, self._render(reply, user), respond)

    async def _triage_submitted(self, text: str, body: dict[str, Any], view: dict[str, Any],
                                context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """The triage table goes to the asker as one message: their DM with Rolecall, or privately in the channel
        they asked from when a DM is not possible."""
        user = (body.get("user") or {}).get("id", "")
        channel = _metadata(view.get("private_metadata")).get("channel") or ""
        reply = await self._handle(_message(context, channel=channel, user=user, text=text), Triage(text))
        if reply.silent:
            return
        message = render(reply)
        if await self.delivery.post(client, channel=user, thread_ts=None, message=message) is None and channel:
            await self.delivery.ephemeral(client, channel=channel, user=user, thread_ts=None, message=message)

    # -- helpers ---------------------------------------------------------------------

    async def _handle(self, message: Message, intent: Intent | None = None) -> Reply:
        return await asyncio.to_thread(self.conversation.handle, message, intent)

    def _render(self, reply: Reply, user: str) -> SlackMessage:
        """Block Kit for a reply to `user`; a card that is theirs alone (a quiz card) carries their id on its buttons,
        so a click on it by anyone else is refused by the core."""
        return render(reply, owner=self.conversation.card_owner(reply, user))

    async def _send(self, client: AsyncWebClient, reply: Reply, *, channel: str, user: str,
                    thread_ts: str | None) -> None:
        """A reply to a message: nothing when silent, ephemeral when private, else a post."""
        if reply.silent:
            return
        message = self._render(reply, user)
        if reply.private:
            await self.delivery.ephemeral(client, channel=channel, user=user, thread_ts=thread_ts, message=message)
            return
        posted = await self.delivery.post(client, channel=channel, thread_ts=thread_ts, message=message)
        if posted is not None:
            self.polls.reveal_on_time(client, channel=channel, posted=posted, reply=reply)

    async def _start_in_dm(self, client: AsyncWebClient, context: AsyncBoltContext, *, user: str, choice: str) -> None:
        """The App Home button: the quiz runs in the person's DM with Rolecall, where typed answers work too."""
        opened = await self.delivery.call("conversations.open", lambda: client.conversations_open(users=user))
        channel = (opened.get("channel") or {}).get("id") if opened is not None else None
        if not channel:
            return
        reply = await self._handle(_message(context, channel=channel, user=user, choice=choice))
        await self._send(client, reply, channel=channel, user=user, thread_ts=None)

    async def _open_triage(self, client: AsyncWebClient, *, trigger_id: str, channel: str) -> bool:
        """Open the triage modal; False when Slack refused (an expired trigger), so the caller answers instead."""
        view = triage_modal(json.dumps({"channel": channel}, separators=(",", ":")))
        opened = await self.delivery.call("views.open", lambda: client.views_open(trigger_id=trigger_id, view=view))
        return opened is not None


class _IgnoreRetries(AsyncMiddleware):
    """Acknowledge Slack's retries without acting on them, so an answer is never posted twice.

    Slack retries an event it thinks was not acknowledged in time and marks it with
    X-Slack-Retry-Num (https://api.slack.com/apis/events-api#retries); Socket Mode's
    retry_attempt arrives as the same header, with 0 on the first delivery.
    """

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        attempt = (req.headers.get("x-slack-retry-num") or [""])[0]
        if attempt and attempt != "0":
            reason = (req.headers.get("x-slack-retry-reason") or ["unknown"])[0]
            log.info("ignoring Slack's retry %s (%s): the first delivery was already handled", attempt, reason)
            return BoltResponse(status=200, body="")
        return await next()


def _message(context: AsyncBoltContext, *, channel: str, user: str, text: str = "", choice: str | None = None,
             card_owner: str | None = None) -> Message:
    workspace = context.team_id or context.enterprise_id or ""
    return Message(text=text, platform=PLATFORM, workspace=workspace, channel=channel, user=user, choice=choice,
                   card_owner=card_owner)


def _is_card(reply: Reply) -> bool:
    """Whether a reply to a click is a card that can stand in for the clicked one (else it is a note)."""
    cards = (Verdict, QuizQuestion, QuizResult, QuizEnded, PollCard)
    return bool(reply.choices) or any(isinstance(part, cards) for part in reply.parts)


def _shows_open_poll(body: dict[str, Any], poll_id: str) -> bool:
    """Whether the clicked message still shows the vote buttons of `poll_id` (it closed on time, unrevealed)."""
    blocks = (body.get("message") or {}).get("blocks") or []
    return any(buttons.poll_of(str(element.get("value", ""))) == poll_id
               for block in blocks if block.get("type") == "actions" for element in block.get("elements") or [])


def _metadata(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
