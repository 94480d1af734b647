"""The Slack front end: slack-bolt (async) events in, the core's replies out as Block Kit.

Thin by design: each listener turns one Slack payload into a `Message` (or a
`Command` for /rolecall), asks the core, and renders the `Reply`. Every
listener acknowledges at once and answers in a task of its own (at most
ANSWER_SLOTS at a time); the synchronous core runs in a worker thread
(`asyncio.to_thread`) so a slow store never delays acknowledgements.

- `create_app(...)` builds the Bolt app; `create_web_app(app, conversation)`
  serves it over HTTP (POST /slack/events, GET /healthz, GET /metrics);
  `run(...)` and `serve(...)` start Socket Mode when SLACK_APP_TOKEN is set,
  else the HTTP server.
- Replies are delivered by one rule everywhere: an empty reply text (a flood
  past the rate limit) sends nothing; a private reply goes to the person who
  acted alone (ephemeral); a button's card is replaced in place only by another
  card, so a plain note never wipes the buttons someone may want to click again.
- Debate poll cards are posted with chat.postMessage and kept in step with the
  poll with chat.update: each worker re-reads the poll after every update it
  sends and sends again if the tally moved on, so concurrent votes on several
  workers always leave the card showing the final tally. When a poll's time is
  up, a timer in the worker that posted it turns the card into the result.
- Web API failures are logged and never stop the app: a rate limit is waited
  out once (Retry-After), a missing channel is logged, network errors are logged.
  Logs carry no message text (the core logs text only at DEBUG) and no tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import inspect
import json
import logging
import os
import re
import signal
import sys
import weakref
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Coroutine

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from ..bot.commands import Command, parse
from ..bot.conversation import HELP_TEXT, Conversation
from ..bot.messages import Message, Reply

from .settings import SettingsError, load_env_file, optional, require
from .slack_blocks import (ACTION_PREFIX, CHOICES_BLOCK, TRIAGE_ACTION, TRIAGE_BLOCK, TRIAGE_CALLBACK, SlackMessage,
                           escape, home_view, render, triage_message, triage_modal)

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus' text exposition format."""
_FRONT_ENDS: "weakref.WeakKeyDictionary[AsyncApp, _SlackFrontEnd]" = weakref.WeakKeyDictionary()
ANSWER_SLOTS = 16
"""Answers worked on at once per process; the rest wait their turn. A burst of requests is acknowledged at once
and answered steadily, instead of every answer competing with the acknowledgements for the event loop (and with
each other for the GIL); it also bounds the work a flood can start."""
REVEAL_GRACE = 0.1
"""Seconds after a poll's time is up before its card is revealed (so the poll is surely due when read)."""
MAX_CARD_REFRESHES = 50
"""Re-reads of one poll card per click before giving up keeping it in step (only reached under a vote storm)."""
DEFAULT_API_URL = "https://slack.com/api/"
MAX_RETRY_WAIT = 30.0
"""The longest Retry-After we wait out before the one retry; longer limits are logged and dropped."""
_COMMAND = re.compile(r"^/rolecall")
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*", re.IGNORECASE)
_CHANNEL_TROUBLE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "cannot_dm_bot",
                    "user_not_in_channel", "messages_tab_disabled"}
_BAD_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
NOT_YOUR_CARD = "This quiz card belongs to someone else. Start your own with /rolecall quiz, or message me directly."


# -- settings -----------------------------------------------------------------------

@dataclass(frozen=True)
class SlackSettings:
    """What `rolecall serve slack` needs, read from the environment (tokens are never shown in repr)."""

    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_env(cls) -> "SlackSettings":
        """Read and check SLACK_* variables; a SettingsError names the one to fix."""
        _refuse_oauth_env()
        bot_token = require("SLACK_BOT_TOKEN", "set it to the app's Bot User OAuth Token (xoxb-...) from "
                                                "OAuth & Permissions; see docs/slack.md")
        if not bot_token.startswith("xox"):
            raise SettingsError("SLACK_BOT_TOKEN does not look like a Slack token: use the Bot User OAuth Token (xoxb-...)")
        app_token = optional("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token (xapp-...) with the connections:write scope; "
                                "unset it to run in HTTP mode")
        if app_token:
            signing_secret = optional("SLACK_SIGNING_SECRET", "") or ""
        else:
            signing_secret = require("SLACK_SIGNING_SECRET", "HTTP mode verifies every request with it: copy the Signing "
                                                             "Secret from Basic Information (or set SLACK_APP_TOKEN for Socket Mode)")
        return cls(bot_token=bot_token, signing_secret=signing_secret, app_token=app_token,
                   api_url=api_base_url(optional("SLACK_API_URL")))


def api_base_url(url: str | None) -> str:
    """SLACK_API_URL as the Web API base URL; slack_sdk joins method names to it, so it must end in '/'."""
    if not url:
        return DEFAULT_API_URL
    if not re.match(r"^https?://[^/\s]+", url):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, not {url!r}")
    return url.rstrip("/") + "/"


def _refuse_oauth_env() -> None:
    # Bolt silently switches to OAuth (multi-workspace installs) when both are set and then ignores the bot token.
    if os.environ.get("SLACK_CLIENT_ID") is not None and os.environ.get("SLACK_CLIENT_SECRET") is not None:
        raise SettingsError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set: Rolecall runs with SLACK_BOT_TOKEN for one "
                            "workspace, and these would switch slack-bolt to OAuth installs; unset them")


# -- the app ---------------------------------------------------------------------------

def create_app(conversation: Conversation, *, token: str, signing_secret: str, base_url: str | None = None) -> AsyncApp:
    """A Bolt app with Rolecall's listeners; `base_url` is the Web API base URL (SLACK_API_URL)."""
    _refuse_oauth_env()
    client = AsyncWebClient(token=token, base_url=api_base_url(base_url))
    # process_before_response: Bolt answers Slack's HTTP request as soon as a listener returns, and every listener
    # only acknowledges and hands the real work to a task of its own (see _SlackFrontEnd._spawn). Without it Bolt
    # polls every 10 ms for ack() from a background listener, which adds tens of milliseconds under load.
    # Bolt's loggers copy the root level when they are made; given a base logger under "slack_bolt" they take its
    # (unset) level instead, so serve() can keep all of them, and their payload dumps, at INFO.
    app = AsyncApp(client=client, signing_secret=signing_secret, name="rolecall", process_before_response=True,
                   logger=logging.getLogger("slack_bolt.rolecall"))
    front = _SlackFrontEnd(conversation)
    _FRONT_ENDS[app] = front
    app.use(_IgnoreRetries())
    app.event("app_mention")(front.on_mention)
    app.event("message")(front.on_message)
    app.event("app_home_opened")(front.on_home_opened)
    app.command(_COMMAND)(front.on_command)
    app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(front.on_click)
    app.view(TRIAGE_CALLBACK)(front.on_triage_submit)
    app.error(front.on_error)
    return app


async def drain(app: AsyncApp, timeout: float = 10.0) -> None:
    """Before shutting down: drop the poll reveal timers and wait (up to `timeout` seconds) for answers still being
    worked on."""
    front = _FRONT_ENDS.get(app)
    if front is not None:
        await front.drain(timeout)


def create_web_app(app: AsyncApp, conversation: Conversation) -> web.Application:
    """The HTTP mode server: Slack's default POST /slack/events, GET /healthz for load balancers (200 when the
    store answers, else 503 while questions are still answered) and GET /metrics for Prometheus."""

    async def events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.Response:
        if await asyncio.to_thread(_store_answers, conversation):
            return web.json_response({"status": "ok", "store": "ok"})
        return web.json_response({"status": "degraded", "store": "unreachable"}, status=503)

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=conversation.metrics.render().encode("utf-8"),
                            headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def open_session(_web_app: web.Application) -> None:
        await _open_session(app)

    async def close_session(_web_app: web.Application) -> None:
        await _close_session(app)

    web_app = web.Application()
    web_app.add_routes([web.post(EVENTS_PATH, events), web.get(HEALTH_PATH, health), web.get(METRICS_PATH, metrics)])
    web_app.on_startup.append(open_session)
    web_app.on_cleanup.append(close_session)
    return web_app


async def _open_session(app: AsyncApp) -> None:
    """One HTTP session (a pool of keep-alive connections) for every Web API call and response_url post.

    Without it slack_sdk opens a new session, and a new connection, per call. Bolt hands `app.client.session` to
    the client it builds for each request, so setting it here covers every listener.
    """
    front = _FRONT_ENDS.get(app)
    if front is not None and front.session is None:
        front.session = aiohttp.ClientSession()
        app.client.session = front.session


async def _close_session(app: AsyncApp) -> None:
    front = _FRONT_ENDS.get(app)
    if front is not None and front.session is not None:
        session, front.session = front.session, None
        app.client.session = None
        await session.close()


def _store_answers(conversation: Conversation) -> bool:
    ping = getattr(conversation.store, "ping", None)
    if ping is None:
        return True  # a store without a health check (memory) cannot be unreachable
    try:
        return bool(ping())
    except Exception:  # a health check must answer, whatever the store raises
        return False


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


class _SlackFrontEnd:
    """Bolt listeners: one Slack payload in, one core call, one rendered reply out."""

    def __init__(self, conversation: Conversation):
        self.conversation = conversation
        self._cards: dict[tuple[str, str], dict[str, Any]] = {}
        """Poll cards this process is updating right now, by (channel, ts): later clicks hand over to that update."""
        self._tasks: set[asyncio.Task] = set()
        self._timers: set[asyncio.Task] = set()
        """One per poll card this process posted: it shows the result when the poll's time is up."""
        self._slots = asyncio.Semaphore(ANSWER_SLOTS)
        self.session: aiohttp.ClientSession | None = None
        """Shared by Web API calls and response_url posts while the server runs (see _open_session)."""

    # -- listeners: acknowledge at once, answer in a task ----------------------------------

    async def on_mention(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        self._spawn(self._mention(event, context, client), "app_mention")

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        self._spawn(self._dm(event, context, client), "message")

    async def on_home_opened(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        self._spawn(self._home(event, context, client), "app_home_opened")

    async def on_command(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                         context: AsyncBoltContext, client: AsyncWebClient,
                         respond: Callable[..., Awaitable[WebhookResponse]]) -> None:
        await ack()  # within Slack's 3 seconds, before any work; the answer follows via response_url or the Web API
        self._spawn(self._command(command, context, client, respond), "slash command")

    async def on_click(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                       context: AsyncBoltContext, client: AsyncWebClient,
                       respond: Callable[..., Awaitable[WebhookResponse]]) -> None:
        await ack()
        self._spawn(self._click(body, action, context, client, respond), "block_actions")

    async def on_triage_submit(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], view: dict[str, Any],
                               context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """The triage modal's Submit: an empty box keeps the modal open with an error; else it closes at once."""
        values = ((view.get("state") or {}).get("values") or {}).get(TRIAGE_BLOCK) or {}
        text = (values.get(TRIAGE_ACTION) or {}).get("value") or ""
        if not text.strip():
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

    async def drain(self, timeout: float) -> None:
        for timer in list(self._timers):
            timer.cancel()  # a poll left open is revealed at its next click instead
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

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

    async def _home(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """The App Home tab: what Rolecall is, example questions and a Start quiz button."""
        if event.get("tab") != "home" or not event.get("user"):
            return
        # Opening a tab is not a message: it neither counts against the rate limit nor shows up in the metrics.
        await self._call("views.publish", functools.partial(client.views_publish, user_id=event["user"],
                                                             view=home_view(HELP_TEXT)))

    async def _command(self, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient,
                       respond: Callable[..., Awaitable[WebhookResponse]]) -> None:
        """/rolecall who|ask|debate|triage|quiz|result|help.

        `who` answers the channel, `debate` posts a poll card in the channel, a bare `triage` opens the triage
        modal; everything else (and every private reply) only the asker sees.
        """
        parsed = parse(command.get("text") or "")
        user, channel = command.get("user_id", ""), command.get("channel_id", "")
        if parsed.name == "triage" and not parsed.argument.strip() and command.get("trigger_id"):
            if await self._open_triage(client, trigger_id=command["trigger_id"], channel=channel):
                return  # the answer follows the modal's submission
        message = _message(context, channel=channel, user=user, text=parsed.argument)
        reply = await asyncio.to_thread(self.conversation.run, parsed, message)
        if not reply.text:
            return  # a flood past the rate limit: say nothing
        rendered = triage_message(reply.text) if parsed.name == "triage" and parsed.argument.strip() else render(reply, owner=user)
        public = parsed.public and not reply.private
        if public and reply.poll:
            # A poll card is a message of Rolecall's own, so every vote can update it in place with chat.update;
            # where Rolecall may not post (a channel it was not invited to) the command's response_url still can.
            posted = await self._post(client, channel=channel, thread_ts=None, message=rendered)
            if posted is not None:
                self._reveal_on_time(client, channel=channel, posted=posted, poll_id=reply.poll.get("id"))
                return
        await self._respond(respond, rendered, response_type="in_channel" if public else "ephemeral")

    async def _click(self, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext,
                     client: AsyncWebClient, respond: Callable[..., Awaitable[WebhookResponse]]) -> None:
        """A button: the core gets its choice id. A card in reply replaces the clicked card (a poll card through
        chat.update, kept in step with the poll); a private reply or a plain note goes to the clicker alone."""
        user = (body.get("user") or {}).get("id", "")
        choice = action.get("value") or ""
        container = body.get("container") or {}
        if container.get("type") == "view":
            await self._start_in_dm(client, context, user=user, choice=choice)
            return
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        owner = _card_owner(action.get("block_id") or "")
        if owner and owner != user:
            # Anyone in a channel can click a card posted there; it must not move someone else's quiz.
            await self._note(client, body, respond, user=user, message=SlackMessage(text=escape(NOT_YOUR_CARD), blocks=[]))
            return
        reply = await self._handle(_message(context, channel=channel, user=user, choice=choice))
        if not reply.text:
            return  # a flood past the rate limit: say nothing
        if reply.private or not _is_card(reply):
            # A note for the clicker alone (a thank-you, a closed poll, "try again in a moment"): the card stays as
            # everyone sees it, buttons included.
            await self._note(client, body, respond, user=user, message=render(reply, owner=user))
            poll = reply.poll or {}
            if poll.get("closed") and _shows_open_poll(body, poll.get("id")):
                await self._sync_poll_card(client, body, respond, None, poll["id"])  # it closed on time: show the result
            return
        if reply.poll and reply.poll.get("id"):
            await self._sync_poll_card(client, body, respond, reply, reply.poll["id"])
            return
        await self._update_card(client, body, render(reply, owner=user), respond)

    async def _triage_submitted(self, text: str, body: dict[str, Any], view: dict[str, Any],
                                context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """The triage table goes to the asker as one message: their DM with Rolecall, or privately in the channel
        they asked from when a DM is not possible."""
        user = (body.get("user") or {}).get("id", "")
        channel = _metadata(view.get("private_metadata")).get("channel") or ""
        reply = await asyncio.to_thread(self.conversation.run, Command("triage", text),
                                        _message(context, channel=channel, user=user, text=text))
        if not reply.text:
            return
        message = triage_message(reply.text)
        if await self._post(client, channel=user, thread_ts=None, message=message) is None and channel:
            await self._ephemeral(client, channel=channel, user=user, thread_ts=None, message=message)

    # -- helpers ---------------------------------------------------------------------

    async def _handle(self, message: Message) -> Reply:
        return await asyncio.to_thread(self.conversation.handle, message)

    async def _send(self, client: AsyncWebClient, reply: Reply, *, channel: str, user: str, thread_ts: str | None) -> None:
        """A reply to a message: nothing for an empty text, ephemeral when private, else a post."""
        if not reply.text:
            return
        message = render(reply, owner=user)
        if reply.private:
            await self._ephemeral(client, channel=channel, user=user, thread_ts=thread_ts, message=message)
            return
        posted = await self._post(client, channel=channel, thread_ts=thread_ts, message=message)
        if posted is not None and reply.poll and not reply.poll.get("closed"):
            self._reveal_on_time(client, channel=channel, posted=posted, poll_id=reply.poll.get("id"))

    def _reveal_on_time(self, client: AsyncWebClient, *, channel: str, posted: Any, poll_id: str | None) -> None:
        """When a poll's time is up, turn its card into the result even if nobody clicks again.

        The core reveals a poll that is due whenever it is read, so this only has to read it and update the card
        at the right moment. The timer lives in the process that posted the card; if that process stops first,
        the next click on the card reveals it instead.
        """
        polls = getattr(self.conversation, "polls", None)
        duration = getattr(polls, "duration", None)
        ts = posted.get("ts") if hasattr(posted, "get") else None
        if not (poll_id and ts and isinstance(duration, (int, float))):
            return

        async def reveal() -> None:
            await asyncio.sleep(max(0.0, float(duration)) + REVEAL_GRACE)
            body = {"container": {"type": "message", "channel_id": channel, "message_ts": ts}}
            await self._guarded(self._sync_poll_card(client, body, None, None, poll_id), "poll reveal")

        timer = asyncio.get_running_loop().create_task(reveal())
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _start_in_dm(self, client: AsyncWebClient, context: AsyncBoltContext, *, user: str, choice: str) -> None:
        """The App Home button: the quiz runs in the person's DM with Rolecall, where typed answers work too."""
        opened = await self._call("conversations.open", functools.partial(client.conversations_open, users=user))
        channel = (opened.get("channel") or {}).get("id") if opened is not None else None
        if not channel:
            return
        reply = await self._handle(_message(context, channel=channel, user=user, choice=choice))
        await self._send(client, reply, channel=channel, user=user, thread_ts=None)

    async def _open_triage(self, client: AsyncWebClient, *, trigger_id: str, channel: str) -> bool:
        """Open the triage modal; False when Slack refused (an expired trigger), so the caller answers instead."""
        view = triage_modal(json.dumps({"channel": channel}, separators=(",", ":")))
        opened = await self._call("views.open", functools.partial(client.views_open, trigger_id=trigger_id, view=view))
        return opened is not None

    async def _post(self, client: AsyncWebClient, *, channel: str, thread_ts: str | None, message: SlackMessage) -> Any | None:
        return await self._call("chat.postMessage", functools.partial(
            client.chat_postMessage, channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks,
            unfurl_links=False, unfurl_media=False))

    async def _ephemeral(self, client: AsyncWebClient, *, channel: str, user: str, thread_ts: str | None,
                         message: SlackMessage) -> Any | None:
        return await self._call("chat.postEphemeral", functools.partial(
            client.chat_postEphemeral, channel=channel, user=user, thread_ts=thread_ts, text=message.text,
            blocks=message.blocks or None))

    async def _note(self, client: AsyncWebClient, body: dict[str, Any],
                    respond: Callable[..., Awaitable[WebhookResponse]], *, user: str, message: SlackMessage) -> None:
        """Something only the clicker sees, leaving the clicked card as it is."""
        if body.get("response_url"):
            await self._respond(respond, message, response_type="ephemeral", replace_original=False)
            return
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        thread = (body.get("message") or {}).get("thread_ts")
        await self._ephemeral(client, channel=channel, user=user, thread_ts=thread, message=message)

    async def _update_card(self, client: AsyncWebClient, body: dict[str, Any], message: SlackMessage,
                           respond: Callable[..., Awaitable[WebhookResponse]]) -> None:
        """Replace the clicked card in place: through response_url (works for ephemeral cards too), else chat.update."""
        if body.get("response_url"):
            await self._respond(respond, message, replace_original=True)
            return
        container = body.get("container") or {}
        if container.get("channel_id") and container.get("message_ts"):
            await self._call("chat.update", functools.partial(
                client.chat_update, channel=container["channel_id"], ts=container["message_ts"],
                text=message.text, blocks=message.blocks))

    async def _sync_poll_card(self, client: AsyncWebClient, body: dict[str, Any],
                              respond: Callable[..., Awaitable[WebhookResponse]] | None, reply: Reply | None,
                              poll_id: str) -> None:
        """Bring a poll card up to date with its poll, in place.

        Votes arrive at once on several threads and workers, and Slack applies
        chat.update calls in whatever order they land, so an update can carry a
        tally that is already stale. Each update is therefore followed by a fresh
        read of the poll and, if it moved on, another update: the last update
        Slack applies is always followed by a read that finds nothing newer, so
        the card ends on the final tally. Within this process one update per card
        runs at a time; clicks that arrive meanwhile only mark the card dirty.
        """
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        if container.get("is_ephemeral") or not (channel and ts):
            reply = reply or await self._poll_card(poll_id)
            if reply is not None:
                await self._update_card(client, body, render(reply), respond)
            return
        key = (channel, ts)
        busy = self._cards.get(key)
        if busy is not None:
            busy["dirty"] = True  # the update running now reads the poll again
            busy["respond"] = respond or busy["respond"]
            return
        state = self._cards[key] = {"dirty": False, "respond": respond}
        try:
            current, shown = reply, None
            for _ in range(MAX_CARD_REFRESHES):
                if current is not None and current.poll != shown:
                    await self._replace_message(client, channel=channel, ts=ts, message=render(current),
                                                respond=state["respond"])
                    shown = current.poll
                state["dirty"] = False
                fresh = await self._poll_card(poll_id)
                if fresh is None or (fresh.poll == shown and not state["dirty"]):
                    return
                current = fresh
        finally:
            del self._cards[key]

    async def _poll_card(self, poll_id: str) -> Reply | None:
        """The poll's card as it stands in the store now (None if it is gone or the store is down)."""
        polls = getattr(self.conversation, "polls", None)
        if polls is None:
            return None
        try:
            return await asyncio.to_thread(polls.show, poll_id)
        except Exception as exc:  # StoreError, or a corrupt value: the card stays as it was last sent
            log.warning("could not read poll %s to refresh its card: %s", poll_id, type(exc).__name__)
            return None

    async def _replace_message(self, client: AsyncWebClient, *, channel: str, ts: str, message: SlackMessage,
                               respond: Callable[..., Awaitable[WebhookResponse]] | None) -> None:
        """chat.update, falling back to the click's response_url (a card posted through a response_url may not be
        Rolecall's to update)."""
        updated = await self._call("chat.update", functools.partial(
            client.chat_update, channel=channel, ts=ts, text=message.text, blocks=message.blocks))
        if updated is None and respond is not None:
            await self._respond(respond, message, replace_original=True)

    async def _respond(self, respond: Callable[..., Awaitable[WebhookResponse]], message: SlackMessage, **kwargs: Any) -> None:
        url = getattr(respond, "response_url", None)
        if url and self.session is not None:  # Bolt's respond() would open a session of its own per post
            respond = AsyncWebhookClient(url=url, session=self.session).send
        await self._call("response_url", functools.partial(respond, text=message.text, blocks=message.blocks or None,
                                                           **kwargs))

    async def _call(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any | None:
        """One Web API or response_url call; failures are logged, never raised. A rate limit is retried once."""
        for attempt in (1, 2):
            try:
                result = await call()
            except SlackApiError as exc:
                error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
                if error == "ratelimited" and attempt == 1:
                    wait = _retry_after(exc.response.headers)
                    if wait is not None:
                        log.warning("%s: rate limited by Slack, retrying once in %.0f s", what, wait)
                        await asyncio.sleep(wait)
                        continue
                self._failed(what)
                if error in _CHANNEL_TROUBLE:
                    log.warning("%s: %s (is Rolecall a member of that conversation?); carrying on", what, error)
                else:
                    log.error("%s failed: %s", what, error or f"HTTP {exc.response.status_code}")
                return None
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                self._failed(what)
                log.error("%s: network error talking to Slack: %s", what, type(exc).__name__)
                return None
            except ValueError as exc:  # respond() without a response_url
                self._failed(what)
                log.error("%s: %s", what, exc)
                return None
            if isinstance(result, WebhookResponse) and result.status_code >= 300:
                if result.status_code == 429 and attempt == 1:
                    wait = _retry_after(result.headers)
                    if wait is not None:
                        log.warning("%s: rate limited by Slack, retrying once in %.0f s", what, wait)
                        await asyncio.sleep(wait)
                        continue
                self._failed(what)
                log.error("%s failed: HTTP %s %s", what, result.status_code, (result.body or "")[:100])
                return None
            return result
        self._failed(what)
        log.error("%s: still rate limited after one retry; dropped", what)
        return None

    def _failed(self, what: str) -> None:
        self.conversation.metrics.inc("rolecall_slack_api_errors_total", method=what)


def _message(context: AsyncBoltContext, *, channel: str, user: str, text: str = "", choice: str | None = None) -> Message:
    workspace = context.team_id or context.enterprise_id or ""
    return Message(text=text, platform=PLATFORM, workspace=workspace, channel=channel, user=user, choice=choice)


def _is_card(reply: Reply) -> bool:
    """Whether a reply to a click is a card that can stand in for the clicked one (else it is a note)."""
    return bool(reply.quiz or reply.poll or reply.choices or reply.verdict)


def _shows_open_poll(body: dict[str, Any], poll_id: str | None) -> bool:
    """Whether the clicked message still shows the vote buttons of `poll_id` (it closed on time, unrevealed)."""
    if not poll_id:
        return False
    blocks = (body.get("message") or {}).get("blocks") or []
    return any(str(element.get("value", "")).startswith(f"poll:{poll_id}:")
               for block in blocks if block.get("type") == "actions" for element in block.get("elements") or [])


def _metadata(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _card_owner(block_id: str) -> str | None:
    """The user id a card's buttons were rendered for (see slack_blocks.CHOICES_BLOCK), if any."""
    prefix = CHOICES_BLOCK + ":"
    if not block_id.startswith(prefix):
        return None
    return block_id[len(prefix):] or None


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (https://api.slack.com/apis/rate-limits), or None when too long to wait."""
    value = None
    for name, raw in dict(headers or {}).items():
        if name.lower() == "retry-after":
            value = raw[0] if isinstance(raw, (list, tuple)) else raw
    try:
        seconds = max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return seconds if seconds <= MAX_RETRY_WAIT else None


# -- running -----------------------------------------------------------------------------

async def check_token(client: AsyncWebClient) -> None:
    """Fail at start when Slack rejects the bot token; a network problem is only logged (Slack may come back)."""
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error in _BAD_TOKEN:
            raise SettingsError(f"SLACK_BOT_TOKEN was rejected by Slack ({error}): copy the Bot User OAuth Token again")
        log.warning("auth.test failed at start-up: %s", error)
        return
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        log.warning("could not reach the Slack Web API at start-up (%s); carrying on", type(exc).__name__)
        return
    log.info("signed in to Slack as %s in %s", identity.get("user"), identity.get("team"))


async def _open_connection(client: AsyncWebClient, app_token: str) -> str:
    """A Socket Mode WebSocket URL from apps.connections.open; a rejected app token is a SettingsError."""
    try:
        response = await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        raise SettingsError(f"SLACK_APP_TOKEN was rejected by Slack ({error}): use an app-level token (xapp-...) with "
                            "the connections:write scope, and turn Socket Mode on in the app settings") from None
    return response["url"]


async def run(conversation: Conversation, settings: SlackSettings, *, host: str, port: int,
              stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set (or SIGINT/SIGTERM when no event is given)."""
    app = create_app(conversation, token=settings.bot_token, signing_secret=settings.signing_secret,
                     base_url=settings.api_url)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
            except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
                pass
    await check_token(app.client)
    # Everything made so far (the knowledge index, the libraries) lives as long as the process: move it out of the
    # garbage collector's sight, so a full collection during a burst of requests scans only what requests made.
    # Without this the first burst after start-up had a p99 time to acknowledgement about 70% higher.
    gc.collect()
    gc.freeze()
    if settings.app_token:
        # slack_sdk retries a failed connect forever; ask for the first WebSocket URL here so a bad app token
        # stops start-up with a clear message, and hand the URL to the client (it uses wss_uri when set).
        url = await _open_connection(app.client, settings.app_token)
        handler = AsyncSocketModeHandler(app, settings.app_token)
        handler.client.wss_uri = url
        await _open_session(app)
        try:
            await handler.connect_async()
            log.info("Rolecall is connected to Slack in Socket Mode")
            try:
                await stop.wait()
                await drain(app)
            finally:
                await handler.close_async()
        finally:
            await _close_session(app)
        return
    runner = web.AppRunner(create_web_app(app, conversation))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("Rolecall is listening for Slack on http://%s:%d%s (health: %s, metrics: %s)", host, port, EVENTS_PATH,
                 HEALTH_PATH, METRICS_PATH)
        await stop.wait()
        await drain(app)  # answers already acknowledged still go out
    finally:
        await runner.cleanup()


def quiet_slack_libraries() -> None:
    """slack_sdk's and slack-bolt's DEBUG lines dump whole payloads (people's text) and request headers: even when
    ROLECALL_LOG_LEVEL=DEBUG shows the core's message text, they stay at INFO (or whatever is quieter)."""
    for name in ("slack_sdk", "slack_bolt"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))


def serve(conversation: Conversation, args: argparse.Namespace) -> int:
    """`rolecall serve slack`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --host/--port."""
    quiet_slack_libraries()  # logging itself is set up by the CLI (JSON lines, bot/logs.py)
    try:
        load_env_file(getattr(args, "env_file", ".env") or ".env")
        settings = SlackSettings.from_env()
        asyncio.run(run(conversation, settings, host=args.host, port=args.port))
    except SettingsError as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return 2
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        print(f"rolecall: cannot reach the Slack API ({type(exc).__name__}); check the network or SLACK_API_URL",
              file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"rolecall: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
