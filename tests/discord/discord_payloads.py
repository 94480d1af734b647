"""What Discord sends and who is in the fake server: ids, users, the guild, and the gateway payloads tests push.

The payload builders give the shapes Discord documents for INTERACTION_CREATE and
MESSAGE_CREATE, so discord.py parses them exactly as it parses Discord's own.
`run_rolecall` runs the CLI as a subprocess without blocking the loop that serves the fake.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
INTERACTION_DEADLINE = 3.0
"""Seconds Discord waits for the first answer to an interaction before it tells the person the app did not respond."""
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


async def eventually(predicate: Callable[[], Any], *, timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (callbacks run as background tasks)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
    return value


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


def message_command(target: dict[str, Any], *, name: str = "Who owns this?", dm: bool = False,
                    user_id: int = USER_ID) -> dict[str, Any]:
    """INTERACTION_CREATE for a message context-menu command (type 3) on `target` (a `message_create` payload).

    Discord sends the chosen message, content included, in `data.resolved.messages`, whether or not the
    app has the message-content intent.
    """
    resolved = {k: v for k, v in target.items() if k != "member"}
    data = {"id": str(COMMAND_ID + 1), "name": name, "type": 3, "target_id": target["id"],
            "resolved": {"messages": {target["id"]: resolved}}}
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


def click(fake: Any, message_id: int, custom_id: str, *, user_id: int = USER_ID,
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
