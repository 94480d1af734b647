"""The Slack front end's start-up: slack-bolt (async) in Socket Mode or over HTTP, the core's replies as Block Kit.

- `create_app(conversation, settings)` builds Rolecall's Slack app (the one
  `SlackFrontEnd`: listeners in `slack_events`, layout in `slack_blocks`, Web
  API calls in `slack_delivery`, poll cards in `slack_poll_cards`);
  `create_web_app(app)` serves it over HTTP (POST /slack/events, GET /healthz,
  GET /metrics); `run(...)` and `serve(...)` start Socket Mode when
  SLACK_APP_TOKEN is set, else the HTTP server.
- Settings come from the environment through `SlackSettings.from_env`
  (`slack_settings`); SLACK_API_URL is the one URL override.
- Web API failures are logged and never stop the app. Logs carry no message
  text (the core logs text only at DEBUG) and no tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ..bot.conversation import Conversation
from .settings import SettingsError, load_env_file
from .slack_events import SlackFrontEnd
from .slack_settings import SlackSettings

__all__ = ["SlackFrontEnd", "SlackSettings", "create_app", "create_web_app", "drain", "quiet_slack_libraries", "run",
           "serve"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus' text exposition format."""
_BAD_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}


def create_app(conversation: Conversation, settings: SlackSettings) -> SlackFrontEnd:
    """Rolecall's Slack app: the Bolt app (`.app`) with Rolecall's listeners, for `conversation`."""
    return SlackFrontEnd(conversation, settings)


async def drain(app: SlackFrontEnd, timeout: float = 10.0) -> None:
    """Before shutting down: drop the poll reveal timers and wait (up to `timeout` seconds) for answers still being
    worked on."""
    await app.drain(timeout)


def create_web_app(app: SlackFrontEnd) -> web.Application:
    """The HTTP mode server: Slack's default POST /slack/events, GET /healthz for load balancers (200 when the
    store answers, else 503 while questions are still answered) and GET /metrics for Prometheus."""

    async def events(request: web.Request) -> web.Response:
        bolt_response = await app.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.Response:
        if await asyncio.to_thread(app.conversation.store_ok):
            return web.json_response({"status": "ok", "store": "ok"})
        return web.json_response({"status": "degraded", "store": "unreachable"}, status=503)

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=app.conversation.metrics.render().encode("utf-8"),
                            headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def open_session(_web_app: web.Application) -> None:
        await app.open_session()

    async def close_session(_web_app: web.Application) -> None:
        await app.close_session()

    web_app = web.Application()
    web_app.add_routes([web.post(EVENTS_PATH, events), web.get(HEALTH_PATH, health), web.get(METRICS_PATH, metrics)])
    web_app.on_startup.append(open_session)
    web_app.on_cleanup.append(close_session)
    return web_app


# -- running -----------------------------------------------------------------------------

async def check_token(client: AsyncWebClient) -> None:
    """Fail at start when Slack rejects the bot token; a network problem is only logged (Slack may come back)."""
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error in _BAD_TOKEN:
            raise SettingsError(f"SLACK_BOT_TOKEN was rejected by Slack ({error}): copy the Bot User OAuth Token "
                                "again") from None
        log.warning("auth.test failed at start-up: %s", error)
        return
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
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
    return str(response["url"])


async def run(conversation: Conversation, settings: SlackSettings, *, host: str, port: int,
              stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set (or SIGINT/SIGTERM when no event is given)."""
    app = create_app(conversation, settings)
    if stop is None:
        stop = _stop_on_signals()
    await check_token(app.app.client)
    # Everything made so far (the knowledge index, the libraries) lives as long as the process: move it out of the
    # garbage collector's sight, so a full collection during a burst of requests scans only what requests made.
    # Without this the first burst after start-up had a p99 time to acknowledgement about 70% higher.
    gc.collect()
    gc.freeze()
    if settings.app_token:
        await _run_socket_mode(app, settings.app_token, stop)
    else:
        await _run_http(app, host, port, stop)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or Windows
            loop.add_signal_handler(signum, stop.set)
    return stop


async def _run_socket_mode(app: SlackFrontEnd, app_token: str, stop: asyncio.Event) -> None:
    # slack_sdk retries a failed connect forever; ask for the first WebSocket URL here so a bad app token
    # stops start-up with a clear message, and hand the URL to the client (it uses wss_uri when set).
    url = await _open_connection(app.app.client, app_token)
    handler = AsyncSocketModeHandler(app.app, app_token)
    handler.client.wss_uri = url
    await app.open_session()
    try:
        await handler.connect_async()
        log.info("Rolecall is connected to Slack in Socket Mode")
        try:
            await stop.wait()
            await drain(app)
        finally:
            await handler.close_async()
    finally:
        await app.close_session()


async def _run_http(app: SlackFrontEnd, host: str, port: int, stop: asyncio.Event) -> None:
    runner = web.AppRunner(create_web_app(app))
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
    except (TimeoutError, aiohttp.ClientError) as exc:
        print(f"rolecall: cannot reach the Slack API ({type(exc).__name__}); check the network or SLACK_API_URL",
              file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"rolecall: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
