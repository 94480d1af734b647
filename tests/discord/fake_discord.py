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
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

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

    def __repr__(self) -> str:  # short, for assertion messages
        return f"{self.method} {self.path}{'?' + '&'.join(f'{k}={v}' for k, v in self.query.items()) if self.query else ''}"


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
        self._failures: list[Failure] = []
        self._interactions: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1700000000000000001)
        self._socket: web.WebSocketResponse | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle --

    async def start(self) -> "FakeDiscord":
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
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
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw and request.content_type.startswith("multipart/"):
            body = {"multipart": raw.decode("utf-8", "replace")}
        self.calls.append(Call(request.method, path, dict(request.query), body))

        for failure in self._failures:
            if failure.times > 0 and failure.method == request.method and failure.path.search(path):
                failure.times -= 1
                return _json(failure.body, status=failure.status, headers=failure.headers)

        status, data = self._answer(request, path, body)
        self.calls[-1].response = data
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
        match = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if match and request.method == "PUT":
            return 200, [{**cmd, "id": str(COMMAND_ID + i), "application_id": str(APP_ID), "version": "1",
                          **({"guild_id": match[2]} if match[2] else {})} for i, cmd in enumerate(body or [])]
        return 404, {"message": "404: Not Found", "code": 0}

    def _callback(self, interaction_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """The `?with_response=1` answer: which message the interaction created or updated."""
        interaction = self._interactions.get(interaction_id, {})
        channel_id = int(interaction.get("channel_id", CHANNEL_ID))
        kind = body.get("type")
        data = body.get("data") or {}
        if kind == 7 and "message" in interaction:  # UPDATE_MESSAGE edits the message that holds the button
            message_id = int(interaction["message"]["id"])
            old = self.messages.get(message_id, {})
            data = {"flags": old.get("flags", 0), **data}
        else:
            message_id = next(self._ids)
        message = self._store_message(message_id, channel_id, data)
        return {"interaction": {"id": str(interaction_id), "type": interaction.get("type", 2),
                                "response_message_id": str(message_id), "response_message_loading": False,
                                "response_message_ephemeral": bool(data.get("flags", 0) & 64)},
                "resource": {"type": kind, "message": message}}

    def _store_message(self, message_id: int, channel_id: int, data: dict[str, Any]) -> dict[str, Any]:
        message = {"id": str(message_id), "channel_id": str(channel_id), "author": BOT_USER,
                   "content": data.get("content") or "", "embeds": data.get("embeds") or [],
                   "components": data.get("components") or [], "flags": data.get("flags", 0) or 0,
                   "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
                   "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                   "pinned": False, "type": 0}
        if channel_id == CHANNEL_ID:
            message["guild_id"] = str(GUILD_ID)
        self.messages[message_id] = message
        return message

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
        "app_permissions": "2248473465835073", "entitlements": [], "authorizing_integration_owners": {"0": str(GUILD_ID)},
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


def slash(subcommand: str, *, dm: bool = False, user_id: int = USER_ID, **options: str) -> dict[str, Any]:
    """INTERACTION_CREATE for `/rolecall SUBCOMMAND option=value ...`."""
    data = {"id": str(COMMAND_ID), "name": "rolecall", "type": 1,
            "options": [{"name": subcommand, "type": 1,
                         "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}]}
    return _interaction(2, data, dm=dm, user_id=user_id)


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
            sys.executable, "-m", "bot.cli", *args, cwd=REPO_ROOT, env=environment,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise
        return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
