"""The `/rolecall` command tree, built from the core's subcommand table, the triage form, and the message menu.

Names, descriptions, option names and lengths all come from
`bot.commands.SUBCOMMANDS`, so Discord, Slack and the help text cannot drift
apart. `triage` is the one exception: on Discord it takes an optional file, and
without one opens a form (a modal), since a backlog does not fit in an option.
"Who owns this?" is a message context-menu command (Apps > Who owns this? on any
message): `add_commands` puts it and /rolecall in one tree, the bot's and the one
`rolecall discord sync` registers. What a command does is up to the bot
(`CommandHost`); this module only builds.

No `from __future__ import annotations` here: discord.py reads the callbacks'
annotations as objects (`inspect.signature`) to build each command's options.
"""

import logging
from typing import Any, Protocol, runtime_checkable

import discord
from discord import app_commands

from ..bot.commands import SUBCOMMANDS, Subcommand
from .discord_io import deliver

log = logging.getLogger(__name__)

GROUP_NAME = "rolecall"
GROUP_DESCRIPTION = "Settle 'is this product or project work?' debates"
ABOUT_MESSAGE_NAME = "Who owns this?"
"""The message menu command (Apps > Who owns this?); at most 32 characters, any case and spaces allowed."""
FILE_HELP = "optional: a .txt, .csv or .md file (up to 1 MB), one task per line or CSV with a title column"
TRIAGE_MODAL_ID = "rolecall:triage"
TRIAGE_INPUT_ID = "rolecall:triage:backlog"
TRIAGE_INPUT_MAX = 4000
"""A modal's paragraph box holds at most 4,000 characters (Discord's limit for a text input)."""
_DESCRIPTION_MAX = 100
"""Command and option descriptions: https://discord.com/developers/docs/interactions/application-commands"""


@runtime_checkable
class CommandHost(Protocol):
    """What the commands hand their work to: the bot."""

    async def run_subcommand(self, interaction: discord.Interaction, sub: Subcommand, argument: str) -> None: ...

    async def triage_attachment(self, interaction: discord.Interaction, attachment: discord.Attachment) -> None: ...

    async def about_message(self, interaction: discord.Interaction, target: discord.Message) -> None: ...


def add_commands(tree: app_commands.CommandTree[Any]) -> None:
    """Everything Rolecall registers: /rolecall and the "Who owns this?" message command."""
    tree.add_command(rolecall_group())
    tree.add_command(about_message_command())


def about_message_command() -> app_commands.ContextMenu:
    """ "Who owns this?" on a message (type 3, MESSAGE): answered privately about the message's text.

    Discord puts the chosen message, content included, in the interaction's `resolved.messages`
    even without the message-content intent; discord.py builds the `discord.Message` from it.
    """
    async def who_owns_this(interaction: discord.Interaction, message: discord.Message) -> None:
        await _host(interaction).about_message(interaction, message)

    return app_commands.ContextMenu(name=ABOUT_MESSAGE_NAME, callback=who_owns_this,
                                   type=discord.AppCommandType.message)


def rolecall_group() -> app_commands.Group:
    """/rolecall with one subcommand per row of the table, in its order."""
    group = app_commands.Group(name=GROUP_NAME, description=GROUP_DESCRIPTION)
    for sub in SUBCOMMANDS:
        group.add_command(_triage_command(sub) if sub.name == "triage" else _table_command(sub))
    return group


def _table_command(sub: Subcommand) -> app_commands.Command[Any, ..., None]:
    if sub.argument is None:
        callback = _without_argument(sub)
    else:
        callback = _with_argument(sub) if sub.required else _with_optional_argument(sub)
        # The option is called `argument` in Python and gets the table's name and help on Discord.
        app_commands.rename(argument=sub.argument)(callback)
        app_commands.describe(argument=_short(sub.argument_help))(callback)
    return app_commands.Command(name=sub.name, description=_short(sub.summary), callback=callback)


def _without_argument(sub: Subcommand) -> Any:
    async def run(interaction: discord.Interaction) -> None:
        await _host(interaction).run_subcommand(interaction, sub, "")

    return run


def _with_argument(sub: Subcommand) -> Any:
    async def run(interaction: discord.Interaction, argument: str) -> None:
        # Discord validates option lengths, discord.py does not: a blank one gets help from the core, as on Slack.
        await _host(interaction).run_subcommand(interaction, sub, argument)

    run.__annotations__["argument"] = _length(sub)  # a real object: the table's maximum as Discord's max_length
    return run


def _with_optional_argument(sub: Subcommand) -> Any:
    async def run(interaction: discord.Interaction, argument: str | None = None) -> None:
        await _host(interaction).run_subcommand(interaction, sub, argument or "")

    run.__annotations__["argument"] = _length(sub) | None
    return run


def _length(sub: Subcommand) -> Any:
    return app_commands.Range[str, 1, sub.max_length]


def _triage_command(sub: Subcommand) -> app_commands.Command[Any, ..., None]:
    @app_commands.describe(file=FILE_HELP)
    async def triage(interaction: discord.Interaction, file: discord.Attachment | None = None) -> None:
        if file is not None:
            await _host(interaction).triage_attachment(interaction, file)
            return
        form = TriageForm()
        # Finished before it is sent, so discord.py keeps no copy of it waiting for a submission that
        # the bot answers by custom_id (a form outlives restarts; nothing accumulates).
        form.stop()
        await deliver(interaction.response.send_modal(form), "opening the triage form")

    return app_commands.Command(name=sub.name, description=_short(sub.summary), callback=triage)


def _host(interaction: discord.Interaction) -> CommandHost:
    client = interaction.client
    if not isinstance(client, CommandHost):
        raise TypeError(f"/{GROUP_NAME} needs a client that runs its commands, not {type(client).__name__}")
    return client


def _short(text: str) -> str:
    return text if len(text) <= _DESCRIPTION_MAX else text[: _DESCRIPTION_MAX - 1] + "…"


class TriageForm(discord.ui.Modal, title="Triage a backlog"):
    """The /rolecall triage form: one paragraph box for a pasted backlog.

    Its custom_id is fixed and the submission is answered by the bot's `on_interaction`,
    not by this object, so a form opened before a restart still works when submitted after it.
    """

    def __init__(self) -> None:
        super().__init__(custom_id=TRIAGE_MODAL_ID, timeout=None)
        self.backlog: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id=TRIAGE_INPUT_ID, style=discord.TextStyle.paragraph, max_length=TRIAGE_INPUT_MAX,
            required=True, placeholder="Write the release notes\nPlan the sprint review\nDecide the pricing page copy")
        self.add_item(discord.ui.Label(text="Your backlog, one task per line",
                                       description="A plain or Markdown list, or CSV with a title column",
                                       component=self.backlog))


def submitted_value(components: Any, custom_id: str) -> str | None:
    """A text input's value in a MODAL_SUBMIT payload, whether wrapped in labels (type 18) or action rows (type 1)."""
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id and isinstance(component.get("value"), str):
            return component["value"]
        inner = component.get("components")
        if isinstance(component.get("component"), dict):
            inner = [component["component"]]
        found = submitted_value(inner, custom_id)
        if found is not None:
            return found
    return None
