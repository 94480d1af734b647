"""Discord's rules for interactions, as the fake enforces them; a mixin of FakeDiscord.

https://discord.com/developers/docs/interactions/receiving-and-responding: the first
answer (the callback) must come within 3 seconds of the interaction, or Discord
answers 404 "Unknown interaction" (10062) and the person sees "The application did
not respond"; an interaction is answered once (a second callback gets 400, 40060);
follow-ups and edits through the interaction's webhook work only once it has been
answered (404 "Unknown Webhook", 10015), and the first follow-up after a "thinking"
answer takes the placeholder's place.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from discord_payloads import APP_ID, CHANNEL_ID, EPHEMERAL, INTERACTION_DEADLINE, LOADING, WAIT


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
    at: float = field(default_factory=time.monotonic)
    """When the request arrived (time.monotonic)."""
    status: int = 0
    """The HTTP status the fake answered."""

    def __repr__(self) -> str:  # short, for assertion messages
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query.items()) if self.query else ""
        return f"{self.method} {self.path}{query}"


class InteractionRules:
    """Interactions pushed to the bot, its callbacks and its webhook calls.

    FakeDiscord holds the messages and supplies `dispatch`, `wait_for`, `_store_message` and `_edit`.
    """

    calls: list[Call]
    messages: dict[int, dict[str, Any]]

    def _init_interactions(self) -> None:
        self.received: dict[int, float] = {}
        """Interaction id -> when Discord sent it (time.monotonic), for the 3-second deadline."""
        self._acknowledged: set[int] = set()
        self._interactions: dict[int, dict[str, Any]] = {}
        self._originals: dict[str, int] = {}
        """Interaction token -> the id of the message its response created (for @original edits and follow-ups)."""

    def original(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The message an interaction's response created (or, for a click, the message clicked), as it is now."""
        return self.messages[self._originals[payload["token"]]]

    def webhook_calls(self, payload: dict[str, Any], method: str = "POST") -> list[Call]:
        """Follow-ups (POST) or edits (PATCH) sent with an interaction's token."""
        prefix = f"/webhooks/{APP_ID}/{payload['token']}"
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    async def interaction(self, payload: dict[str, Any], *, age: float = 0.0) -> None:
        """Push INTERACTION_CREATE; `age` pretends Discord sent it that many seconds ago (a slow network)."""
        self._interactions[int(payload["id"])] = payload
        self.received[int(payload["id"])] = time.monotonic() - age
        await self.dispatch("INTERACTION_CREATE", payload)

    def acknowledged_after(self, payload: dict[str, Any]) -> float:
        """Seconds from the interaction to the bot's (accepted) callback."""
        path = re.compile(rf"/interactions/{payload['id']}/[^/]+/callback$")
        calls = [c for c in self.calls if c.method == "POST" and path.search(c.path) and c.status == 200]
        assert calls, f"interaction {payload['id']} was never acknowledged: {self.calls}"
        return calls[0].at - self.received[int(payload["id"])]

    async def callback_for(self, interaction_id: int, *, timeout: float = WAIT) -> Call:
        """The bot's answer to one interaction."""
        path = re.compile(rf"/interactions/{interaction_id}/[^/]+/callback$")
        return (await self.wait_for(lambda c: c.method == "POST" and bool(path.search(c.path)) and c.status != 0,
                                    timeout=timeout))[-1]

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
        if interaction is None or int(interaction["id"]) not in self._acknowledged:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        original = self._originals.get(token)
        if method == "POST" and target is None:
            if original in self.messages and self.messages[original]["flags"] & LOADING:
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

    def _acknowledge(self, interaction_id: int, body: dict[str, Any]) -> tuple[int, Any]:
        if interaction_id in self._acknowledged:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        if time.monotonic() - self.received.get(interaction_id, time.monotonic()) > INTERACTION_DEADLINE:
            return 404, {"message": "Unknown interaction", "code": 10062}
        self._acknowledged.add(interaction_id)
        return 200, self._callback(interaction_id, body)
