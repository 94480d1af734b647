"""Reading Slack's payloads: typed text decoded once, the `Message` the core gets, and what makes a delivery unique.

Slack entity-encodes `&`, `<` and `>` in the text of events and slash commands
(https://docs.slack.dev/messaging/formatting-message-text#escaping) and sends
its own markup (`<@U123>`, `<!here>`, `<https://...|label>`) as is; modal inputs
arrive raw. `decode` undoes the encoding exactly once, where text comes in, so
the core sees what was typed and the way out (`slack_block_kit.escape`) escapes
it exactly once.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt.async_app import AsyncBoltContext

from ..bot import buttons
from ..bot.intents import Reveal, Vote
from ..bot.messages import Message, Reply
from ..bot.parts import PollCard, QuizEnded, QuizQuestion, QuizResult, Verdict

PLATFORM = "slack"
REQUEST_ID = "rolecall_request_id"
"""Where the HTTP door leaves a signed request's signature in Bolt's context: the same signed bytes are one delivery
(a replay, or a proxy retrying a POST), answered once."""
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*", re.IGNORECASE)


def decode(text: str) -> str:
    """Event or slash-command text as typed: `&amp;` `&lt;` `&gt;` back to `&` `<` `>`, in one pass (so a typed
    `&amp;lt;` stays `&lt;`)."""
    return _ENTITY.sub(lambda found: _ENTITIES[found.group(1)], text) if "&" in text else text


def mention_text(text: str) -> str:
    """A mention's text as typed, without the leading @Rolecall."""
    return decode(_LEADING_MENTION.sub("", text, count=1))


def workspace_of(context: AsyncBoltContext) -> str:
    """The Slack workspace (team) a request comes from, or its Enterprise Grid org."""
    return context.team_id or context.enterprise_id or ""


def message(context: AsyncBoltContext, *, channel: str, user: str, text: str = "", choice: str | None = None,
            card_owner: str | None = None) -> Message:
    return Message(text=text, platform=PLATFORM, workspace=workspace_of(context), channel=channel, user=user,
                   choice=choice, card_owner=card_owner)


def event_delivery(body: dict[str, Any]) -> str | None:
    """The id that names one event whatever the number of deliveries (Slack retries with the same event_id)."""
    event_id = body.get("event_id")
    return f"event:{event_id}" if isinstance(event_id, str) and event_id else None


def request_delivery(context: AsyncBoltContext) -> str | None:
    """The id of one signed HTTP request (its signature), or None in Socket Mode."""
    signature = context.get(REQUEST_ID)
    return f"request:{signature[3:43]}" if isinstance(signature, str) and signature else None


def is_card(reply: Reply) -> bool:
    """Whether a reply to a click is a card that can stand in for the clicked one (else it is a note)."""
    cards = (Verdict, QuizQuestion, QuizResult, QuizEnded, PollCard)
    return bool(reply.choices) or any(isinstance(part, cards) for part in reply.parts)


def shows_open_poll(body: dict[str, Any], poll_id: str) -> bool:
    """Whether the clicked message still shows the vote buttons of `poll_id` (it closed on time, unrevealed)."""
    blocks = (body.get("message") or {}).get("blocks") or []
    shown = (buttons.parse(str(element.get("value", ""))) for block in blocks if block.get("type") == "actions"
             for element in block.get("elements") or [])
    return any(isinstance(intent, (Vote, Reveal)) and intent.poll == poll_id for intent in shown)


def metadata(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
