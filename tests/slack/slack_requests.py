"""What Slack sends to the app, and reading what the app sent back.

The app is served for real in HTTP mode on a free port (`serve_app`) and sent
signed requests over HTTP, shaped as Slack shapes them: Slack entity-encodes
`&`, `<` and `>` in event and slash-command text (`&amp; &lt; &gt;`; see
https://docs.slack.dev/messaging/formatting-message-text#escaping), so tests
that type those characters send them encoded, as `slack_text` does; modal
inputs arrive raw.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import aiohttp
from mock_slack_api import BOT_TOKEN, BOT_USER, SIGNING_SECRET, TEAM, Call, MockSlack
from slack_sdk.signature import SignatureVerifier


def slack_text(text: str) -> str:
    """`text` as Slack delivers what someone typed: `&`, `<` and `>` entity-encoded."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FORM = "application/x-www-form-urlencoded"


class SlackSender:
    """Sends what Slack would send to the app in HTTP mode: signed events, slash commands and clicks."""

    def __init__(self, url: str, session: aiohttp.ClientSession, mock: MockSlack):
        self.url = url
        self.session = session
        self.mock = mock
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self._ids = mock.ids  # shared by every sender to one mock, so response_url names never collide
        self.front_end: Any = None
        """The app this sender talks to, when it runs in the test's own process (`serve_app`)."""

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

    def event_body(self, event: dict[str, Any], *, event_id: str | None = None, team: str = TEAM) -> str:
        """The JSON body of an Events API delivery of `event` (a new event_id unless one is given)."""
        n = next(self._ids)
        payload = {"token": "legacy-verification-token", "team_id": team, "api_app_id": "A0001",
                   "event": {"event_ts": f"1700000000.{n:06d}", **event}, "type": "event_callback",
                   "event_id": event_id or f"Ev{n:06d}", "event_time": 1700000000,
                   "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}]}
        return json.dumps(payload)

    async def event(self, event: dict[str, Any], *, headers: dict[str, str] | None = None,
                    event_id: str | None = None, team: str = TEAM) -> int:
        status, _ = await self.post(self.event_body(event, event_id=event_id, team=team), headers=headers)
        return status

    async def mention(self, text: str, *, user: str = "UANN", channel: str = "C0001", ts: str = "1700000001.000100",
                      thread_ts: str | None = None, headers: dict[str, str] | None = None,
                      event_id: str | None = None) -> int:
        """@Rolecall TEXT in a channel; TEXT is what the event carries (use `slack_text` for typed `&`, `<`, `>`)."""
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.event(event, headers=headers, event_id=event_id)

    async def dm(self, text: str, *, user: str = "UANN", channel: str = "DANN", event_id: str | None = None,
                 team: str = TEAM) -> int:
        n = next(self._ids)
        return await self.event({"type": "message", "channel_type": "im", "user": user, "text": text,
                                 "ts": f"1700000002.{n:06d}", "channel": channel}, event_id=event_id, team=team)

    def command_body(self, text: str, *, user: str = "UANN", channel: str = "C0001",
                     command: str = "/rolecall") -> tuple[str, str]:
        """The form body Slack would send for `/rolecall TEXT`, and its response_url path."""
        name = f"cmd{next(self._ids)}"
        form = {"token": "legacy-verification-token", "team_id": TEAM, "team_domain": "test", "channel_id": channel,
                "channel_name": "general", "user_id": user, "user_name": "ann", "command": command, "text": text,
                "api_app_id": "A0001", "is_enterprise_install": "false", "response_url": self.mock.response_url(name),
                "trigger_id": "1.2.3"}
        return urlencode(form), f"response/{name}"

    async def command(self, text: str, *, user: str = "UANN", channel: str = "C0001",
                      command: str = "/rolecall") -> tuple[int, str]:
        """Send `/rolecall TEXT`; returns (status, the response_url path the answer should arrive at)."""
        body, path = self.command_body(text, user=user, channel=channel, command=command)
        status, _ = await self.post(body, content_type=FORM)
        return status, path

    async def click(self, blocks: list[dict[str, Any]], label: str | int = 0, *, user: str = "UANN",
                    channel: str = "C0001", ephemeral: bool = True, message_ts: str = "1700000003.000100",
                    message_blocks: list[dict[str, Any]] | None = None,
                    thread_ts: str | None = None) -> tuple[int, str]:
        """Click a button of a card the app rendered (by label or index); returns (status, response_url path).

        `message_ts` is the clicked message's ts (from chat.postMessage's answer for a card the app posted);
        `message_blocks` what the message shows when clicked, if it changed since `blocks` were rendered;
        `thread_ts` the thread it is in (Slack names it in the container)."""
        body, path = self.click_body(blocks, label, user=user, channel=channel, ephemeral=ephemeral,
                                     message_ts=message_ts, message_blocks=message_blocks, thread_ts=thread_ts)
        status, _ = await self.post(body, content_type=FORM)
        return status, path

    def click_body(self, blocks: list[dict[str, Any]], label: str | int = 0, *, user: str = "UANN",
                   channel: str = "C0001", ephemeral: bool = True, message_ts: str = "1700000003.000100",
                   message_blocks: list[dict[str, Any]] | None = None,
                   thread_ts: str | None = None) -> tuple[str, str]:
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
        if thread_ts:
            payload["container"]["thread_ts"] = thread_ts
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": message_ts,
                                  "blocks": blocks if message_blocks is None else message_blocks}
            if thread_ts:
                payload["message"]["thread_ts"] = thread_ts
        return urlencode({"payload": json.dumps(payload)}), f"response/{name}"

    async def message_action(self, text: str, *, user: str = "UANN", channel: str = "C0001",
                             author: str = "UBOB", ts: str = "1700000005.000100", thread_ts: str | None = None,
                             callback_id: str = "rolecall_who_owns_this") -> tuple[int, str]:
        """A message shortcut on someone's message (TEXT as Slack sends it: use `slack_text` for typed `&`, `<`,
        `>`), shaped as Slack's message_action payload; returns (status, its response_url path)."""
        name = f"shortcut{next(self._ids)}"
        chosen: dict[str, Any] = {"client_msg_id": f"m-{name}", "type": "message", "text": text, "user": author,
                                  "ts": ts, "team": TEAM}
        if thread_ts:
            chosen["thread_ts"] = thread_ts
        payload = {
            "type": "message_action", "token": "legacy-verification-token", "action_ts": "1700000006.000100",
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "username": "ann", "team_id": TEAM, "name": "ann"},
            "channel": {"id": channel, "name": "general"}, "is_enterprise_install": False, "enterprise": None,
            "callback_id": callback_id, "trigger_id": "1.2.5", "response_url": self.mock.response_url(name),
            "message_ts": ts, "message": chosen,
        }
        status, _ = await self.post(urlencode({"payload": json.dumps(payload)}), content_type=FORM)
        return status, f"response/{name}"

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
                               content_type=FORM)

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
                                    content_type=FORM)
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


def vote_buttons(blocks: list[dict[str, Any]]) -> list[str]:
    """The choice ids of a poll card's vote and reveal buttons (a closed poll has none)."""
    return [v for v in poll_buttons(blocks) if v.startswith("poll:") and v.rsplit(":", 1)[1] in
            ("product", "project", "both", "reveal")]


def view_of(call: Call) -> dict[str, Any]:
    """The view a views.open / views.publish call carried (slack_sdk sends it as a JSON string in form bodies)."""
    view = call.body["view"]
    return json.loads(view) if isinstance(view, str) else view


@asynccontextmanager
async def serve_app(conversation: Any, mock: MockSlack) -> AsyncIterator[SlackSender]:
    """The Slack app for `conversation`, served in HTTP mode on a free 127.0.0.1 port, and a sender for it.

    For tests that need their own Conversation (a rate limit, a store that is down) or two app instances in turn
    (a restart between votes); the `slack` fixture is the common case of this."""
    from aiohttp import web

    from rolecall.adapters.slack import SlackSettings, create_app, create_runner, create_web_app, drain

    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=mock.api_url)
    app = create_app(conversation, settings)
    runner = create_runner(create_web_app(app))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            sender = SlackSender(f"http://{host}:{port}", session, mock)
            sender.front_end = app
            yield sender
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
