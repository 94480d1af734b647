"""Getting rendered messages to Slack: Web API calls and response_url posts, one rule for failures.

Failures are logged and counted, never raised, so one lost message never stops
the app: a rate limit is waited out once (Retry-After), a missing channel is a
warning, network errors are logged. Logs carry no message text and no tokens.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from ..bot.metrics import Metrics
from .slack_block_kit import SlackMessage

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[WebhookResponse]]
"""Bolt's `respond`: posts to the response_url of the command or click being answered."""
MAX_RETRY_WAIT = 30.0
"""The longest Retry-After we wait out before the one retry; longer limits are logged and dropped."""
CHANNEL_TROUBLE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "cannot_dm_bot",
                   "user_not_in_channel", "messages_tab_disabled"}


class Delivery:
    """Posts, ephemeral notes, in-place updates and response_url posts, over one shared HTTP session."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics
        self.session: aiohttp.ClientSession | None = None
        """Shared by Web API calls and response_url posts while the server runs (set by the app at start-up)."""

    # -- the messages --------------------------------------------------------------------

    async def post(self, client: AsyncWebClient, *, channel: str, thread_ts: str | None,
                   message: SlackMessage) -> Any | None:
        return await self.call("chat.postMessage", functools.partial(
            client.chat_postMessage, channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks,
            unfurl_links=False, unfurl_media=False))

    async def ephemeral(self, client: AsyncWebClient, *, channel: str, user: str, thread_ts: str | None,
                        message: SlackMessage) -> Any | None:
        return await self.call("chat.postEphemeral", functools.partial(
            client.chat_postEphemeral, channel=channel, user=user, thread_ts=thread_ts, text=message.text,
            blocks=message.blocks or None))

    async def note(self, client: AsyncWebClient, body: dict[str, Any], respond: Respond, *, user: str,
                   message: SlackMessage) -> None:
        """Something only the clicker sees, leaving the clicked card as it is."""
        if body.get("response_url"):
            await self.respond(respond, message, response_type="ephemeral", replace_original=False)
            return
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        thread = (body.get("message") or {}).get("thread_ts")
        await self.ephemeral(client, channel=channel, user=user, thread_ts=thread, message=message)

    async def update_card(self, client: AsyncWebClient, body: dict[str, Any], message: SlackMessage,
                          respond: Respond | None) -> None:
        """Replace the clicked card in place: through response_url (works for ephemeral cards too), else chat.update."""
        if body.get("response_url") and respond is not None:
            await self.respond(respond, message, replace_original=True)
            return
        container = body.get("container") or {}
        if container.get("channel_id") and container.get("message_ts"):
            await self.call("chat.update", functools.partial(
                client.chat_update, channel=container["channel_id"], ts=container["message_ts"],
                text=message.text, blocks=message.blocks))

    async def replace(self, client: AsyncWebClient, *, channel: str, ts: str, message: SlackMessage,
                      respond: Respond | None) -> None:
        """chat.update, falling back to the click's response_url (a card posted through a response_url may not be
        Rolecall's to update)."""
        updated = await self.call("chat.update", functools.partial(
            client.chat_update, channel=channel, ts=ts, text=message.text, blocks=message.blocks))
        if updated is None and respond is not None:
            await self.respond(respond, message, replace_original=True)

    async def respond(self, respond: Respond, message: SlackMessage, **kwargs: Any) -> None:
        url = getattr(respond, "response_url", None)
        if url and self.session is not None:  # Bolt's respond() would open a session of its own per post
            respond = AsyncWebhookClient(url=url, session=self.session).send
        await self.call("response_url", functools.partial(respond, text=message.text, blocks=message.blocks or None,
                                                          **kwargs))

    # -- one call ------------------------------------------------------------------------

    async def call(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any | None:
        """One Web API or response_url call; failures are logged, never raised. A rate limit is retried once."""
        for attempt in (1, 2):
            try:
                result = await call()
            except SlackApiError as exc:
                error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
                if error == "ratelimited" and attempt == 1 and await self._wait_out(what, exc.response.headers):
                    continue
                self._failed(what)
                if error in CHANNEL_TROUBLE:
                    log.warning("%s: %s (is Rolecall a member of that conversation?); carrying on", what, error)
                else:
                    log.error("%s failed: %s", what, error or f"HTTP {exc.response.status_code}")
                return None
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                self._failed(what)
                log.error("%s: network error talking to Slack: %s", what, type(exc).__name__)
                return None
            except ValueError as exc:  # respond() without a response_url
                self._failed(what)
                log.error("%s: %s", what, exc)
                return None
            if isinstance(result, WebhookResponse) and result.status_code >= 300:
                if result.status_code == 429 and attempt == 1 and await self._wait_out(what, result.headers):
                    continue
                self._failed(what)
                log.error("%s failed: HTTP %s %s", what, result.status_code, (result.body or "")[:100])
                return None
            return result
        self._failed(what)
        log.error("%s: still rate limited after one retry; dropped", what)
        return None

    async def _wait_out(self, what: str, headers: Any) -> bool:
        """Sleep through a rate limit before the one retry; False when Slack asks for longer than we wait."""
        wait = retry_after(headers)
        if wait is None:
            return False
        log.warning("%s: rate limited by Slack, retrying once in %.0f s", what, wait)
        await asyncio.sleep(wait)
        return True

    def _failed(self, what: str) -> None:
        self.metrics.inc("rolecall_slack_api_errors_total", method=what)


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (https://api.slack.com/apis/rate-limits), or None when too long to wait."""
    value = None
    for name, raw in dict(headers or {}).items():
        if name.lower() == "retry-after":
            value = raw[0] if isinstance(raw, (list, tuple)) else raw
    try:
        seconds = max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return seconds if seconds <= MAX_RETRY_WAIT else None
