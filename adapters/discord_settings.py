"""The Discord front end's settings: read once at start-up and handed to the bot as one typed object.

From the environment, or a .env file beside it (see `settings`). Nothing else
in the adapter reads os.environ, so a test builds a `DiscordSettings` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .settings import SettingsError, load_env_file, optional, require

TOKEN_HINT = ("create a bot at https://discord.com/developers/applications (Bot > Reset Token) and put its token "
              "in the environment or a .env file; see docs/discord.md")
API_BASE_VARIABLE = "ROLECALL_DISCORD_API_BASE"
GATEWAY_VARIABLE = "ROLECALL_DISCORD_GATEWAY"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class DiscordSettings:
    token: str = field(repr=False)
    """DISCORD_TOKEN (required); never logged or shown."""
    message_content: bool = False
    """DISCORD_MESSAGE_CONTENT=1: ask for the privileged Message Content intent, so replies to the bot count too."""
    api_base: str | None = None
    """Tests only, ROLECALL_DISCORD_API_BASE: discord.py's REST API base URL (a local mock's .../api/v10)."""
    gateway: str | None = None
    """Tests only, ROLECALL_DISCORD_GATEWAY: the gateway's websocket URL (a local mock's ws://...)."""

    @classmethod
    def from_env(cls, env_file: str | None = ".env") -> DiscordSettings:
        """Read the settings, or raise SettingsError naming the variable to fix."""
        if env_file:
            load_env_file(env_file)
        token = require("DISCORD_TOKEN", TOKEN_HINT)
        flag = (optional("DISCORD_MESSAGE_CONTENT", "0") or "0").lower()
        if flag not in _TRUE | _FALSE:
            raise SettingsError(f"DISCORD_MESSAGE_CONTENT must be 1 or 0, not {flag!r}")
        return cls(token=token, message_content=flag in _TRUE, api_base=optional(API_BASE_VARIABLE),
                   gateway=optional(GATEWAY_VARIABLE))
