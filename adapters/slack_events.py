"""Rolecall on Slack: the one object that turns Slack payloads into `Message`s and the core's replies into Block Kit.

Thin by design: each listener turns one payload (a mention, a DM, /rolecall, a
click, the triage modal) into a `Message`, asks the core through
`Conversation.handle`, and renders the `Reply`.

When the work happens:
- events, commands and the modal's submission are acknowledged at once and
  answered in a task of their own; a click is applied first (its state change
  saved) and then acknowledged, within ACK_BUDGET, so a worker that dies after
  answering 200 loses at most a post, which the next interaction repairs;
- the synchronous core runs in worker threads, at most ANSWER_SLOTS calls at a
  time (`slack_work`); Web API calls (and waiting out a rate limit) hold no
  slot, so one busy channel never delays anyone else's answer; the triage modal
  opens right after the acknowledgement (its trigger_id expires in 3 seconds),
  never behind answers;
- each delivery is answered once, across workers (`Conversation.first_delivery`):
  an event by its event_id whatever its X-Slack-Retry-Num (Slack retries with the
  same id; a retry of a delivery that never arrived is the only copy), an HTTP
  request by its signature (a replay of the same bytes).

Replies are delivered by one rule everywhere: a silent reply (a flood past the
rate limit) sends nothing; a private reply goes to the person who acted alone
(ephemeral); a button's card is replaced in place only by another card, so a
plain note never wipes the buttons someone may want to click again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from ..bot import buttons, commands
from ..bot.commands import Subcommand
from ..bot.conversation import HELP_TEXT, Conversation
from ..bot.intents import Intent, Triage
from ..bot.messages import Message, Reply
from ..bot.parts import ContactPing, PollCard, Verdict
from .slack_block_kit import SlackMessage
from .slack_blocks import (
    ACTION_PREFIX,
    TRIAGE_ACTION,
    TRIAGE_BLOCK,
    TRIAGE_CALLBACK,
    card_owner_of,
    render,
    triage_modal,
)
from .slack_delivery import Delivery, Respond
from .slack_home import home_view, to_review
from .slack_payloads import (
    PLATFORM,
    decode,
    event_delivery,
    is_card,
    mention_text,
    message,
    metadata,
    request_delivery,
    shows_open_poll,
    workspace_of,
)
from .slack_poll_cards import PollCards
from .slack_settings import SlackSettings, api_base_url, refuse_oauth_env
from .slack_shortcuts import SHORTCUT_CALLBACK, Shortcuts, thread_of_click
from .slack_work import ANSWER_SLOTS, Work

__all__ = ["ACK_BUDGET", "ANSWER_SLOTS", "COMMAND", "SlackFrontEnd"]

log = logging.getLogger(__name__)

ACK_BUDGET = 2.0
"""Seconds a click waits for its state change before it is acknowledged anyway (Slack allows 3): a slow store costs
the guarantee, never Slack's "this app did not respond"."""
COMMAND = "/rolecall"
Ack = Callable[..., Awaitable[Any]]


class SlackFrontEnd:
    """The Bolt app with Rolecall's listeners, the HTTP session they share, and the answers still being worked on."""

    def __init__(self, conversation: Conversation, settings: SlackSettings):
        refuse_oauth_env()
        self.conversation = conversation
        self.settings = settings
        self.delivery = Delivery(conversation.metrics)
        self.work = Work(conversation.metrics)
        self.polls = PollCards(conversation, self.delivery, self.work.guarded, self.work.core)
        self.shortcuts = Shortcuts(self.delivery, self.work.core, self._answer_once, self._render)
        self._started = False
        self.app = self._bolt_app()

    def _bolt_app(self) -> AsyncApp:
        client = AsyncWebClient(token=self.settings.bot_token, base_url=api_base_url(self.settings.api_url))
        # process_before_response: Bolt answers Slack's HTTP request as soon as a listener returns, and every listener
        # only acknowledges and hands the real work to a task of its own (see Work.spawn). Without it Bolt polls every
        # 10 ms for ack() from a background listener, which adds tens of milliseconds under load.
        # request_verification_enabled=False: the HTTP door (slack_http) checks every signature over the raw bytes
        # before anything parses them; Bolt's own check parses first and logs the body of every request it refuses.
        # Bolt's loggers copy the root level when they are made; given a base logger under "slack_bolt" they take its
        # (unset) level instead, so serve() can keep all of them, and their payload dumps, at INFO.
        app = AsyncApp(client=client, signing_secret=self.settings.signing_secret, name="rolecall",
                       process_before_response=True, request_verification_enabled=False,
                       logger=logging.getLogger("slack_bolt.rolecall"))
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        app.command(COMMAND)(self.on_command)  # exactly /rolecall: a string is matched whole, so not /rolecallx
        app.shortcut(SHORTCUT_CALLBACK)(self.on_shortcut)  # "Who owns this?" on a message (message_action)
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_click)
        app.action(re.compile(""))(self.on_other_action)  # any other action_id: acknowledged, not a 404
        app.view(TRIAGE_CALLBACK)(self.on_triage_submit)
        app.error(self.on_error)
        return app

    # -- starting, the HTTP session and shutting down --------------------------------------

    async def start(self) -> None:
        """Open the HTTP session and take over the reveal timers of open polls (they outlive a restart)."""
        await self.open_session()
        if not self._started:
            self._started = True
            await self.polls.restore(self.app.client)

    async def open_session(self) -> None:
        """One HTTP session (a pool of keep-alive connections) for every Web API call and response_url post.

        Without it slack_sdk opens a new session, and a new connection, per call. Bolt hands `app.client.session` to
        the client it builds for each request, so setting it here covers every listener.
        """
        if self.delivery.session is None:
            self.delivery.session = aiohttp.ClientSession()
            self.app.client.session = self.delivery.session

    async def close_session(self) -> None:
        if self.delivery.session is not None:
            session, self.delivery.session = self.delivery.session, None
            self.app.client.session = None
            await session.close()
        self.work.close()

    async def drain(self, timeout: float) -> None:
        """Drop the poll reveal timers and wait (up to `timeout` seconds) for answers still being worked on."""
        self.polls.cancel_timers()
        await self.work.wait(timeout)

    # -- listeners: acknowledge at once, answer in a task ----------------------------------

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext,
                         client: AsyncWebClient) -> None:
        self.work.spawn(self._mention(body, event, context, client), "app_mention")

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext,
                         client: AsyncWebClient) -> None:
        self.work.spawn(self._dm(body, event, context, client), "message")

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext,
                             client: AsyncWebClient) -> None:
        self.work.spawn(self._home(body, event, workspace_of(context), client), "app_home_opened")

    async def on_command(self, ack: Ack, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient,
                         respond: Respond) -> None:
        await ack()  # within Slack's 3 seconds, before any work; the answer follows via response_url or the Web API
        text = decode(command.get("text") or "")
        sub, intent = commands.parse(text)
        delivery = request_delivery(context)
        if isinstance(intent, Triage) and not intent.text.strip() and command.get("trigger_id"):
            # The modal opens right away, never behind answers: the trigger_id expires 3 s after the command.
            self.work.spawn(self._triage_form(command, text, sub, intent, context, client, respond, delivery),
                            "slash command")
            return
        self.work.spawn(self._command(command, text, sub, intent, context, client, respond, delivery), "slash command")

    async def on_shortcut(self, ack: Ack, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient,
                          respond: Respond) -> None:
        """"Who owns this?" on a message: acknowledged at once, answered privately (`slack_shortcuts`)."""
        await ack()
        self.work.spawn(self.shortcuts.answered(body, context, client, respond, request_delivery(context)),
                        "message_action")

    async def on_click(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext,
                       client: AsyncWebClient, respond: Respond) -> None:
        """A button: its state change is applied first (within ACK_BUDGET), then acknowledged, then answered."""
        user = (body.get("user") or {}).get("id", "")
        choice = action.get("value") or ""
        container = body.get("container") or {}
        if container.get("type") == "view":
            await ack()
            self.work.spawn(self._start_in_dm(client, context, user=user, choice=choice), "block_actions")
            return
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        owner = card_owner_of(action.get("block_id") or "")
        clicked = message(context, channel=channel, user=user, choice=choice, card_owner=owner)
        applying = self.work.fast(self._answer_once, request_delivery(context), clicked, None)
        await asyncio.wait({applying}, timeout=ACK_BUDGET)
        await ack()
        self.work.spawn(self._click(body, applying, client, respond, user, choice), "block_actions")

    async def on_other_action(self, ack: Ack) -> None:
        """Someone else's action_id (an old message, another app's button): acknowledged, nothing else."""
        await ack()

    async def on_triage_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext,
                               client: AsyncWebClient) -> None:
        """The triage modal's Submit: an empty box keeps the modal open with an error; else it closes at once."""
        values = ((view.get("state") or {}).get("values") or {}).get(TRIAGE_BLOCK) or {}
        text = (values.get(TRIAGE_ACTION) or {}).get("value") or ""  # modal inputs arrive raw: nothing to decode
        if not text.strip():
            # an "errors" response keeps the modal open with the message under the box (https://docs.slack.dev/surfaces/modals)
            await ack(response_action="errors", errors={TRIAGE_BLOCK: "Paste at least one task, one per line."})
            return
        await ack()  # closes the modal
        self.work.spawn(self._triage_submitted(text, body, view, context, client), "view_submission")

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        # The payload is not logged: it carries user text and Slack's legacy verification token.
        log.error("unhandled error for a Slack %s payload", body.get("type") or body.get("command") or "unknown",
                  exc_info=error)

    # -- answers ---------------------------------------------------------------------

    async def _mention(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext,
                       client: AsyncWebClient) -> None:
        """@Rolecall in a channel: the answer goes to a thread under the question."""
        if event.get("bot_id") or not event.get("user"):
            return
        channel, thread = event.get("channel", ""), event.get("thread_ts") or event.get("ts")
        asked = message(context, channel=channel, user=event["user"], text=mention_text(event.get("text") or ""))
        reply = await self.work.core(self._answer_once, event_delivery(body), asked, None)
        if reply is not None:
            await self._send(client, reply, channel=channel, user=event["user"], thread_ts=thread)

    async def _dm(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext,
                  client: AsyncWebClient) -> None:
        """A direct message: the same conversation as the terminal chat, quiz included."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, deletions, joins and other bots' messages are not questions
        channel = event.get("channel", "")
        typed = message(context, channel=channel, user=event["user"], text=decode(event.get("text") or ""))
        reply = await self.work.core(self._answer_once, event_delivery(body), typed, None)
        if reply is not None:
            await self._send(client, reply, channel=channel, user=event["user"], thread_ts=event.get("thread_ts"))

    async def _home(self, body: dict[str, Any], event: dict[str, Any], workspace: str, client: AsyncWebClient) -> None:
        """The App Home tab: what Rolecall is, example questions, a Start quiz button and what to review."""
        if event.get("tab") != "home" or not event.get("user"):
            return
        delivery = event_delivery(body)
        if delivery and not await self.work.core(self.conversation.first_delivery, PLATFORM, delivery):
            return
        # Opening a tab is not a message: it neither counts against the rate limit nor shows up in the metrics.
        view = home_view(HELP_TEXT, await self.work.core(to_review, self.conversation, PLATFORM, workspace))
        await self.delivery.call("views.publish", lambda: client.views_publish(user_id=event["user"], view=view))

    async def _command(self, command: dict[str, Any], text: str, sub: Subcommand, intent: Intent,
                       context: AsyncBoltContext, client: AsyncWebClient, respond: Respond,
                       delivery: str | None) -> None:
        """/rolecall who|ask|debate|triage|quiz|result|help (see `commands.SUBCOMMANDS`).

        A public subcommand (`who`, `debate`) answers the channel, `who` showing what was asked, and `debate` posts
        its poll card as a message of Rolecall's own; everything else (help for a bare `who`, every private reply)
        only the asker sees.
        """
        user, channel = command.get("user_id", ""), command.get("channel_id", "")
        asked = message(context, channel=channel, user=user, text=text)
        reply = await self.work.core(self._answer_once, delivery, asked, intent)
        if reply is None or reply.silent:
            return  # a replay, or a flood past the rate limit: say nothing
        public = sub.posts_publicly(intent) and not reply.private
        question = f"{COMMAND} {text.strip()}" if public and reply.first(Verdict) is not None else None
        rendered = render(reply, owner=self.conversation.card_owner(reply, user), asked=question)
        if public and reply.first(PollCard) is not None:
            await self._post_poll(client, reply, rendered, channel=channel, thread_ts=None, respond=respond)
            return
        await self.delivery.respond(respond, rendered, response_type="in_channel" if public else "ephemeral")

    async def _triage_form(self, command: dict[str, Any], text: str, sub: Subcommand, intent: Intent,
                           context: AsyncBoltContext, client: AsyncWebClient, respond: Respond,
                           delivery: str | None) -> None:
        """A bare /rolecall triage: the modal, or (when Slack refuses it, an expired trigger) the paste-it hint."""
        if delivery and not await self.work.fast(self.conversation.first_delivery, PLATFORM, delivery):
            return
        view = triage_modal(json.dumps({"channel": command.get("channel_id", "")}, separators=(",", ":")))
        opened = await self.delivery.call("views.open", lambda: client.views_open(trigger_id=command["trigger_id"],
                                                                                  view=view))
        if opened is None:
            await self._command(command, text, sub, intent, context, client, respond, None)

    async def _click(self, body: dict[str, Any], applying: Awaitable[Reply | None], client: AsyncWebClient,
                     respond: Respond, user: str, choice: str) -> None:
        """The answer to a click the core has applied (or is applying). A card in reply replaces the clicked card
        (a poll card through chat.update, kept in step with the poll); a private reply or a plain note goes to the
        clicker alone, so someone else's quiz card is refused by the core without being touched; "Share in channel"
        posts the answer for everyone, "Ask @delivery-leads" the ping for the group, and "Debate" on a triage table
        the new poll's card, the card left as it is."""
        reply = await applying
        if reply is None or reply.silent:
            return  # a replay, or a flood past the rate limit: say nothing
        if not reply.private and reply.first(ContactPing) is not None:
            await self.shortcuts.ask_contact(client, body, respond, reply)
            return
        card = reply.first(PollCard)
        if buttons.is_public(choice) and not reply.private and card is not None:
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
            await self._post_poll(client, reply, render(reply), channel=channel, thread_ts=thread_of_click(body),
                                  respond=respond)
            return
        if buttons.is_share(choice) and not reply.private and is_card(reply):
            await self.shortcuts.share(client, body, respond, reply)
            return
        if reply.private or not is_card(reply):
            # A note for the clicker alone (a thank-you, a closed poll, "try again in a moment"): the card stays as
            # everyone sees it, buttons included.
            await self.delivery.note(client, body, respond, user=user, message=self._render(reply, user))
            if card is not None and card.closed and shows_open_poll(body, card.id):
                await self.polls.sync(client, body, respond, None, card.id)  # it closed on time: show the result
            return
        if card is not None:
            await self.polls.sync(client, body, respond, reply, card.id)
            return
        await self.delivery.update_card(client, body, self._render(reply, user), respond)

    async def _triage_submitted(self, text: str, body: dict[str, Any], view: dict[str, Any],
                                context: AsyncBoltContext, client: AsyncWebClient) -> None:
        """The triage table goes to the asker as one message: their DM with Rolecall, or privately in the channel
        they asked from when a DM is not possible."""
        user = (body.get("user") or {}).get("id", "")
        channel = metadata(view.get("private_metadata")).get("channel") or ""
        pasted = message(context, channel=channel, user=user, text=text)
        reply = await self.work.core(self._answer_once, request_delivery(context), pasted, Triage(text))
        if reply is None or reply.silent:
            return
        rendered = render(reply)
        if await self.delivery.post(client, channel=user, thread_ts=None, message=rendered) is None and channel:
            await self.delivery.ephemeral(client, channel=channel, user=user, thread_ts=None, message=rendered)

    async def _start_in_dm(self, client: AsyncWebClient, context: AsyncBoltContext, *, user: str, choice: str) -> None:
        """The App Home button: the quiz runs in the person's DM with Rolecall, where typed answers work too."""
        opened = await self.delivery.call("conversations.open", lambda: client.conversations_open(users=user))
        channel = (opened.get("channel") or {}).get("id") if opened is not None else None
        if not channel:
            return
        clicked = message(context, channel=channel, user=user, choice=choice)
        reply = await self.work.core(self._answer_once, request_delivery(context), clicked, None)
        if reply is not None:
            await self._send(client, reply, channel=channel, user=user, thread_ts=None)

    # -- helpers ---------------------------------------------------------------------

    def _answer_once(self, delivery: str | None, asked: Message, intent: Intent | None) -> Reply | None:
        """In a worker thread: the core's reply, or None for a delivery already answered (here or on another worker)."""
        if delivery is not None and not self.conversation.first_delivery(PLATFORM, delivery):
            log.info("a repeated Slack delivery was acknowledged and not answered again")
            return None
        return self.conversation.handle(asked, intent)

    def _render(self, reply: Reply, user: str) -> SlackMessage:
        """Block Kit for a reply to `user`; a card that is theirs alone (a quiz card) carries their id on its buttons,
        so a click on it by anyone else is refused by the core."""
        return render(reply, owner=self.conversation.card_owner(reply, user))

    async def _post_poll(self, client: AsyncWebClient, reply: Reply, rendered: SlackMessage, *, channel: str,
                         thread_ts: str | None, respond: Respond) -> None:
        """A new poll's card for the whole channel, as a message of Rolecall's own, so every vote can update it in
        place with chat.update; where Rolecall may not post (a channel it was not invited to) the command's or
        click's response_url still can, as a new message."""
        posted = await self.delivery.post(client, channel=channel, thread_ts=thread_ts,
                                          message=rendered) if channel else None
        if posted is not None:
            await self.polls.posted(client, reply, channel=channel, ts=str(posted.get("ts") or ""))
            return
        await self.delivery.respond(respond, rendered, response_type="in_channel", replace_original=False)
        self.polls.responded(client, reply, respond)

    async def _send(self, client: AsyncWebClient, reply: Reply, *, channel: str, user: str,
                    thread_ts: str | None) -> None:
        """A reply to a message: nothing when silent, ephemeral when private, the poll's own card for a typed vote
        or reveal, else a post."""
        if reply.silent:
            return
        rendered = self._render(reply, user)
        if reply.private:
            await self.delivery.ephemeral(client, channel=channel, user=user, thread_ts=thread_ts, message=rendered)
            return
        if await self.polls.update_typed(client, reply):
            return
        posted = await self.delivery.post(client, channel=channel, thread_ts=thread_ts, message=rendered)
        if posted is not None and reply.first(PollCard) is not None:
            await self.polls.posted(client, reply, channel=channel, ts=str(posted.get("ts") or ""))
