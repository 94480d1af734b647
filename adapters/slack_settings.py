"""What `rolecall serve slack` needs from the environment, checked once at start-up.

SLACK_API_URL is the one URL override (GovSlack, an outbound proxy, a test
server); every Web API call and the Socket Mode connection go through it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .settings import SettingsError, optional, require

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class SlackSettings:
    """The tokens and the Web API base URL (tokens are never shown in repr)."""

    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_env(cls) -> SlackSettings:
        """Read and check SLACK_* variables; a SettingsError names the one to fix."""
        refuse_oauth_env()
        bot_token = require("SLACK_BOT_TOKEN", "set it to the app's Bot User OAuth Token (xoxb-...) from "
                                                "OAuth & Permissions; see docs/slack.md")
        if not bot_token.startswith("xox"):
            raise SettingsError("SLACK_BOT_TOKEN does not look like a Slack token: use the Bot User OAuth Token "
                                "(xoxb-...)")
        app_token = optional("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token (xapp-...) with the connections:write "
                                "scope; unset it to run in HTTP mode")
        if app_token:
            signing_secret = optional("SLACK_SIGNING_SECRET", "") or ""
        else:
            signing_secret = require("SLACK_SIGNING_SECRET", "HTTP mode verifies every request with it: copy the "
                                                             "Signing Secret from Basic Information (or set "
                                                             "SLACK_APP_TOKEN for Socket Mode)")
        return cls(bot_token=bot_token, signing_secret=signing_secret, app_token=app_token,
                   api_url=api_base_url(optional("SLACK_API_URL")))


def api_base_url(url: str | None) -> str:
    """SLACK_API_URL as the Web API base URL; slack_sdk joins method names to it, so it must end in '/'."""
    if not url:
        return DEFAULT_API_URL
    if not re.match(r"^https?://[^/\s]+", url):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, not {url!r}")
    return url.rstrip("/") + "/"


def refuse_oauth_env() -> None:
    """Stop before Bolt silently switches to OAuth (multi-workspace installs) and ignores the bot token.

    Bolt reads both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET from the environment and, when they are set,
    turns on its OAuth flow (https://docs.slack.dev/tools/bolt-python/concepts/authenticating-oauth).
    """
    if os.environ.get("SLACK_CLIENT_ID") is not None and os.environ.get("SLACK_CLIENT_SECRET") is not None:
        raise SettingsError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set: Rolecall runs with SLACK_BOT_TOKEN for "
                            "one workspace, and these would switch slack-bolt to OAuth installs; unset them")
