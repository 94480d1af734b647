"""The Slack front end: slack-bolt (async) events in, the core's replies out as Block Kit.

Thin by design: each listener turns one Slack payload into a `Message` (or a
`Command` for /rolecall), asks the core, and renders the `Reply`. Everything
asynchronous here; the synchronous core runs in a worker thread
(`asyncio.to_thread`) so a slow store never blocks acknowledgements.

- `create_app(...)` builds the Bolt app; `create_web_app(app)` serves it over
  HTTP (POST /slack/events, GET /healthz); `run(...)` and `serve(...)` start
  Socket Mode when SLACK_APP_TOKEN is set, else the HTTP server.
- Web API failures are logged and never stop the app: a rate limit is waited
  out once (Retry-After), a missing channel is logged, network errors are logged.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

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

from bot.commands import Command, parse
from bot.conversation import Conversation
from bot.messages import Message, Reply

from .settings import SettingsError, load_env_file, optional, require
from .slack_blocks import ACTION_PREFIX, CHOICES_BLOCK, SlackMessage, escape, home_view, render

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
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
    app = AsyncApp(client=client, signing_secret=signing_secret, name="rolecall")
    front = _SlackFrontEnd(conversation)
    app.use(_IgnoreRetries())
    app.event("app_mention")(front.on_mention)
    app.event("message")(front.on_message)
    app.event("app_home_opened")(front.on_home_opened)
    app.command(_COMMAND)(front.on_command)
    app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(front.on_click)
    app.error(front.on_error)
    return app


def create_web_app(app: AsyncApp) -> web.Application:
    """The HTTP mode server: Slack's default POST /slack/events and a GET /healthz for load balancers."""

    async def events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.add_routes([web.post(EVENTS_PATH, events), web.get(HEALTH_PATH, health)])
    return web_app


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

    # -- listeners -------------------------------------------------------------------

    async def on_mention(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """@Rolecall in a channel: the answer goes to a thread under the question."""
        if event.get("bot_id") or not event.get("user"):
            return
        text = _LEADING_MENTION.sub("", event.get("text") or "", count=1)
        channel, thread = event.get("channel", ""), event.get("thread_ts") or event.get("ts")
        reply = await self._handle(_message(context, channel=channel, user=event["user"], text=text))
        message = render(reply, owner=event["user"])
        if reply.private:  # a note only the asker should see
            await self._call("chat.postEphemeral", functools.partial(
                client.chat_postEphemeral, channel=channel, user=event["user"], thread_ts=thread,
                text=message.text, blocks=message.blocks))
            return
        await self._post(client, channel=channel, thread_ts=thread, message=message)

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """A direct message: the same conversation as the terminal chat, quiz included."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, deletions, joins and other bots' messages are not questions
        reply = await self._handle(_message(context, channel=event.get("channel", ""), user=event["user"],
                                            text=event.get("text") or ""))
        await self._post(client, channel=event.get("channel", ""), thread_ts=event.get("thread_ts"),
                         message=render(reply, owner=event["user"]))

    async def on_home_opened(self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """The App Home tab: what Rolecall is, example questions and a Start quiz button."""
        if event.get("tab") != "home" or not event.get("user"):
            return
        help_reply = await asyncio.to_thread(self.conversation.run, Command("help"),
                                             _message(context, channel="", user=event["user"]))
        await self._call("views.publish", functools.partial(client.views_publish, user_id=event["user"],
                                                             view=home_view(help_reply.text)))

    async def on_command(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                         context: AsyncBoltContext, respond: Callable[..., Awaitable[WebhookResponse]]) -> None:
        """/rolecall who|ask|quiz|result|help: `who` answers the channel, the rest only the asker."""
        await ack()  # within Slack's 3 seconds, before any work; the answer follows via response_url
        parsed = parse(command.get("text") or "")
        user = command.get("user_id", "")
        message = _message(context, channel=command.get("channel_id", ""), user=user, text=parsed.argument)
        reply = await asyncio.to_thread(self.conversation.run, parsed, message)
        public = parsed.public and not reply.private
        await self._respond(respond, render(reply, owner=user), response_type="in_channel" if public else "ephemeral")

    async def on_click(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                       context: AsyncBoltContext, client: AsyncWebClient,
                       respond: Callable[..., Awaitable[WebhookResponse]]) -> None:
        """A button: the core gets its choice id, and the same card is updated with the answer (a private note
        goes to the clicker alone)."""
        await ack()
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
            thread = (body.get("message") or {}).get("thread_ts")
            await self._call("chat.postEphemeral", functools.partial(
                client.chat_postEphemeral, channel=channel, user=user, text=escape(NOT_YOUR_CARD), thread_ts=thread))
            return
        reply = await self._handle(_message(context, channel=channel, user=user, choice=choice))
        if reply.private and body.get("response_url"):
            # A note for the clicker alone (a thank-you, a closed poll): the card stays as everyone sees it.
            await self._respond(respond, render(reply, owner=user), response_type="ephemeral", replace_original=False)
            return
        await self._update_card(client, body, render(reply, owner=user), respond)

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        # The payload is not logged: it carries user text and Slack's legacy verification token.
        log.error("unhandled error for a Slack %s payload", body.get("type") or body.get("command") or "unknown",
                  exc_info=error)

    # -- helpers ---------------------------------------------------------------------

    async def _handle(self, message: Message) -> Reply:
        return await asyncio.to_thread(self.conversation.handle, message)

    async def _start_in_dm(self, client: AsyncWebClient, context: AsyncBoltContext, *, user: str, choice: str) -> None:
        """The App Home button: the quiz runs in the person's DM with Rolecall, where typed answers work too."""
        opened = await self._call("conversations.open", functools.partial(client.conversations_open, users=user))
        channel = (opened.get("channel") or {}).get("id") if opened is not None else None
        if not channel:
            return
        reply = await self._handle(_message(context, channel=channel, user=user, choice=choice))
        await self._post(client, channel=channel, thread_ts=None, message=render(reply, owner=user))

    async def _post(self, client: AsyncWebClient, *, channel: str, thread_ts: str | None, message: SlackMessage) -> None:
        await self._call("chat.postMessage", functools.partial(
            client.chat_postMessage, channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks,
            unfurl_links=False, unfurl_media=False))

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

    async def _respond(self, respond: Callable[..., Awaitable[WebhookResponse]], message: SlackMessage, **kwargs: Any) -> None:
        await self._call("response_url", functools.partial(respond, text=message.text, blocks=message.blocks, **kwargs))

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
                if error in _CHANNEL_TROUBLE:
                    log.warning("%s: %s (is Rolecall a member of that conversation?); carrying on", what, error)
                else:
                    log.error("%s failed: %s", what, error or f"HTTP {exc.response.status_code}")
                return None
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                log.error("%s: network error talking to Slack: %s", what, type(exc).__name__)
                return None
            except ValueError as exc:  # respond() without a response_url
                log.error("%s: %s", what, exc)
                return None
            if isinstance(result, WebhookResponse) and result.status_code >= 300:
                if result.status_code == 429 and attempt == 1:
                    wait = _retry_after(result.headers)
                    if wait is not None:
                        log.warning("%s: rate limited by Slack, retrying once in %.0f s", what, wait)
                        await asyncio.sleep(wait)
                        continue
                log.error("%s failed: HTTP %s %s", what, result.status_code, (result.body or "")[:100])
                return None
            return result
        log.error("%s: still rate limited after one retry; dropped", what)
        return None


def _message(context: AsyncBoltContext, *, channel: str, user: str, text: str = "", choice: str | None = None) -> Message:
    workspace = context.team_id or context.enterprise_id or ""
    return Message(text=text, platform=PLATFORM, workspace=workspace, channel=channel, user=user, choice=choice)


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
    if settings.app_token:
        # slack_sdk retries a failed connect forever; ask for the first WebSocket URL here so a bad app token
        # stops start-up with a clear message, and hand the URL to the client (it uses wss_uri when set).
        url = await _open_connection(app.client, settings.app_token)
        handler = AsyncSocketModeHandler(app, settings.app_token)
        handler.client.wss_uri = url
        await handler.connect_async()
        log.info("Rolecall is connected to Slack in Socket Mode")
        try:
            await stop.wait()
        finally:
            await handler.close_async()
        return
    runner = web.AppRunner(create_web_app(app))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("Rolecall is listening for Slack on http://%s:%d%s (health: %s)", host, port, EVENTS_PATH, HEALTH_PATH)
        await stop.wait()
    finally:
        await runner.cleanup()


def serve(conversation: Conversation, args: argparse.Namespace) -> int:
    """`rolecall serve slack`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --host/--port."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
