"""Running a Discord client as a process: settings, stop signals, exit codes, registering the commands, the invite.

`serve` (in discord_bot) and `sync_commands` share these: a missing or rejected
token is one clear line and exit code 2, a refused request one line and 1, and
SIGTERM/SIGINT stop the bot cleanly with 0 (`stop_on_signals`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands

from .discord_commands import add_commands
from .discord_io import NO_PINGS
from .discord_settings import API_BASE_VARIABLE, GATEWAY_VARIABLE, DiscordSettings
from .settings import SettingsError

log = logging.getLogger(__name__)

REJECTED = ("rolecall: DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy a fresh token from the Developer "
            "Portal (Bot > Reset Token) and set it again")
INTENT_MISSING = ("rolecall: DISCORD_MESSAGE_CONTENT=1 asks for the Message Content intent, but it is not enabled for "
                  "this bot: turn it on in the Developer Portal (Bot > Privileged Gateway Intents) or unset the "
                  "variable")
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,               # see the channel it answers in
    send_messages=True,              # answer mentions in channels
    send_messages_in_threads=True,   # ... and in threads, where debates often happen
    embed_links=True,                # answers are embeds; without it Discord drops them
    read_message_history=True,       # answers to a mention are replies to it
    use_application_commands=True,   # people can use /rolecall
)
"""What the invite link asks for (docs/discord.md lists the same, with why)."""


def invite_url(application_id: int | str) -> str:
    """The link that adds the bot and its /rolecall commands to a server, with INVITE_PERMISSIONS."""
    return (f"https://discord.com/oauth2/authorize?client_id={application_id}&scope=bot+applications.commands"
            f"&permissions={INVITE_PERMISSIONS.value}")


def settings_from(args: argparse.Namespace) -> DiscordSettings | None:
    """The settings with their endpoints applied, or None after printing the one line that says what to fix."""
    try:
        settings = DiscordSettings.from_env(getattr(args, "env_file", ".env"))
    except SettingsError as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return None
    _use_endpoints(settings)
    return settings


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGTERM (docker stop, systemd, Kubernetes) and SIGINT (Ctrl+C), instead of dying at once."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(number, stop)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or a platform without them
            return


def run_client(run: Callable[[], Coroutine[Any, Any, None]]) -> int:
    """Run one client coroutine to its end; Discord's refusals become one line on stderr and an exit code."""
    try:
        asyncio.run(run())
    except discord.LoginFailure:
        print(REJECTED, file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print(INTENT_MISSING, file=sys.stderr)
        return 2
    except discord.Forbidden as exc:
        print(f"rolecall: Discord refused (HTTP 403: {exc.text}); for --guild, invite the bot to that server with the "
              "applications.commands scope", file=sys.stderr)
        return 1
    except discord.HTTPException as exc:
        print(f"rolecall: Discord answered HTTP {exc.status}: {exc.text}", file=sys.stderr)
        return 1
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        print(f"rolecall: could not reach Discord: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


def sync_commands(args: argparse.Namespace) -> int:
    """Register /rolecall and the "Who owns this?" message command globally, or copied to one guild with --guild
    (instant; for development).

    With `args.clear` (`rolecall discord sync --clear [--guild ID]`), remove the registration instead: the
    guild's copy (what a development server keeps after the bot went global) or the global one.
    """
    settings = settings_from(args)
    if settings is None:
        return 2
    guild_id: int | None = getattr(args, "guild", None)
    clear = bool(getattr(args, "clear", False))

    async def run() -> None:
        no_voice_warnings()
        client = discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_PINGS)
        tree = app_commands.CommandTree(client)
        guild = discord.Object(id=guild_id) if guild_id else None
        if not clear:
            add_commands(tree)
            if guild:
                tree.copy_global_to(guild=guild)
        async with client:
            await client.login(settings.token)  # REST only: no gateway connection is needed to register
            synced = await tree.sync(guild=guild)
        if clear and guild:
            print(f"Removed /rolecall from guild {guild_id}; it is gone from that server now.")
        elif clear:
            print("Removed /rolecall globally; Discord can take up to an hour to remove it from every server.")
        if clear:
            return
        names = ", ".join(_shown(c) for c in synced) or "nothing"
        if guild:
            print(f"Registered {names} in guild {guild_id}; usable there now.")
        else:
            print(f"Registered {names} globally; Discord can take up to an hour to show them in every server.")

    return run_client(run)


def _shown(command: app_commands.AppCommand) -> str:
    """/rolecall for a slash command; "Who owns this?" (message menu) for a context-menu one."""
    if command.type is discord.AppCommandType.chat_input:
        return f"/{command.name}"
    return f'"{command.name}" ({"message" if command.type is discord.AppCommandType.message else "user"} menu)'


def _use_endpoints(settings: DiscordSettings) -> None:
    """Tests only: point discord.py's REST API and gateway (process-wide class attributes) at a local mock."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base.rstrip("/")
        log.warning("using the Discord API at %s (%s is for tests only)", settings.api_base, API_BASE_VARIABLE)
    if settings.gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway)
        log.warning("using the Discord gateway at %s (%s is for tests only)", settings.gateway, GATEWAY_VARIABLE)


def no_voice_warnings() -> None:
    """Rolecall never joins voice channels: skip discord.py's warnings about missing voice libraries."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
