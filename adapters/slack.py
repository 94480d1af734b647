"""The Slack front end's start-up: slack-bolt (async) in Socket Mode or over HTTP, the core's replies as Block Kit.

- `create_app(conversation, settings)` builds Rolecall's Slack app (the one
  `SlackFrontEnd`: listeners in `slack_events`, layout in `slack_blocks`, Web
  API calls in `slack_delivery`, poll cards in `slack_poll_cards`);
  `create_web_app(app)` serves it over HTTP (POST /slack/events, GET /healthz,
  GET /metrics; the door and server settings are in `slack_http`); `run(...)`
  and `serve(...)` start Socket Mode when SLACK_APP_TOKEN is set (with /healthz
  and /metrics on --port), else the HTTP server.
- Settings come from the environment through `SlackSettings.from_env`
  (`slack_settings`); SLACK_API_URL is the one URL override.
- SIGTERM and SIGINT stop it at any point, start-up included; the first Socket
  Mode connection is given FIRST_CONNECT_TIMEOUT seconds before start-up fails
  with one clear line.
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
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ..bot.conversation import Conversation
from .settings import SettingsError, load_env_file
from .slack_events import SlackFrontEnd
from .slack_http import EVENTS_PATH, HEALTH_PATH, METRICS_PATH, create_health_app, create_runner, create_web_app
from .slack_settings import SlackSettings

__all__ = ["SlackFrontEnd", "SlackSettings", "SocketModeUnavailable", "create_app", "create_runner", "create_web_app",
           "drain", "quiet_slack_libraries", "run", "serve"]

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_CONNECT_TIMEOUT = 30.0
"""Seconds start-up waits for the first Socket Mode WebSocket before giving up (slack_sdk alone retries for ever)."""
_BAD_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}


class SocketModeUnavailable(Exception):
    """The first Socket Mode connection could not be made in time; the message says what to check."""


class _Stopped(Exception):
    """SIGTERM or SIGINT (or the caller's stop event) came during start-up."""


def create_app(conversation: Conversation, settings: SlackSettings) -> SlackFrontEnd:
    """Rolecall's Slack app: the Bolt app (`.app`) with Rolecall's listeners, for `conversation`."""
    return SlackFrontEnd(conversation, settings)


async def drain(app: SlackFrontEnd, timeout: float = 10.0) -> None:
    """Before shutting down: drop the poll reveal timers and wait (up to `timeout` seconds) for answers still being
    worked on."""
    await app.drain(timeout)


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
              stop: asyncio.Event | None = None, connect_timeout: float = FIRST_CONNECT_TIMEOUT) -> None:
    """Serve until `stop` is set (or SIGINT/SIGTERM when no event is given); a stop during start-up returns at once."""
    app = create_app(conversation, settings)
    if stop is None:
        stop = _stop_on_signals()
    try:
        await _unless_stopped(stop, check_token(app.app.client))
        # Everything made so far (the knowledge index, the libraries) lives as long as the process: move it out of the
        # garbage collector's sight, so a full collection during a burst of requests scans only what requests made.
        # Without this the first burst after start-up had a p99 time to acknowledgement about 70% higher.
        gc.collect()
        gc.freeze()
        if settings.app_token:
            await _run_socket_mode(app, settings.app_token, stop, host=host, port=port, connect_timeout=connect_timeout)
        else:
            await _run_http(app, host, port, stop)
    except _Stopped:
        log.info("stopped during start-up")


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or Windows
            loop.add_signal_handler(signum, stop.set)
    return stop


async def _unless_stopped(stop: asyncio.Event, work: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """`work`'s result, unless `stop` is set first (_Stopped) or `timeout` passes (TimeoutError); either way `work`
    is cancelled."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    if stop.is_set():
        raise _Stopped
    raise TimeoutError


async def _run_socket_mode(app: SlackFrontEnd, app_token: str, stop: asyncio.Event, *, host: str, port: int,
                           connect_timeout: float) -> None:
    health = await _serve_health(app, host, port)
    handler = AsyncSocketModeHandler(app.app, app_token, logger=_socket_mode_logger())
    try:
        await app.start()
        await _first_connect(app, handler, app_token, stop, connect_timeout)
        log.info("Rolecall is connected to Slack in Socket Mode")
        await stop.wait()
        await drain(app)
    finally:
        await handler.close_async()
        if health is not None:
            await health.cleanup()
        await app.close_session()


async def _first_connect(app: SlackFrontEnd, handler: AsyncSocketModeHandler, app_token: str, stop: asyncio.Event,
                         timeout: float) -> None:
    """The first WebSocket, within `timeout` seconds. The URL is asked for here, so a bad app token stops start-up
    with a clear message (slack_sdk would retry it for ever), and handed to the client (it uses wss_uri when set)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        url = await _unless_stopped(stop, _open_connection(app.app.client, app_token), timeout)
        handler.client.wss_uri = url
        await _unless_stopped(stop, handler.connect_async(), max(0.0, deadline - loop.time()))
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise SocketModeUnavailable(
            f"could not open Slack's Socket Mode connection within {timeout:.0f} s ({type(exc).__name__}): check the "
            "network and SLACK_API_URL, and that Socket Mode is on in the app settings") from None


def _socket_mode_logger() -> logging.Logger:
    """slack_sdk's Socket Mode client logs a full traceback, with the WebSocket URL (a connection ticket), every time
    a connection attempt fails: here each is one warning line without either."""
    logger = logging.getLogger("slack_sdk.socket_mode.rolecall")
    if not any(isinstance(f, _OneLineFailures) for f in logger.filters):
        logger.addFilter(_OneLineFailures())
    return logger


class _OneLineFailures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            error = record.exc_info[1]
            record.msg, record.args = "Socket Mode connection attempt failed (%s); slack_sdk retries", (
                type(error).__name__,)
            record.exc_info, record.exc_text, record.levelno, record.levelname = None, None, logging.WARNING, "WARNING"
        return True


async def _serve_health(app: SlackFrontEnd, host: str, port: int) -> web.AppRunner | None:
    """Socket Mode's /healthz and /metrics on --host/--port; if that port is taken, Socket Mode carries on without."""
    runner = create_runner(create_health_app(app))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        log.warning("cannot listen on %s:%d for %s and %s (%s); Socket Mode carries on without them", host, port,
                    HEALTH_PATH, METRICS_PATH, exc.strerror or exc)
        return None
    log.info("health checks on http://%s:%d%s, metrics on %s", host, port, HEALTH_PATH, METRICS_PATH)
    return runner


async def _run_http(app: SlackFrontEnd, host: str, port: int, stop: asyncio.Event) -> None:
    runner = create_runner(create_web_app(app))
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
    except SocketModeUnavailable as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return 1
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
