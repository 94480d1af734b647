"""Per-question latency and batch throughput of `Advisor.ask` with the shipped knowledge base.

    .venv/bin/python benchmarks/bench_ask.py            # human-readable report
    .venv/bin/python benchmarks/bench_ask.py --json     # one JSON object
    .venv/bin/python benchmarks/bench_ask.py --profile  # plus a cProfile of ask()

Goals: p99 < 1 ms per question (steady state), batch >= 3,000 questions/s
(in one process and through `rolecall ask --batch FILE --json`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import (
    all_phrases,
    clear_bot_caches,
    emit_json,
    environment,
    goal,
    load_advisor_with_retry,
    question_mix,
    rolecall_executable,
    summarize_ns,
    summarize_s,
    timed_cli_run,
)

from rolecall.bot import normalize
from rolecall.bot.advisor import Advisor
from rolecall.bot.knowledge import KnowledgeError

P99_GOAL_US = 1000.0
BATCH_GOAL_QPS = 3000.0


def clear_caches(advisor: Advisor) -> None:
    """Forget memoised typo look-ups and stems, so the next pass sees every question for the first time."""
    clear_bot_caches(advisor.matcher)


def time_pass(advisor: Advisor, mix: list[tuple[str, str]], samples: dict[str, list[int]], overall: list[int]) -> None:
    clock = time.perf_counter_ns
    ask = advisor.ask
    for category, question in mix:
        start = clock()
        ask(question)
        elapsed = clock() - start
        samples[category].append(elapsed)
        overall.append(elapsed)


def cli_batch(questions: list[str], runs: int) -> dict:
    exe = rolecall_executable()
    with tempfile.TemporaryDirectory(prefix="rolecall-bench-") as tmp:
        path = Path(tmp) / "questions.txt"
        path.write_text("".join(q + "\n" for q in questions), encoding="utf-8")
        walls = []
        for _ in range(runs):
            wall, proc = timed_cli_run([exe, "ask", "--batch", str(path), "--json"])
            walls.append(wall)
            stop = wall > 15  # keep the whole benchmark near two minutes when ask() is slow
            if proc.returncode != 0:
                raise SystemExit(f"rolecall ask --batch failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
            lines = proc.stdout.splitlines()
            if len(lines) != len(questions):
                raise SystemExit(f"rolecall ask --batch printed {len(lines)} lines for {len(questions)} questions")
            for line in lines[:: max(1, len(lines) // 200)]:
                json.loads(line)  # spot-check the output is one JSON object per line
            if stop:
                break
    stats = summarize_s(walls)
    stats["questions"] = len(questions)
    stats["qps_median"] = round(len(questions) / stats["median_s"], 1)
    stats["qps_best"] = round(len(questions) / stats["min_s"], 1)
    return stats


def phase_breakdown(advisor: Advisor, mix: list[tuple[str, str]], repeats: int = 7) -> dict[str, dict[str, float]]:
    """Median microseconds per category of the stages of ask(): tokenising, matcher analysis, scoring, the rest.

    ask() tokenises the text itself (words), then matcher.candidates() tokenises again inside analyse()
    and scores; 'other' is ask() minus those (greeting/arithmetic/listing checks, building the reply).
    """
    matcher = advisor.matcher
    stages = {"words": normalize.words, "analyse": matcher.analyse, "candidates": matcher.candidates, "ask": advisor.ask}
    per_cat: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    clock = time.perf_counter_ns
    for category, question in mix:
        for name, fn in stages.items():
            runs = []
            for _ in range(repeats):
                start = clock()
                fn(question)
                runs.append(clock() - start)
            per_cat[category][name].append(sorted(runs)[repeats // 2])
    result = {}
    for category, times in sorted(per_cat.items()):
        med = {name: sorted(v)[len(v) // 2] / 1000 for name, v in times.items()}
        # candidates() only runs for questions that get past the early exits; charge it to the median anyway
        result[category] = {
            "ask_us": round(med["ask"], 1),
            "words_us": round(med["words"], 1),
            "analyse_us": round(med["analyse"], 1),
            "scoring_us": round(max(0.0, med["candidates"] - med["analyse"]), 1),
        }
    return result


def profile_ask(advisor: Advisor, mix: list[tuple[str, str]], rounds: int, top: int = 18) -> str:
    questions = [q for _, q in mix]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        for q in questions:
            advisor.ask(q)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--questions", type=int, default=300, help="size of the generated question mix (default 300)")
    parser.add_argument("--calls", type=int, default=20_100, help="timed ask() calls, in whole rounds over the mix (default 20,100)")
    parser.add_argument("--batch-lines", type=int, default=20_000, help="questions in the batch runs (default 20,000)")
    parser.add_argument("--cli-runs", type=int, default=3,
                        help="CLI batch runs (default 3; stops after the first run that takes over 15 s)")
    parser.add_argument("--profile", action="store_true", help="also cProfile a few rounds of ask() and print the top functions")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    load_start = time.perf_counter()
    try:
        advisor = load_advisor_with_retry()
    except KnowledgeError as exc:
        print(f"bench_ask: the shipped knowledge base does not load: {exc}", file=sys.stderr)
        return 2
    load_s = time.perf_counter() - load_start

    rng = random.Random(args.seed)
    mix = question_mix(all_phrases(advisor.kb), rng, total=args.questions)

    # First pass with empty caches: what a never-seen-before question costs (typo look-ups not memoised).
    clear_caches(advisor)
    first_by_cat: dict[str, list[int]] = defaultdict(list)
    first_all: list[int] = []
    time_pass(advisor, mix, first_by_cat, first_all)

    # Warm-up, then steady-state rounds in a fresh random order each time.
    for _ in range(3):
        for _, q in mix:
            advisor.ask(q)
    by_cat: dict[str, list[int]] = defaultdict(list)
    overall: list[int] = []
    order = list(mix)
    rounds = -(-args.calls // len(mix))
    for _ in range(rounds):
        rng.shuffle(order)
        time_pass(advisor, order, by_cat, overall)

    # Slowest questions by their median over the rounds.
    per_question: dict[str, list[int]] = defaultdict(list)
    for _ in range(3):
        for _, q in mix:
            start = time.perf_counter_ns()
            advisor.ask(q)
            per_question[q].append(time.perf_counter_ns() - start)
    slowest = sorted(((sorted(v)[1], q) for q, v in per_question.items()), reverse=True)[:5]

    verdicts: dict[str, int] = defaultdict(int)
    for _, q in mix:
        verdicts[advisor.ask(q).verdict] += 1

    # Batch throughput in one process: a 20,000-question stream, ask() in a loop.
    batch = [q for _, q in mix]
    batch = (batch * (args.batch_lines // len(batch) + 1))[: args.batch_lines]
    rng.shuffle(batch)
    start = time.perf_counter()
    for q in batch:
        advisor.ask(q)
    inproc_s = time.perf_counter() - start
    inproc_qps = len(batch) / inproc_s
    # What the CLI adds per line on top of ask(): the JSON encoding of the answer.
    answers = [advisor.ask(q) for q in batch[:2000]]
    start = time.perf_counter_ns()
    for a in answers:
        json.dumps(a.as_json(), ensure_ascii=False)
    json_us = (time.perf_counter_ns() - start) / len(answers) / 1000

    cli = cli_batch(batch, args.cli_runs)
    phases = phase_breakdown(advisor, mix)

    steady = summarize_ns(overall)
    steady_short = summarize_ns(ns for c, v in by_cat.items() if c != "long" for ns in v)
    first = summarize_ns(first_all)
    result = {
        "benchmark": "ask",
        "environment": environment(),
        "knowledge": {"entries": len(advisor.kb), "phrases": advisor.kb.phrase_count(), "advisor_load_s": round(load_s, 4)},
        "questions": {"distinct": len(mix), "by_category": {c: len(v) for c, v in first_by_cat.items()},
                      "verdicts": dict(verdicts)},
        "latency_steady": steady,
        "latency_steady_without_long": steady_short,
        "latency_first_seen": first,
        "latency_steady_by_category": {c: summarize_ns(v) for c, v in sorted(by_cat.items())},
        "phases_median_by_category": phases,
        "slowest_questions": [{"median_us": round(ns / 1000, 1), "question": q[:120]} for ns, q in slowest],
        "batch_in_process": {"questions": len(batch), "seconds": round(inproc_s, 4), "qps": round(inproc_qps, 1),
                             "json_encoding_us_per_answer": round(json_us, 2)},
        "batch_cli": cli,
        "goals": {
            "p99_under_1ms": {"goal_us": P99_GOAL_US, "value_us": steady["p99_us"], "met": steady["p99_us"] < P99_GOAL_US},
            "batch_in_process_3000_qps": {"goal_qps": BATCH_GOAL_QPS, "value_qps": round(inproc_qps, 1), "met": inproc_qps >= BATCH_GOAL_QPS},
            "batch_cli_3000_qps": {"goal_qps": BATCH_GOAL_QPS, "value_qps": cli["qps_median"], "met": cli["qps_median"] >= BATCH_GOAL_QPS},
        },
    }
    profile_text = profile_ask(advisor, mix, rounds=5) if args.profile else None
    if args.json:
        if profile_text:
            result["profile"] = profile_text
        emit_json(result)
        return 0

    env = result["environment"]
    print(f"bench_ask  (Python {env['python']}, {env['cpus']} CPUs)")
    print(f"knowledge base: {len(advisor.kb)} entries, {advisor.kb.phrase_count()} phrases "
          f"(Advisor.load() {load_s * 1000:.0f} ms, index cache permitting)")
    print(f"question mix: {len(mix)} distinct: " + ", ".join(f"{c} {n}" for c, n in result["questions"]["by_category"].items()))
    print("  verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
    print()
    print(f"latency per ask() (us)      {'median':>8} {'p90':>8} {'p99':>8} {'max':>9}   calls")
    for label, s in (("steady state (warm caches)", steady), ("  same, without long msgs", steady_short),
                     ("first time seen (cold)", first)):
        print(f"  {label:<26}{s['median_us']:>8} {s['p90_us']:>8} {s['p99_us']:>8} {s['max_us']:>9}   {s['n']:,}")
    print(f"  goal p99 < {P99_GOAL_US:.0f} us: {goal(steady['p99_us'] < P99_GOAL_US)}  (steady p99 {steady['p99_us']} us)")
    print("  by category (steady):")
    for c, s in result["latency_steady_by_category"].items():
        print(f"    {c:<24}{s['median_us']:>8} {s['p90_us']:>8} {s['p99_us']:>8} {s['max_us']:>9}   {s['n']:,}")
    print("  where the time goes, median us per call (words = tokenising, which ask() does twice: once itself,")
    print("  once inside analyse; analyse = words + typo/stem mapping; scoring = candidates() - analyse):")
    print(f"    {'category':<24}{'ask':>8} {'words':>8} {'analyse':>8} {'scoring':>8}")
    for c, ph in phases.items():
        print(f"    {c:<24}{ph['ask_us']:>8} {ph['words_us']:>8} {ph['analyse_us']:>8} {ph['scoring_us']:>8}")
    print("  slowest questions (median of 3):")
    for item in result["slowest_questions"]:
        q = item["question"]
        print(f"    {item['median_us']:>8} us  {q[:70] + ('...' if len(q) > 70 else '')}")
    print()
    print(f"batch, in process: {len(batch):,} questions in {inproc_s:.3f} s = {inproc_qps:,.0f} q/s "
          f"(+{json_us:.1f} us/answer to JSON-encode)   goal >= {BATCH_GOAL_QPS:,.0f}: {goal(inproc_qps >= BATCH_GOAL_QPS)}")
    print(f"batch, CLI `rolecall ask --batch FILE --json`: {cli['questions']:,} lines, wall median {cli['median_s']:.3f} s "
          f"(min {cli['min_s']:.3f}, {cli['n']} runs) = {cli['qps_median']:,.0f} q/s   "
          f"goal >= {BATCH_GOAL_QPS:,.0f}: {goal(cli['qps_median'] >= BATCH_GOAL_QPS)}")
    if profile_text:
        print()
        print("cProfile of 5 rounds over the mix (sorted by own time):")
        print(profile_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
