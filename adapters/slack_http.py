"""The HTTP side of the Slack front end: the door every request from Slack comes through, and the health endpoints.

- `create_web_app(front_end)`: POST /slack/events (Slack's default request
  URL), GET /healthz and GET /metrics; `create_health_app(front_end)` serves
  only the last two (Socket Mode takes no requests over HTTP).
- `create_runner(web_app)`: the aiohttp runner with Rolecall's server settings:
  a client that never finishes its headers is cut off after HEADER_TIMEOUT, one
  that never finishes its body gets 408 after BODY_TIMEOUT, and no response
  names the Python or aiohttp version.

The door checks a request's signature (https://docs.slack.dev/authentication/verifying-requests-from-slack/)
over the raw bytes before anything reads them: a request that fails gets 401 and leaves no trace in the logs,
whatever it holds (bad JSON, bad UTF-8, a timestamp that is not a number). slack-bolt's own check is turned off
(`SlackFrontEnd`): it parses the body first, and logs the whole body of every request it refuses. A signed request
is passed on with its signature as the delivery id (`slack_payloads.REQUEST_ID`), so a replay of the same bytes
inside the five minutes a signature is good for is answered once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from typing import TYPE_CHECKING

from aiohttp import hdrs, web, web_response
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest

from .slack_payloads import REQUEST_ID

if TYPE_CHECKING:
    from .slack_events import SlackFrontEnd

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus' text exposition format."""
SERVER_NAME = "Rolecall"
"""The Server header of every response (aiohttp's default names the Python and aiohttp versions)."""

MAX_AGE = 300
"""Seconds a signed request is good for, either side of now (Slack's five minutes)."""
HEADER_TIMEOUT = 15.0
"""Seconds a connection may take to send a request's headers (and may stay idle between requests)."""
BODY_TIMEOUT = 10.0
"""Seconds a client may take to send a request's body once its headers are in."""
MAX_BODY = 1024 * 1024
"""Bytes a request body may hold (a 40,000-character message is well under this); more gets 413."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def is_signed(secret: str, raw: bytes, timestamp: str, signature: str, *, now: float | None = None) -> bool:
    """Whether `raw` carries Slack's signature for `secret`, made within MAX_AGE of now. Never raises."""
    if not secret or not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE:
        return False
    base = b"v0:" + timestamp.encode("ascii") + b":" + raw
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def create_web_app(front_end: SlackFrontEnd) -> web.Application:
    """HTTP mode: Slack's requests on POST /slack/events, and the health endpoints."""

    async def events(request: web.Request) -> web.StreamResponse:
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                raw = await request.read()
        except TimeoutError:
            return web.Response(status=408, text="request body too slow", headers={hdrs.CONNECTION: "close"})
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not is_signed(front_end.settings.signing_secret, raw, timestamp, signature):
            front_end.conversation.metrics.inc("rolecall_slack_refused_total", reason="signature")
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(body=raw.decode("utf-8"), query=request.query_string,
                                            headers=dict(request.headers), context={REQUEST_ID: signature})
            if not isinstance(bolt_request.body, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError, AttributeError, TypeError) as exc:  # signed, so Slack's (or a bug)
            front_end.conversation.metrics.inc("rolecall_slack_refused_total", reason="unreadable")
            log.warning("a signed Slack request could not be read (%s); answered 400", type(exc).__name__)
            return web.json_response({"error": "unreadable request"}, status=400)
        return await to_aiohttp_response(await front_end.app.async_dispatch(bolt_request))

    web_app = create_health_app(front_end)
    web_app.router.add_post(EVENTS_PATH, events)
    return web_app


def create_health_app(front_end: SlackFrontEnd) -> web.Application:
    """GET /healthz for load balancers (200 when the store answers, else 503 while questions are still answered)
    and GET /metrics for Prometheus; the front end's HTTP session opens and closes with the server."""

    async def health(_request: web.Request) -> web.Response:
        if await asyncio.to_thread(front_end.conversation.store_ok):
            return web.json_response({"status": "ok", "store": "ok"})
        return web.json_response({"status": "degraded", "store": "unreachable"}, status=503)

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=front_end.conversation.metrics.render().encode("utf-8"),
                            headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def start(_web_app: web.Application) -> None:
        await front_end.start()

    async def close(_web_app: web.Application) -> None:
        await front_end.close_session()

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app.add_routes([web.get(HEALTH_PATH, health), web.get(METRICS_PATH, metrics)])
    web_app.on_response_prepare.append(_server_name)
    web_app.on_startup.append(start)
    web_app.on_cleanup.append(close)
    return web_app


def create_runner(web_app: web.Application) -> web.AppRunner:
    """The runner for `web_app`: slow clients are cut off (HEADER_TIMEOUT, BODY_TIMEOUT), a response to a request
    whose body was not read (a 408) closes the connection at once instead of lingering, and a request that is not
    HTTP at all gets its 400 with one line in the logs, not a traceback."""
    # aiohttp has no setting for its Server header, and answers malformed HTTP before any application code (or
    # on_response_prepare) runs; it reads this module attribute for every response it prepares.
    web_response.SERVER_SOFTWARE = SERVER_NAME
    return web.AppRunner(web_app, keepalive_timeout=HEADER_TIMEOUT, lingering_time=0, logger=_server_log())


async def _server_name(_request: web.Request, response: web.StreamResponse) -> None:
    response.headers[hdrs.SERVER] = SERVER_NAME


def _server_log() -> logging.Logger:
    logger = logging.getLogger(__name__ + ".server")
    if not any(isinstance(f, _MalformedHttp) for f in logger.filters):
        logger.addFilter(_MalformedHttp())
    return logger


class _MalformedHttp(logging.Filter):
    """aiohttp logs every malformed request (a port scan, a bad Content-Length) with a traceback that quotes the bytes
    it choked on: one INFO line without them is enough. Errors in Rolecall's own handlers keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], HttpProcessingError):
            status = getattr(record.exc_info[1], "code", 400)
            record.msg, record.args = "refused a malformed HTTP request (%s)", (status,)
            record.exc_info, record.exc_text, record.levelno, record.levelname = None, None, logging.INFO, "INFO"
        return True
