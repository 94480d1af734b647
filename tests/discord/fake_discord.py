"""A local Discord for the adapter tests: one aiohttp server on 127.0.0.1 is both REST API and gateway.

discord.py runs unmodified against it: only `discord.http.Route.BASE` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` are pointed here. The bot
really logs in, shakes hands (HELLO, IDENTIFY, READY, GUILD_CREATE), heartbeats,
and parses the `INTERACTION_CREATE` / `MESSAGE_CREATE` payloads tests push over
the websocket; every REST call it makes is recorded for the tests to assert on.

Pitfalls this server handles (../shared/notes/adapter-testing.md): JSON answers
carry exactly `Content-Type: application/json` (discord.py decodes nothing else);
interaction callbacks (`?with_response=1`) answer with a `response_message_id`;
interaction payloads carry `attachment_size_limit`; the bot's guild_ready_timeout
is tiny; callbacks run as tasks, so tests poll the recorded calls.

Beyond messages it serves what the debate polls and triage need: deferred answers
and their follow-ups (interaction webhooks), edits of an interaction's original
message, DM channels for private notes, multipart uploads (files the bot attaches
are recorded with their bytes), and the CDN URLs of attachments a test "uploads"
(`add_attachment`), all on 127.0.0.1.

Interactions follow Discord's rules (the 3-second deadline, one answer each; see
fake_interactions). Tests can also slow the CDN (`download_delay`) and make REST
calls land in a shuffled order (`jitter`), as concurrent requests do on the real
network.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from discord_payloads import (
    APP_ID,
    APPLICATION,
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    COMMAND_ID,
    DM_CHANNEL,
    DM_CHANNEL_ID,
    EPHEMERAL,
    GUILD,
    GUILD_CHANNEL,
    GUILD_ID,
    INTERACTION_DEADLINE,
    LOADING,
    MESSAGE_CONTENT_INTENT,
    OTHER_BOT_ID,
    OTHER_USER_ID,
    REPO_ROOT,
    TOKEN,
    USER_ID,
    WAIT,
    button_ids,
    click,
    eventually,
    member,
    mention_of_bot,
    message_command,
    message_create,
    modal_submit,
    run_rolecall,
    slash,
    user,
)
from fake_interactions import Call, InteractionRules

__all__ = [  # what the tests import from here (the ids and payload builders live in discord_payloads)
    "REPO_ROOT", "TOKEN", "APP_ID", "BOT_ID", "GUILD_ID", "CHANNEL_ID", "DM_CHANNEL_ID", "USER_ID", "OTHER_USER_ID",
    "OTHER_BOT_ID", "COMMAND_ID", "MESSAGE_CONTENT_INTENT", "EPHEMERAL", "LOADING", "WAIT", "INTERACTION_DEADLINE",
    "BOT_USER", "user", "member", "GUILD_CHANNEL", "DM_CHANNEL", "APPLICATION", "GUILD", "eventually", "slash",
    "modal_submit", "message_command", "click", "button_ids", "message_create", "mention_of_bot", "run_rolecall",
    "FakeDiscord", "Call",
]


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    times: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeDiscord(InteractionRules):
    """Discord's REST API and gateway, as far as Rolecall uses them."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.identifies: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.resumes: list[dict[str, Any]] = []
        self.sessions = 0
        """How many times a bot got READY and its guild."""
        self.refuse_privileged_intents = False
        """Close with 4014, as Discord does when the portal switch for an asked-for intent is off."""
        self.messages: dict[int, dict[str, Any]] = {}
        self.attachments: dict[int, tuple[bytes, str]] = {}
        """Files a test "uploaded", served at their CDN URL on this server."""
        self.downloads: list[str] = []
        self.download_delay = 0.0
        """Seconds the CDN takes before it serves an attachment."""
        self.jitter = 0.0
        """Up to this many seconds of random delay before a REST call is applied, so concurrent calls can overtake
        each other (as they do between a bot and Discord)."""
        self.closes: list[int | None] = []
        """The close code of every gateway connection that ended (1000: the bot closed it cleanly)."""
        self.history: dict[int, list[dict[str, Any]]] = {}
        """Message id -> every version of it, in the order the fake applied the edits."""
        self._init_interactions()
        self._failures: list[Failure] = []
        self._ids = itertools.count(1700000000000000001)
        self._socket: web.WebSocketResponse | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle --

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- what tests use --

    def fail(self, method: str, path: str, status: int, *, code: int = 0, times: int = 1,
             retry_after: float | None = None) -> None:
        """Answer the next `times` requests matching METHOD and a path regex with an error."""
        body: dict[str, Any] = {"message": f"{status}: injected by the test", "code": code}
        headers: dict[str, str] = {}
        if status == 429:
            # discord.py retries a 429 only when it comes through Discord's proxy (a Via header) with retry_after.
            body = {"message": "You are being rate limited.", "retry_after": retry_after or 0.05, "global": False}
            headers = {"Via": "1.1 google", "Retry-After": str(retry_after or 0.05)}
        self._failures.append(Failure(method, re.compile(path), status, body, times, headers))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Push one gateway DISPATCH event to the connected bot."""
        assert self._socket is not None and not self._socket.closed, "no bot is connected"
        self._seq += 1
        await self._socket.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def ask_to_reconnect(self) -> None:
        """Send op 7 RECONNECT, as Discord does before moving a session to another gateway node."""
        assert self._socket is not None
        await self._socket.send_str(json.dumps({"op": 7, "d": None, "s": None, "t": None}))

    def add_attachment(self, filename: str, data: bytes, content_type: str | None = "text/plain; charset=utf-8",
                       *, size: int | None = None) -> dict[str, Any]:
        """A file as Discord describes an uploaded attachment; its URL is served here.

        `size` can lie, as a test needs.
        """
        attachment_id = next(self._ids)
        self.attachments[attachment_id] = (data, content_type or "application/octet-stream")
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        payload: dict[str, Any] = {"id": str(attachment_id), "filename": filename,
                                   "size": len(data) if size is None else size, "url": url, "proxy_url": url}
        if content_type is not None:
            payload["content_type"] = content_type
        return payload

    async def wait_for(self, predicate: Callable[[Call], bool], *, count: int = 1, timeout: float = WAIT) -> list[Call]:
        """Poll the recorded calls until `count` match; fail with what was seen."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls if predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} matching call(s), saw {len(found)}; all calls: {self.calls}")
            await asyncio.sleep(0.01)

    @staticmethod
    def messages_from(call: Call) -> dict[str, Any]:
        """The message a recorded call created or updated, as the fake answered it."""
        assert call.response is not None, call
        return call.response["resource"]["message"] if "resource" in call.response else call.response

    def posts(self, channel_id: int) -> list[Call]:
        """Messages the bot posted to a channel (not interaction replies)."""
        return [c for c in self.calls if c.method == "POST" and c.path == f"/channels/{channel_id}/messages"]

    # -- REST --

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        raw = await request.read()
        files: list[dict[str, Any]] = []
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw and request.content_type.startswith("multipart/"):
            body, files = _multipart(request.headers["Content-Type"], raw)
        call = Call(request.method, path, dict(request.query), body, files=files)
        self.calls.append(call)
        if self.jitter:
            await asyncio.sleep(random.uniform(0, self.jitter))

        for failure in self._failures:
            if failure.times > 0 and failure.method == request.method and failure.path.search(path):
                failure.times -= 1
                call.status = failure.status
                return _json(failure.body, status=failure.status, headers=failure.headers)

        status, data = self._answer(request, path, body)
        call.status = status
        call.response = data if status < 400 else None
        if status == 204:
            return web.Response(status=204)
        return _json(data, status=status)

    def _answer(self, request: web.Request, path: str, body: Any) -> tuple[int, Any]:
        if path == "/users/@me" and request.method == "GET":
            if request.headers.get("Authorization") != f"Bot {TOKEN}":
                return 401, {"message": "401: Unauthorized", "code": 0}
            return 200, BOT_USER
        if path == "/oauth2/applications/@me":
            return 200, APPLICATION
        match = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if match and request.method == "POST":
            return self._acknowledge(int(match[1]), body or {})
        match = re.fullmatch(r"/channels/(\d+)/messages", path)
        if match and request.method == "POST":
            return 200, self._store_message(next(self._ids), int(match[1]), body or {})
        match = re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)
        if match and request.method == "PATCH":
            return self._edit(int(match[2]), body or {})
        match = re.fullmatch(rf"/webhooks/{APP_ID}/([^/]+)(?:/messages/(@original|\d+))?", path)
        if match:
            return self._webhook(request.method, match[1], match[2], body or {})
        if path == "/users/@me/channels" and request.method == "POST":
            recipient = int((body or {}).get("recipient_id", USER_ID))
            channel_id = DM_CHANNEL_ID if recipient == USER_ID else DM_CHANNEL_ID + recipient % 1000
            return 200, {**DM_CHANNEL, "id": str(channel_id), "recipients": [user(recipient)]}
        match = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if match and request.method == "PUT":
            # Discord answers a context-menu command (which is sent without one) with an empty description.
            return 200, [{"description": "", **cmd, "id": str(COMMAND_ID + i), "application_id": str(APP_ID),
                          "version": "1", **({"guild_id": match[2]} if match[2] else {})}
                         for i, cmd in enumerate(body or [])]
        return 404, {"message": "404: Not Found", "code": 0}

    def _edit(self, message_id: int, body: dict[str, Any]) -> tuple[int, Any]:
        old = self.messages.get(message_id)
        if old is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        changed = {k: v for k, v in body.items() if k in ("content", "embeds", "components", "flags", "attachments")}
        if "flags" in changed:
            changed["flags"] = (changed["flags"] or 0) | (old["flags"] & EPHEMERAL)
        if old["flags"] & LOADING:  # an edit of a "thinking" placeholder replaces it with the answer
            changed["flags"] = changed.get("flags", old["flags"]) & ~LOADING
        message = {**old, **changed, "edited_timestamp": "2024-01-01T00:00:01+00:00"}
        self.messages[message_id] = message
        self.history.setdefault(message_id, []).append(message)
        return 200, message

    def _store_message(self, message_id: int, channel_id: int, data: dict[str, Any]) -> dict[str, Any]:
        message = {"id": str(message_id), "channel_id": str(channel_id), "author": BOT_USER,
                   "content": data.get("content") or "", "embeds": data.get("embeds") or [],
                   "components": data.get("components") or [], "flags": data.get("flags", 0) or 0,
                   "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
                   "mention_everyone": False, "mentions": [], "mention_roles": [],
                   "attachments": [{**a, "id": str(next(self._ids)), "size": 0, "url": "", "proxy_url": ""}
                                   for a in data.get("attachments") or []],
                   "pinned": False, "type": 0}
        if channel_id == CHANNEL_ID:
            message["guild_id"] = str(GUILD_ID)
        self.messages[message_id] = message
        self.history.setdefault(message_id, []).append(message)
        return message

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        """The CDN: the bytes of an attachment a test added."""
        self.downloads.append(request.match_info["filename"])
        if self.download_delay:
            await asyncio.sleep(self.download_delay)
        found = self.attachments.get(int(request.match_info["id"]))
        if found is None:
            return web.Response(status=404, text="Not Found")
        data, content_type = found
        return web.Response(body=data, headers={"Content-Type": content_type})

    # -- gateway --

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 1000}, "s": None, "t": None}))
        async for msg in ws:
            if msg.type != web.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame["op"] == 2:  # IDENTIFY
                self.identifies.append(frame["d"])
                if self.refuse_privileged_intents and frame["d"]["intents"] & MESSAGE_CONTENT_INTENT:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                self._socket = ws
                self._seq = 0
                await self.dispatch("READY", {
                    "v": 10, "user": BOT_USER, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                    "session_id": f"session-{len(self.identifies)}", "resume_gateway_url": self.gateway_url,
                    "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [], "relationships": []})
                await self.dispatch("GUILD_CREATE", GUILD)
                self.sessions += 1
            elif frame["op"] == 6:  # RESUME after a reconnect: same session, events continue
                self.resumes.append(frame["d"])
                self._socket = ws
                await self.dispatch("RESUMED", {})
            elif frame["op"] == 1:  # HEARTBEAT
                self.heartbeats += 1
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
        self.closes.append(ws.close_code)
        return ws


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A multipart/form-data upload: the `payload_json` part as the body, the other parts as files."""
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    body: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if name == "payload_json":
            body = json.loads(data)
        else:
            files.append({"name": name, "filename": part.get_filename(), "content_type": part.get_content_type(),
                          "data": data})
    return body, files


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly 'application/json': json_response() adds '; charset=utf-8' and discord.py then reads text, not JSON.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})
