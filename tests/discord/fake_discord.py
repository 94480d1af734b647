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
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token.not-a-real-one"
APP_ID = 1100000000000000001
BOT_ID = APP_ID
GUILD_ID = 1200000000000000001
CHANNEL_ID = 1300000000000000001
DM_CHANNEL_ID = 1300000000000000002
USER_ID = 1400000000000000001
OTHER_USER_ID = 1400000000000000002
OTHER_BOT_ID = 1400000000000000003
COMMAND_ID = 1600000000000000001
MESSAGE_CONTENT_INTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7
WAIT = 5.0
"""Seconds a test waits for the bot's REST call before failing."""

BOT_USER = {"id": str(BOT_ID), "username": "Rolecall", "discriminator": "0", "global_name": None, "avatar": None,
            "bot": True, "flags": 0, "mfa_enabled": True, "verified": True}


def user(user_id: int = USER_ID, name: str = "ada", *, is_bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None,
            **({"bot": True} if is_bot else {})}


def member(user_id: int = USER_ID, name: str = "ada") -> dict[str, Any]:
    return {"user": user(user_id, name), "roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False,
            "mute": False, "flags": 0, "permissions": "2248473465835073"}


GUILD_CHANNEL = {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "general", "position": 0,
                 "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                 "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}
DM_CHANNEL = {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [user()], "last_message_id": None, "flags": 0}


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    response: Any = None
    files: list[dict[str, Any]] = field(default_factory=list)
    """Files uploaded with a multipart request: {"name", "filename", "content_type", "data" (bytes)}."""

    def __repr__(self) -> str:  # short, for assertion messages
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query.items()) if self.query else ""
        return f"{self.method} {self.path}{query}"


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    times: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeDiscord:
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
        self._originals: dict[str, int] = {}
        """Interaction token -> the id of the message its response created (for @original edits and follow-ups)."""
        self._failures: list[Failure] = []
        self._interactions: dict[int, dict[str, Any]] = {}
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

    def original(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The message an interaction's response created (or, for a click, the message clicked), as it is now."""
        return self.messages[self._originals[payload["token"]]]

    def webhook_calls(self, payload: dict[str, Any], method: str = "POST") -> list[Call]:
        """Follow-ups (POST) or edits (PATCH) sent with an interaction's token."""
        prefix = f"/webhooks/{APP_ID}/{payload['token']}"
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    async def interaction(self, payload: dict[str, Any]) -> None:
        self._interactions[int(payload["id"])] = payload
        await self.dispatch("INTERACTION_CREATE", payload)

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

    async def callback_for(self, interaction_id: int, *, timeout: float = WAIT) -> Call:
        """The bot's answer to one interaction."""
        path = re.compile(rf"/interactions/{interaction_id}/[^/]+/callback$")
        return (await self.wait_for(lambda c: c.method == "POST" and bool(path.search(c.path)), timeout=timeout))[-1]

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
        self.calls.append(Call(request.method, path, dict(request.query), body, files=files))

        for failure in self._failures:
            if failure.times > 0 and failure.method == request.method and failure.path.search(path):
                failure.times -= 1
                return _json(failure.body, status=failure.status, headers=failure.headers)

        status, data = self._answer(request, path, body)
        self.calls[-1].response = data
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
            return 200, self._callback(int(match[1]), body or {})
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
            return 200, [{**cmd, "id": str(COMMAND_ID + i), "application_id": str(APP_ID), "version": "1",
                          **({"guild_id": match[2]} if match[2] else {})} for i, cmd in enumerate(body or [])]
        return 404, {"message": "404: Not Found", "code": 0}

    def _callback(self, interaction_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """The `?with_response=1` answer: which message the interaction created or updated.

        Types: 4 a new message, 5 a deferred one (a "thinking" placeholder the first
        follow-up replaces), 6 a deferred update (nothing changes), 7 an update of the
        clicked message, 9 a modal (no message at all).
        """
        interaction = self._interactions.get(interaction_id, {})
        channel_id = int(interaction.get("channel_id", CHANNEL_ID))
        kind = body.get("type")
        data = body.get("data") or {}
        answer: dict[str, Any] = {"id": str(interaction_id), "type": interaction.get("type", 2)}
        clicked = int(interaction["message"]["id"]) if "message" in interaction else None
        if kind == 9:
            return {"interaction": answer, "resource": {"type": kind}}
        if kind == 6:
            if clicked is not None:
                self._originals[interaction.get("token", "")] = clicked
                answer["response_message_id"] = str(clicked)
            return {"interaction": answer, "resource": {"type": kind}}
        if kind == 7 and clicked is not None:  # UPDATE_MESSAGE edits the message that holds the button
            message_id = clicked
            old = self.messages.get(message_id, {})
            data = {"flags": old.get("flags", 0), **data}
        else:
            message_id = next(self._ids)
        if kind == 5:
            data = {"flags": (data.get("flags", 0) or 0) | LOADING}
        message = self._store_message(message_id, channel_id, data)
        self._originals[interaction.get("token", "")] = message_id
        answer.update(response_message_id=str(message_id), response_message_loading=kind == 5,
                      response_message_ephemeral=bool(message["flags"] & EPHEMERAL))
        return {"interaction": answer, "resource": {"type": kind, "message": message}}

    def _webhook(self, method: str, token: str, target: str | None, body: dict[str, Any]) -> tuple[int, Any]:
        """Follow-ups and edits through an interaction's webhook (its token is valid for 15 minutes)."""
        interaction = next((i for i in self._interactions.values() if i.get("token") == token), None)
        if interaction is None:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        original = self._originals.get(token)
        if method == "POST" and target is None:
            if original is not None and self.messages[original]["flags"] & LOADING:
                # The first follow-up after a "thinking" answer replaces the placeholder; it keeps its ephemerality.
                flags = self.messages[original]["flags"] & ~LOADING
                return 200, self._store_message(original, int(self.messages[original]["channel_id"]),
                                                {**body, "flags": flags})
            return 200, self._store_message(next(self._ids), int(interaction.get("channel_id", CHANNEL_ID)), body)
        message_id = original if target == "@original" else int(target) if target else None
        if message_id is None or message_id not in self.messages:
            return 404, {"message": "Unknown Message", "code": 10008}
        if method == "PATCH":
            return self._edit(message_id, body)
        if method == "DELETE":
            del self.messages[message_id]
            return 204, None
        return 405, {"message": "405: Method Not Allowed", "code": 0}

    def _edit(self, message_id: int, body: dict[str, Any]) -> tuple[int, Any]:
        old = self.messages.get(message_id)
        if old is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        changed = {k: v for k, v in body.items() if k in ("content", "embeds", "components", "flags", "attachments")}
        if "flags" in changed:
            changed["flags"] = (changed["flags"] or 0) | (old["flags"] & EPHEMERAL)
        message = {**old, **changed, "edited_timestamp": "2024-01-01T00:00:01+00:00"}
        self.messages[message_id] = message
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
        return message

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        """The CDN: the bytes of an attachment a test added."""
        found = self.attachments.get(int(request.match_info["id"]))
        self.downloads.append(request.match_info["filename"])
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
        return ws


async def eventually(predicate: Callable[[], Any], *, timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (callbacks run as background tasks)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
    return value


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


APPLICATION = {"id": str(APP_ID), "name": "Rolecall", "icon": None, "description": "", "rpc_origins": [],
               "bot_public": True, "bot_require_code_grant": False, "bot": BOT_USER, "owner": user(USER_ID),
               "team": None, "summary": "", "verify_key": "0" * 64, "flags": 0, "tags": [],
               "interactions_endpoint_url": None, "redirect_uris": []}
GUILD = {"id": str(GUILD_ID), "name": "Product Team", "icon": None, "splash": None, "discovery_splash": None,
         "owner_id": str(USER_ID), "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
         "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0, "features": [],
         "roles": [{"id": str(GUILD_ID), "name": "@everyone", "color": 0, "hoist": False, "position": 0,
                    "permissions": "2248473465835073", "managed": False, "mentionable": False, "flags": 0}],
         "emojis": [], "stickers": [], "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
         "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
         "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
         "premium_progress_bar_enabled": False, "joined_at": "2024-01-01T00:00:00+00:00", "large": False,
         "unavailable": False, "member_count": 2, "voice_states": [], "presences": [], "threads": [],
         "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
         "members": [{**member(BOT_ID, "rolecall"), "user": BOT_USER}], "channels": [GUILD_CHANNEL]}


# -- payload builders: the shapes Discord sends over the gateway ---------------------------------

_snowflakes = itertools.count(1800000000000000001)


def _interaction(kind: int, data: dict[str, Any], *, dm: bool = False, user_id: int = USER_ID,
                 message: dict[str, Any] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(next(_snowflakes)), "application_id": str(APP_ID), "type": kind, "data": data,
        "token": f"interaction-token-{next(_snowflakes)}", "version": 1, "locale": "en-US",
        "app_permissions": "2248473465835073", "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "attachment_size_limit": 10485760,
    }
    if dm:
        payload.update(channel_id=str(DM_CHANNEL_ID), channel=DM_CHANNEL, user=user(user_id), context=1)
    else:
        payload.update(guild_id=str(GUILD_ID), channel_id=str(CHANNEL_ID), channel=GUILD_CHANNEL,
                       member=member(user_id), guild_locale="en-US", context=0,
                       guild={"id": str(GUILD_ID), "locale": "en-US", "features": []})
    if message is not None:
        payload["message"] = message
    return payload


def slash(subcommand: str, *, dm: bool = False, user_id: int = USER_ID,
          attachments: dict[str, dict[str, Any]] | None = None, **options: str) -> dict[str, Any]:
    """INTERACTION_CREATE for `/rolecall SUBCOMMAND option=value ...`.

    `attachments` maps an option name to an attachment from `FakeDiscord.add_attachment`:
    an ATTACHMENT option (type 11) whose value is the id, resolved in `data.resolved`.
    """
    values = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
    values += [{"name": k, "type": 11, "value": a["id"]} for k, a in (attachments or {}).items()]
    data: dict[str, Any] = {"id": str(COMMAND_ID), "name": "rolecall", "type": 1,
                            "options": [{"name": subcommand, "type": 1, "options": values}]}
    if attachments:
        data["resolved"] = {"attachments": {a["id"]: a for a in attachments.values()}}
    return _interaction(2, data, dm=dm, user_id=user_id)


def modal_submit(custom_id: str, values: dict[str, str], *, legacy_rows: bool = False, dm: bool = False,
                 user_id: int = USER_ID) -> dict[str, Any]:
    """INTERACTION_CREATE (type 5, MODAL_SUBMIT) for a filled-in modal.

    Text inputs arrive wrapped in Label components (type 18), as Discord sends them
    for modals built with labels, or with `legacy_rows` in action rows (type 1).
    """
    inputs = [{"type": 4, "custom_id": k, "value": v} for k, v in values.items()]
    if legacy_rows:
        components = [{"type": 1, "components": [i]} for i in inputs]
    else:
        components = [{"type": 18, "id": n + 1, "component": i} for n, i in enumerate(inputs)]
    return _interaction(5, {"custom_id": custom_id, "components": components}, dm=dm, user_id=user_id)


def click(fake: FakeDiscord, message_id: int, custom_id: str, *, user_id: int = USER_ID,
          dm: bool = False) -> dict[str, Any]:
    """INTERACTION_CREATE for a click on a button of a message the bot sent (as the fake last stored it)."""
    message = fake.messages[message_id]
    ids = button_ids(message)
    assert custom_id in ids, f"{custom_id!r} is not a button on message {message_id}: {ids}"
    return _interaction(3, {"custom_id": custom_id, "component_type": 2}, dm=dm, user_id=user_id, message=message)


def button_ids(message: dict[str, Any]) -> list[str]:
    return [b["custom_id"] for row in message.get("components", []) for b in row.get("components", [])]


def message_create(content: str, *, dm: bool = False, author_id: int = USER_ID, author_bot: bool = False,
                   mentions: list[dict[str, Any]] | None = None, reference: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """MESSAGE_CREATE for a message a person (or another bot) wrote."""
    author = user(author_id, "ada" if author_id == USER_ID else f"user{author_id % 100}", is_bot=author_bot)
    payload: dict[str, Any] = {
        "id": str(next(_snowflakes)), "channel_id": str(DM_CHANNEL_ID if dm else CHANNEL_ID), "author": author,
        "content": content, "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": "@everyone" in content, "mentions": mentions if mentions is not None else [],
        "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "type": 19 if reference else 0,
        "flags": 0, "components": [],
    }
    if not dm:
        payload["guild_id"] = str(GUILD_ID)
        payload["member"] = {k: v for k, v in member(author_id).items() if k != "user"}
    if reference is not None:
        payload["message_reference"] = {"message_id": reference["id"], "channel_id": reference["channel_id"],
                                        **({"guild_id": str(GUILD_ID)} if not dm else {})}
        payload["referenced_message"] = reference
    return payload


def mention_of_bot() -> dict[str, Any]:
    return {**BOT_USER, "member": {k: v for k, v in member(BOT_ID).items() if k != "user"}}


async def run_rolecall(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str, str]:
    """`python -m bot.cli ARGS` as a subprocess, without blocking the loop that serves the fake Discord.

    Like the suite's run_cli: no ROLECALL_* or DISCORD_* from the developer's
    environment, and a fresh empty data directory.
    """
    with tempfile.TemporaryDirectory(prefix="rolecall-data-") as data_home:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("ROLECALL_", "DISCORD_"))}
        environment["XDG_DATA_HOME"] = data_home
        environment.update(env or {})
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rolecall", *args, cwd=REPO_ROOT, env=environment,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
