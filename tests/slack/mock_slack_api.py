"""A local Slack for the adapter tests: the Web API mock and Socket Mode's side.

Like slack-bolt's own suite: a local mock of the Slack Web API on 127.0.0.1
records every call the app makes (and every post to a response_url). The mock
also plays Slack's side of Socket Mode (a WebSocket that says hello, pushes
envelopes and collects acks). Nothing reaches Slack. What Slack sends to the
app (signed requests, shaped as Slack shapes them) is in slack_requests.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

BOT_TOKEN = "xoxb-test-0000-secret-bot-token"
APP_TOKEN = "xapp-test-0000-secret-app-token"
SIGNING_SECRET = "test-signing-secret-0123456789"
TEAM = "T0001"
BOT_USER = "UROLECALL"
WAIT = 5.0
"""Seconds to wait for a call the app should make before failing the test."""


@dataclass
class Call:
    """One request the app made: a Web API method (`chat.postMessage`) or `response/<name>`."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(repr=False, default_factory=dict)
    answer: dict[str, Any] | None = field(repr=False, default=None)
    """What the mock answered (chat.postMessage's answer carries the new message's ts)."""

    @property
    def raw(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


class MockSlack:
    """The Slack Web API, response_urls and the Socket Mode WebSocket, on 127.0.0.1."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[tuple[str, float]]] = {}
        self.delays: dict[str, float] = {}
        """Seconds the mock waits before answering a method (see `slow`)."""
        self.acks: list[dict[str, Any]] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_ready = asyncio.Event()
        self._ts = itertools.count(1)
        self.ids = itertools.count(1)
        """Numbers for event ids and response_url names, shared by all senders (several workers, one Slack)."""
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.socket_path = "/socket"
        """Where apps.connections.open sends the app: set it to a path that is not served for a WebSocket that never
        connects."""

    # -- control -----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    def fail(self, method: str, error: str, *, times: int = 1, retry_after: float = 1) -> None:
        """Answer the next `times` calls to `method` with `error` (`ratelimited` is a 429 with Retry-After;
        `disconnect` drops the connection without an answer)."""
        self.failures.setdefault(method, []).extend([(error, retry_after)] * times)

    def slow(self, method: str, seconds: float) -> None:
        """Answer every call to `method` (a Web API method, or "response" for response_urls) after `seconds`."""
        self.delays[method] = seconds

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path or (path.endswith("/") and c.path.startswith(path))]

    async def wait_for(self, path: str, count: int = 1, timeout: float = WAIT) -> list[Call]:
        """Poll until at least `count` calls to `path` were recorded; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(path)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [c.path for c in self.calls]
                raise AssertionError(f"expected {count} call(s) to {path}, got {len(found)}; all calls: {seen}")
            await asyncio.sleep(0.01)

    async def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.01)

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected app."""
        await asyncio.wait_for(self.socket_ready.wait(), WAIT)
        await self.sockets[-1].send_json(envelope)

    # -- server ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([
            web.post("/api/{method}", self._api),
            web.post("/response/{name}", self._response_url),
            web.get("/socket", self._socket),
        ])
        app.on_shutdown.append(self._close_sockets)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _close_sockets(self, _app: web.Application) -> None:
        for ws in self.sockets:
            await ws.close()

    async def _read(self, request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        if request.content_type == "application/json":
            body = json.loads(raw or "{}")
        else:
            body = dict(parse_qsl(raw))
        body.update({k: v for k, v in request.query.items() if k not in body})
        return body

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body = await self._read(request)
        call = Call(method, body, dict(request.headers))
        self.calls.append(call)
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        queued = self.failures.get(method)
        if queued:
            error, retry_after = queued.pop(0)
            if error == "disconnect":
                request.transport.close()
                return web.Response(status=500)
            if error == "ratelimited":
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(retry_after)})
            return web.json_response({"ok": False, "error": error})
        call.answer = self._answer(method, body)
        return web.json_response(call.answer)

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test Team", "user": "rolecall",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": "BROLECALL", "is_enterprise_install": False}
        if method == "chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"text": body.get("text"), "user": BOT_USER, "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text")}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", "type": "home"}}
        if method == "views.open":
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            return {"ok": True, "view": {**view, "id": "VMODAL", "team_id": TEAM, "state": {"values": {}}}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "")).lstrip("U")}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + self.socket_path}
        return {"ok": False, "error": "unknown_method"}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        path = "response/" + request.match_info["name"]
        self.calls.append(Call(path, body, dict(request.headers)))
        if self.delays.get("response"):
            await asyncio.sleep(self.delays["response"])
        queued = self.failures.get("response")
        if queued:
            queued.pop(0)
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": "1"})
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "mock"},
                            "connection_info": {"app_id": "A0001"}})
        self.socket_ready.set()
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        return ws
