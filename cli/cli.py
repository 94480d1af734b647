"""The `rolecall` command line: ask, chat, kb check, eval.

Its JSON outputs are contracts that outside scripts read (see DESIGN.md); keep
their shapes, add fields only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import team_commands
from .bot import env
from .bot.advisor import Advisor, Answer
from .bot.decisions import Decisions, decision_part
from .bot.knowledge import KnowledgeError
from .bot.plain_text import decision_text
from .kb_commands import cmd_kb_check, cmd_kb_feedback, cmd_kb_gaps, cmd_kb_stale

MAX_BATCH_LINE_BYTES = 1_000_000
"""A batch line longer than this is read in full but only its start is considered."""


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    args = _arguments(argv)
    if args is None:
        return 2
    code = _run(args)
    if argv is None and code == 0 and getattr(args, "one_shot", False):
        _exit_now(code)  # a one-shot command (ask) has nothing left to clean up once it has printed
    return code


def _exit_now(code: int) -> None:
    """End the process without tearing down the heap: freeing a large team index object by object took 170 ms
    of a 600 ms `rolecall ask`. Output is flushed first; nothing else (no store, no threads) is open."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace | None:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        return _parser().parse_args(argv)  # environment defaults are read (and checked) here
    except ValueError as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return None


def _run(args: argparse.Namespace) -> int:
    try:
        return args.run(args)
    except KnowledgeError as exc:
        for problem in getattr(exc, "errors", ()) or (exc,):  # every problem found, one per line
            print(f"rolecall: knowledge base error: {problem}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except (OSError, ValueError) as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rolecall",
        description="Settle 'is this product or project work?' debates: who owns what between product and project managers.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    parser.set_defaults(run=lambda _args: _cmd_chat(parser.parse_args(["chat"])))
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer one question (or a file of them with --batch)",
                         description="Answer 'who owns X?' questions with a verdict: product, project, both or unknown.")
    ask.add_argument("question", nargs="*", help="the question, e.g. who owns the roadmap?")
    ask.add_argument("--batch", metavar="FILE", help="answer one question per line of FILE ('-' for stdin)")
    ask.add_argument("--json", action="store_true", help="print JSON: {verdict, confidence, topic, text} (one object per line with --batch)")
    ask.add_argument("--store", metavar="URL", help="answer with the team's decisions in this store (the terminal's "
                     "workspace, as chat uses it); ask --json adds team_decision")
    _add_knowledge(ask)
    ask.set_defaults(run=_cmd_ask, one_shot=True)

    chat = sub.add_parser("chat", help="talk to Rolecall in the terminal (the default)",
                          description="The terminal chat. With --json and piped input: one message per line in, one reply object per line out.")
    chat.add_argument("--json", action="store_true", help="print each reply as a JSON object")
    _add_conversation(chat)
    chat.set_defaults(run=_cmd_chat)

    quiz = sub.add_parser("quiz", help="take the 'which role fits me?' quiz in the terminal",
                          description="Ten quick questions, then whether product, project or a hybrid role fits you, with a career path.")
    _add_conversation(quiz)
    quiz.set_defaults(run=_cmd_quiz, json=False)

    serve = sub.add_parser("serve", help="run Rolecall as a Slack app or Discord bot",
                           description="Run a chat platform front end. Tokens come from the environment (or a .env file).")
    serve.add_argument("platform", choices=["slack", "discord"], help="which platform to serve")
    serve.add_argument("--port", type=int, default=None,
                       help="HTTP port for Slack's HTTP mode (default 3000, or PORT)")
    serve.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"), help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--env-file", default=".env", help="read settings from this file if it exists (default .env)")
    serve.add_argument("--rate-limit", type=int, metavar="N", default=None,
                       help="messages a minute per person before a polite refusal (default 20, or ROLECALL_RATE_LIMIT; 0 = off)")
    _add_conversation(serve, with_user=False)
    serve.set_defaults(run=_cmd_serve)

    discord = sub.add_parser("discord", help="Discord tools", description="Discord tools.")
    discord_sub = discord.add_subparsers(title="discord commands", metavar="DISCORD_COMMAND", required=True)
    sync = discord_sub.add_parser("sync", help="register the /rolecall slash commands with Discord",
                                  description="Register the slash commands globally (can take up to an hour to appear) "
                                              "or to one guild with --guild (instant, for development).")
    sync.add_argument("--guild", type=int, metavar="ID", help="register to this guild only")
    sync.add_argument("--clear", action="store_true",
                      help="remove the /rolecall registration instead: from --guild ID, or the global one")
    sync.add_argument("--env-file", default=".env", help="read settings from this file if it exists (default .env)")
    sync.set_defaults(run=_cmd_discord_sync)

    triage = sub.add_parser("triage", help="classify a whole backlog: product, project or both for every task",
                            description="Classify every task in FILE: a CSV (title/summary column, or --column), a plain "
                                        "list one task per line, or a Markdown task list; '-' reads stdin. Prints a table "
                                        "and counts per verdict, --json one object per task, --csv the input plus verdict columns.")
    triage.add_argument("file", help="the backlog file, or - for stdin")
    triage.add_argument("--column", metavar="NAME", help="the CSV column holding the task text (default: title, summary, ...)")
    output = triage.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON object per task: ask --json's shape plus 'line'")
    output.add_argument("--csv", action="store_true", help="the input CSV with verdict, confidence and topic columns added")
    output.add_argument("--markdown", action="store_true", help="a Markdown table, for a wiki page or a pull request")
    triage.add_argument("--raci", action="store_true", help="add each role's RACI letters (raci_product, raci_project)")
    triage.add_argument("--store", metavar="URL", help="rows the team has decided take the team's verdict")
    _add_knowledge(triage)
    triage.set_defaults(run=_cmd_triage)

    debate = sub.add_parser("debate", help="start a debate poll: is TASK product or project work?",
                            description="Start a poll; vote and reveal through `rolecall chat` with the same --store "
                                        "(vote product|project|both, reveal).")
    debate.add_argument("task", nargs="+", help="what to debate, e.g. the release plan")
    debate.add_argument("--json", action="store_true", help="print the reply object of the chat contract")
    _add_conversation(debate)
    debate.set_defaults(run=_cmd_debate)

    kb = sub.add_parser("kb", help="knowledge base tools", description="Knowledge base tools.")
    kb_sub = kb.add_subparsers(title="kb commands", metavar="KB_COMMAND", required=True)
    team_commands.add_parsers(kb_sub, _add_knowledge)
    check = kb_sub.add_parser("check", help="validate the knowledge base and print a summary",
                              description="Validate every knowledge file; errors name file, line and reason.")
    _add_knowledge(check)
    check.set_defaults(run=cmd_kb_check)

    gaps = kb_sub.add_parser("gaps", help="questions the bot could not answer well, grouped, most asked first",
                             description="List questions that came back unknown or low-confidence in chat, grouped by "
                                         "similarity, with the nearest known topic: what to add to the knowledge.")
    gaps.add_argument("--store", metavar="URL", help="the store the bot runs with (default as for chat)")
    gaps.add_argument("--json", action="store_true", help="one JSON object per group")
    _add_knowledge(gaps)
    gaps.set_defaults(run=cmd_kb_gaps)
    stale = kb_sub.add_parser("stale", help="entries due for review (team entries never reviewed, or long ago)",
                              description="List entries whose `reviewed:` date is older than --older-than, and team "
                                          "entries that were never reviewed, oldest first.")
    stale.add_argument("--older-than", default="90d", metavar="AGE", help="e.g. 90d (default), 12w or 6m")
    stale.add_argument("--json", action="store_true", help="one JSON object per entry")
    _add_knowledge(stale)
    stale.set_defaults(run=cmd_kb_stale)
    feedback = kb_sub.add_parser("feedback", help="topics by share of 👎 votes",
                                 description="List answered topics with their 👍/👎 votes, the most disputed first.")
    feedback.add_argument("--store", metavar="URL", help="the store the bot runs with (default as for chat)")
    feedback.add_argument("--json", action="store_true", help="one JSON object per topic")
    feedback.set_defaults(run=cmd_kb_feedback)

    evaluate = sub.add_parser("eval", help="score answer quality on a labelled question file",
                              description="Score the bot on a YAML list of {id, q, verdict}: accuracy, confusion matrix, misses.")
    evaluate.add_argument("file", help="labelled questions, e.g. ../shared/eval/dev.yaml")
    evaluate.add_argument("--fail-under", type=float, metavar="PCT", help="exit 1 when overall accuracy is below PCT")
    evaluate.add_argument("--json", action="store_true", help="print the report as one JSON object")
    _add_knowledge(evaluate)
    evaluate.set_defaults(run=_cmd_eval)
    return parser


class _Version(argparse.Action):
    """--version, looked up only when asked for, so start-up stays fast."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        from . import __version__

        print(f"rolecall {__version__}")
        parser.exit()


def _add_knowledge(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get("ROLECALL_KNOWLEDGE")
    parser.add_argument("--knowledge", metavar="DIR", action="append", default=[default] if default else [],
                        help="add a folder of team knowledge YAML on top of the shipped files (or ROLECALL_KNOWLEDGE)")


def _add_conversation(parser: argparse.ArgumentParser, *, with_user: bool = True) -> None:
    if with_user:
        parser.add_argument("--user", default=os.environ.get("USER", "you"), help="whose conversation this is (default: $USER)")
    parser.add_argument("--store", metavar="URL", help="where conversations live: sqlite:///path.db (default: a file in "
                        "your data directory), redis://host:port/db, or memory:// (or ROLECALL_STORE)")
    parser.add_argument("--session-ttl", type=float, metavar="SECONDS",
                        help="forget idle quizzes after this long (default 86400, or ROLECALL_SESSION_TTL)")
    poll_default = env.number("ROLECALL_POLL_DURATION", -1)
    parser.add_argument("--poll-duration", type=float, metavar="SECONDS", default=poll_default if poll_default >= 0 else None,
                        help="debate polls reveal themselves after this long (default 600, or ROLECALL_POLL_DURATION)")
    _add_knowledge(parser)


def _advisor(args: argparse.Namespace) -> Advisor:
    return Advisor.load([Path(d) for d in args.knowledge])


def _cmd_ask(args: argparse.Namespace) -> int:
    advisor = _advisor(args)
    decisions = team_commands.decisions(args.store) if args.store else None  # opened once, not per line
    if args.batch:
        for line in _read_lines(args.batch):
            _print_answers(advisor.ask_many(line), line, decisions=decisions, as_json=args.json)
        return 0
    question = " ".join(args.question)
    if not question.strip():
        print("rolecall ask: give a question, e.g. rolecall ask \"who owns the roadmap?\"", file=sys.stderr)
        return 2
    _print_answers(advisor.ask_many(question), question, decisions=decisions, as_json=args.json)
    return 0


def _print_answers(answers: list[Answer], question: str, *, decisions: Decisions | None, as_json: bool) -> None:
    """One answer as ask --json's object; several topics add `verdicts`; a team decision comes first, and when
    there is one `verdict` is the team's."""
    decided = team_commands.lookup(decisions, answers[0].topic, question) if decisions else None
    texts = [a.text for a in answers]
    if decided is not None:
        texts.insert(0, decision_text(decision_part(decided, answers[0].verdict)))
    if not as_json:
        print("\n\n".join(texts))
        return
    obj = answers[0].as_json()
    obj["team_decision"] = decided.as_json() if decided else None
    if decided is not None:
        obj["verdict"] = decided.verdict
    if len(answers) > 1:
        obj["verdicts"] = [{"verdict": a.verdict, "confidence": round(a.confidence, 3), "topic": a.topic}
                           for a in answers]
    obj["text"] = "\n\n".join(texts)
    print(json.dumps(obj, ensure_ascii=False), flush=False)


def _read_lines(source: str) -> Iterator[str]:
    """Every input line, decoded leniently: bad bytes never cost a line or the run."""
    stream = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115 (closed below; stdin is not ours to close)
    try:
        for raw in stream:
            yield raw[:MAX_BATCH_LINE_BYTES].rstrip(b"\r\n").decode("utf-8", errors="replace")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _conversation(args: argparse.Namespace, *, rate_limit: int | None = None):
    from .bot.conversation import Conversation
    from .bot.store_url import open_store

    store = open_store(args.store, ttl=args.session_ttl)  # a bad URL or TTL is a ValueError: one line, exit 2
    return Conversation(_advisor(args), store, poll_duration=args.poll_duration, rate_limit=rate_limit,
                        admins=env.names("ROLECALL_ADMINS"), contacts=env.per_workspace("ROLECALL_CONTACT"))


def _cmd_chat(args: argparse.Namespace) -> int:
    from .adapters.terminal import run_chat

    return run_chat(_conversation(args), as_json=args.json, user=args.user)


def _cmd_triage(args: argparse.Namespace) -> int:
    from .bot.decisions import Decisions
    from .bot.store_url import open_store
    from .triage_command import Extras, run_triage

    extras = Extras(raci=args.raci, decisions=Decisions(open_store(args.store)) if args.store else None)
    output = "json" if args.json else "csv" if args.csv else "markdown" if args.markdown else "table"
    return run_triage(_advisor(args), source=args.file, column=args.column, output=output, extras=extras)


def _cmd_debate(args: argparse.Namespace) -> int:
    from .bot.intents import DebateStart
    from .bot.messages import Message

    reply = _conversation(args).handle(Message(user=args.user), DebateStart(" ".join(args.task)))
    print(json.dumps(reply.as_json(), ensure_ascii=False) if args.json else reply.text)
    return 0


def _cmd_quiz(args: argparse.Namespace) -> int:
    from .adapters.terminal import run_quiz

    return run_quiz(_conversation(args), user=args.user)


def _cmd_serve(args: argparse.Namespace) -> int:
    from .bot.reload import KnowledgeWatcher

    if args.platform == "slack":
        from .adapters.slack import serve
    else:
        from .adapters.discord_bot import serve
    from .bot.logs import configure

    # Serve-only settings are read here, so a stray PORT cannot stop `rolecall chat`; a bad one names itself.
    if args.port is None:
        args.port = int(env.number("PORT", 3000, whole=True))
    if args.rate_limit is None:
        args.rate_limit = int(env.number("ROLECALL_RATE_LIMIT", 20, whole=True))
    configure(os.environ.get("ROLECALL_LOG_LEVEL", "INFO"))
    conversation = _conversation(args, rate_limit=args.rate_limit)
    KnowledgeWatcher([Path(d) for d in args.knowledge], conversation.use_advisor).start()
    return serve(conversation, args)


def _cmd_discord_sync(args: argparse.Namespace) -> int:
    from .adapters.discord_bot import sync_commands

    return sync_commands(args)


def _cmd_eval(args: argparse.Namespace) -> int:
    from .bot.evaluation import evaluate, format_report, load_questions

    report = evaluate(_advisor(args), load_questions(Path(args.file)))
    print(json.dumps(report.as_json(), ensure_ascii=False, indent=2) if args.json else format_report(report))
    if args.fail_under is not None and report.accuracy * 100 < args.fail_under:
        print(f"rolecall eval: accuracy {report.accuracy:.1%} is below --fail-under {args.fail_under:g}%",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
