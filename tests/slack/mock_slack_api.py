"""A local Slack for the adapter tests: the Web API mock, Socket Mode's side, and a sender of signed requests.

Like slack-bolt's own suite: a local mock of the Slack Web API on 127.0.0.1
records every call the app makes (and every post to a response_url), and the
app is served for real in HTTP mode on a free port and sent signed requests
over HTTP. The mock also plays Slack's side of Socket Mode (a WebSocket that
says hello, pushes envelopes and collects acks). Nothing reaches Slack.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

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
        self.acks: list[dict[str, Any]] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_ready = asyncio.Event()
        self._ts = itertools.count(1)
        self.ids = itertools.count(1)
        """Numbers for event ids and response_url names, shared by all senders (several workers, one Slack)."""
        self._runner: web.AppRunner | None = None
        self.url = ""

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
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        return {"ok": False, "error": "unknown_method"}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        path = "response/" + request.match_info["name"]
        self.calls.append(Call(path, body, dict(request.headers)))
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


class SlackSender:
    """Sends what Slack would send to the app in HTTP mode: signed events, slash commands and clicks."""

    def __init__(self, url: str, session: aiohttp.ClientSession, mock: MockSlack):
        self.url = url
        self.session = session
        self.mock = mock
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self._ids = mock.ids  # shared by every sender to one mock, so response_url names never collide

    async def post(self, body: str, *, content_type: str = "application/json", sign: bool = True,
                   timestamp: int | None = None, signature: str | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        """POST `body` to /slack/events, signed unless told otherwise; returns (status, response text)."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sent = {"Content-Type": content_type}
        if sign:
            sent["X-Slack-Request-Timestamp"] = ts
            sent["X-Slack-Signature"] = signature or self.verifier.generate_signature(timestamp=ts, body=body)
        sent.update(headers or {})
        async with self.session.post(f"{self.url}/slack/events", data=body.encode("utf-8"), headers=sent) as resp:
            return resp.status, await resp.text()

    async def event(self, event: dict[str, Any], *, headers: dict[str, str] | None = None) -> int:
        n = next(self._ids)
        payload = {"token": "legacy-verification-token", "team_id": TEAM, "api_app_id": "A0001",
                   "event": {"event_ts": f"1700000000.{n:06d}", **event}, "type": "event_callback",
                   "event_id": f"Ev{n:06d}", "event_time": 1700000000,
                   "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}
        status, _ = await self.post(json.dumps(payload), headers=headers)
        return status

    async def mention(self, text: str, *, user: str = "UANN", channel: str = "C0001", ts: str = "1700000001.000100",
                      headers: dict[str, str] | None = None) -> int:
        return await self.event({"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}",
                                 "ts": ts, "channel": channel}, headers=headers)

    async def dm(self, text: str, *, user: str = "UANN", channel: str = "DANN") -> int:
        n = next(self._ids)
        return await self.event({"type": "message", "channel_type": "im", "user": user, "text": text,
                                 "ts": f"1700000002.{n:06d}", "channel": channel})

    async def command(self, text: str, *, user: str = "UANN", channel: str = "C0001") -> tuple[int, str]:
        """Send `/rolecall TEXT`; returns (status, the response_url path the answer should arrive at)."""
        name = f"cmd{next(self._ids)}"
        form = {"token": "legacy-verification-token", "team_id": TEAM, "team_domain": "test", "channel_id": channel,
                "channel_name": "general", "user_id": user, "user_name": "ann", "command": "/rolecall", "text": text,
                "api_app_id": "A0001", "is_enterprise_install": "false", "response_url": self.mock.response_url(name),
                "trigger_id": "1.2.3"}
        status, _ = await self.post(urlencode(form), content_type="application/x-www-form-urlencoded")
        return status, f"response/{name}"

    async def click(self, blocks: list[dict[str, Any]], label: str | int = 0, *, user: str = "UANN",
                    channel: str = "C0001", ephemeral: bool = True, message_ts: str = "1700000003.000100",
                    message_blocks: list[dict[str, Any]] | None = None) -> tuple[int, str]:
        """Click a button of a card the app rendered (by label or index); returns (status, response_url path).

        `message_ts` is the clicked message's ts (from chat.postMessage's answer for a card the app posted);
        `message_blocks` what the message shows when clicked, if it changed since `blocks` were rendered."""
        body, path = self.click_body(blocks, label, user=user, channel=channel, ephemeral=ephemeral,
                                     message_ts=message_ts, message_blocks=message_blocks)
        status, _ = await self.post(body, content_type="application/x-www-form-urlencoded")
        return status, path

    def click_body(self, blocks: list[dict[str, Any]], label: str | int = 0, *, user: str = "UANN",
                   channel: str = "C0001", ephemeral: bool = True, message_ts: str = "1700000003.000100",
                   message_blocks: list[dict[str, Any]] | None = None) -> tuple[str, str]:
        """The form body Slack would send for that click, and its response_url path: to deliver one click twice."""
        button, block_id = find_button(blocks, label)
        name = f"click{next(self._ids)}"
        payload = {
            "type": "block_actions", "user": {"id": user, "username": "ann", "team_id": TEAM},
            "api_app_id": "A0001", "token": "legacy-verification-token", "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": ephemeral},
            "team": {"id": TEAM, "domain": "test"}, "channel": {"id": channel, "name": "general"},
            "response_url": self.mock.response_url(name),
            "actions": [{"action_id": button["action_id"], "block_id": block_id, "text": button["text"],
                         "value": button["value"], "type": "button", "action_ts": "1700000004.000100"}],
        }
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": message_ts,
                                  "blocks": blocks if message_blocks is None else message_blocks}
        return urlencode({"payload": json.dumps(payload)}), f"response/{name}"

    async def submit_view(self, view: dict[str, Any], values: dict[str, dict[str, str]], *,
                          user: str = "UANN") -> tuple[int, str]:
        """Submit a modal the app opened: `values` is {block_id: {action_id: typed text}}; returns (status, body)."""
        state = {block: {action: {"type": "plain_text_input", "value": text} for action, text in actions.items()}
                 for block, actions in values.items()}
        payload = {
            "type": "view_submission", "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "username": "ann", "name": "ann", "team_id": TEAM},
            "api_app_id": "A0001", "token": "legacy-verification-token", "trigger_id": "1.2.4",
            "view": {**view, "id": "VMODAL", "team_id": TEAM, "app_id": "A0001", "bot_id": "BROLECALL",
                     "hash": "1.abc", "state": {"values": state}},
            "response_urls": [], "is_enterprise_install": False,
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}),
                               content_type="application/x-www-form-urlencoded")

    async def home_click(self, view: dict[str, Any], *, user: str = "UANN") -> int:
        """Click the App Home tab's button (a block_actions payload from a view, without a channel)."""
        button, block_id = find_button(view["blocks"], 0)
        payload = {
            "type": "block_actions", "user": {"id": user, "username": "ann", "team_id": TEAM},
            "api_app_id": "A0001", "token": "legacy-verification-token", "trigger_id": "1.2.3",
            "container": {"type": "view", "view_id": "V0001"}, "team": {"id": TEAM, "domain": "test"},
            "view": {"id": "V0001", "type": "home", "blocks": view["blocks"]},
            "actions": [{"action_id": button["action_id"], "block_id": block_id, "text": button["text"],
                         "value": button["value"], "type": "button", "action_ts": "1700000004.000100"}],
        }
        status, _ = await self.post(urlencode({"payload": json.dumps(payload)}),
                                    content_type="application/x-www-form-urlencoded")
        return status


def find_button(blocks: list[dict[str, Any]], label: str | int) -> tuple[dict[str, Any], str]:
    """A button of a rendered card, by index or by the start of its label, with its block_id."""
    buttons = [(element, block.get("block_id", "")) for block in blocks if block.get("type") == "actions"
               for element in block["elements"] if element.get("type") == "button"]
    assert buttons, f"no buttons in {blocks}"
    if isinstance(label, int):
        return buttons[label]
    matching = [b for b in buttons if b[0]["text"]["text"].startswith(label)]
    assert matching, f"no button labelled {label!r} in {[b[0]['text']['text'] for b in buttons]}"
    return matching[0]


def block_text(body: dict[str, Any]) -> str:
    """Every piece of text in a message body or view: fallback, sections, headers, context, buttons."""
    parts = [str(body.get("text") or "")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                parts.append(value["text"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(body.get("blocks") or (body.get("view") or {}).get("blocks") or [])
    return "\n".join(parts)


def tally_of(blocks: list[dict[str, Any]]) -> dict[str, int] | None:
    """The counts a poll card shows ("*Product* 3 · *Project* 1 · *Both* 0"), or None when it shows none."""
    text = block_text({"blocks": blocks})
    found = re.search(r"\*Product\* (\d+) · \*Project\* (\d+) · \*Both\* (\d+)", text)
    if not found:
        return None
    return {"product": int(found.group(1)), "project": int(found.group(2)), "both": int(found.group(3))}


def poll_buttons(blocks: list[dict[str, Any]]) -> list[str]:
    """The choice ids of a card's buttons."""
    return [e["value"] for b in blocks if b.get("type") == "actions" for e in b["elements"]
            if e.get("type") == "button"]


def view_of(call: Call) -> dict[str, Any]:
    """The view a views.open / views.publish call carried (slack_sdk sends it as a JSON string in form bodies)."""
    view = call.body["view"]
    return json.loads(view) if isinstance(view, str) else view


@asynccontextmanager
async def serve_app(conversation: Any, mock: MockSlack) -> AsyncIterator[SlackSender]:
    """The Slack app for `conversation`, served in HTTP mode on a free 127.0.0.1 port, and a sender for it.

    For tests that need their own Conversation (a rate limit, a store that is down) or two app instances in turn
    (a restart between votes); the `slack` fixture is the common case of this."""
    from rolecall.adapters.slack import SlackSettings, create_app, create_web_app, drain

    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=mock.api_url)
    app = create_app(conversation, settings)
    runner = web.AppRunner(create_web_app(app))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            yield SlackSender(f"http://{host}:{port}", session, mock)
    finally:
        await drain(app, timeout=5)
        await runner.cleanup()


def header_of(blocks: list[dict[str, Any]]) -> str | None:
    return next((b["text"]["text"] for b in blocks if b.get("type") == "header"), None)


def progress_of(blocks: list[dict[str, Any]]) -> str | None:
    """The quiz card's 'Step N of M' context line, if there is one."""
    for block in blocks:
        if block.get("type") == "context":
            text = block["elements"][0].get("text", "")
            if text.startswith("Step "):
                return text.split(" · ")[0]
    return None
