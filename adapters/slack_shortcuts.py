""""Who owns this?" on any message: Slack's message shortcut, answered privately, and its "Share in channel" button.

- The shortcut (callback_id SHORTCUT_CALLBACK, declared in slack_manifest.yaml)
  arrives as a `message_action` payload with the chosen message; it is
  acknowledged at once and the core answers `AboutMessage(text)`, the text
  decoded once as Slack entity-encodes it.
- The answer goes to the person who used the shortcut alone: chat.postEphemeral
  in that channel (in the message's thread, if it is in one), else the
  payload's response_url as an ephemeral response (where Rolecall is not a
  member of the channel).
- "Share in channel" (a `share:<topic>` choice) posts the core's reply for
  everyone with chat.postMessage, in the thread the private answer was in, and
  turns the private answer into a short note; where Rolecall may not post, the
  click's response_url posts it in the channel instead.
- "Ask @delivery-leads" (the `contact:ask` choice) posts the core's ping the
  same way, where the clicked message is (its thread, else the channel),
  mentioning exactly the configured user group (`slack_blocks.ping_text`); the
  clicked card stays as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from ..bot.intents import AboutMessage, Intent
from ..bot.messages import Message, Reply
from .slack_block_kit import SlackMessage
from .slack_blocks import render
from .slack_delivery import Delivery, Respond
from .slack_payloads import decode, message

__all__ = ["NO_TEXT", "SHARED", "SHORTCUT_CALLBACK", "Shortcuts", "thread_of_click"]

SHORTCUT_CALLBACK = "rolecall_who_owns_this"
"""callback_id of the "Who owns this?" message shortcut (slack_manifest.yaml declares the same)."""
NO_TEXT = ("That message has no text I can read, so I can't say who owns it. Try it on a message with words in it, "
           "or ask me with /rolecall who <task>.")
SHARED = "Shared with the channel."

Answer = Callable[[str | None, Message, Intent | None], Reply | None]
"""The front end's `_answer_once`: the core's reply, or None for a delivery already answered."""
Core = Callable[..., Awaitable[Any]]
"""`Work.core`: a call into the core in a worker thread."""
Render = Callable[[Reply, str], SlackMessage]


class Shortcuts:
    """The message shortcut's private answer and the public post its "Share in channel" button makes."""

    def __init__(self, delivery: Delivery, core: Core, answer: Answer, render_for: Render):
        self.delivery = delivery
        self.core = core
        self.answer = answer
        self.render_for = render_for

    async def answered(self, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient,
                       respond: Respond, delivery: str | None) -> None:
        """The answer about the chosen message, for the person who chose it alone (already acknowledged)."""
        chosen = body.get("message") or {}
        user = (body.get("user") or {}).get("id", "")
        channel = (body.get("channel") or {}).get("id", "")
        thread = chosen.get("thread_ts")
        text = decode(chosen.get("text") or "")
        if not text.strip():
            reply: Reply | None = Reply.note(NO_TEXT, private=True)
        else:
            asked = message(context, channel=channel, user=user, text=text)
            reply = await self.core(self.answer, delivery, asked, AboutMessage(text))
        if reply is None or reply.silent:
            return  # a replay, or a flood past the rate limit: say nothing
        rendered = self.render_for(reply, user)
        sent = None
        if channel and user:
            sent = await self.delivery.ephemeral(client, channel=channel, user=user, thread_ts=thread,
                                                 message=rendered)
        if sent is None and body.get("response_url"):
            await self.delivery.respond(respond, rendered, response_type="ephemeral")

    async def share(self, client: AsyncWebClient, body: dict[str, Any], respond: Respond, reply: Reply) -> None:
        """"Share in channel": the core's reply posted for everyone where the private answer was."""
        posted = await self.post_where_clicked(client, body, respond, render(reply))  # no owner: anyone may rate it
        if posted and body.get("response_url"):
            await self.delivery.respond(respond, render(Reply.note(SHARED)), replace_original=True)

    async def ask_contact(self, client: AsyncWebClient, body: dict[str, Any], respond: Respond,
                          reply: Reply) -> None:
        """"Ask @delivery-leads": the ping posted where the clicked card is; the card itself is left alone."""
        await self.post_where_clicked(client, body, respond, render(reply))

    async def post_where_clicked(self, client: AsyncWebClient, body: dict[str, Any], respond: Respond,
                                 public: SlackMessage) -> bool:
        """`public` posted for everyone in the clicked message's thread (else its channel); where Rolecall may not
        post, through the click's response_url as a new message in the channel. True when chat.postMessage took it."""
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        posted = await self.delivery.post(client, channel=channel, thread_ts=thread_of_click(body),
                                          message=public) if channel else None
        if posted is None:
            await self.delivery.respond(respond, public, response_type="in_channel", replace_original=False)
            return False
        return True


def thread_of_click(body: dict[str, Any]) -> str | None:
    """The thread a clicked message is in: Slack names it in the container (an ephemeral message has no `message`)."""
    container = body.get("container") or {}
    return container.get("thread_ts") or (body.get("message") or {}).get("thread_ts") or None
