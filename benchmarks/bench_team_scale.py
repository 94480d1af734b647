"""Team knowledge at team scale: cold start of `rolecall ask` with a large team folder, against shipped-only.

Generates a team folder of N entries (pseudo-word phrases, each unique, under random owners), builds the
on-disk index cache once, then times `rolecall ask "who owns the roadmap?" --json` with and without the folder,
alternating the two commands so machine noise hits both alike. Reports medians, p99s and their ratio.

Goal: with 20,000 team entries, the median within 3x the shipped-only median.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import emit_json, environment, goal, rolecall_executable, summarize_s

GOAL_RATIO = 3.0
QUESTION = "who owns the roadmap?"


def write_team_folder(folder: Path, entries: int, rng: random.Random) -> None:
    letters = "bcdfghjklmnprstvz"
    vowels = "aeiou"

    def word() -> str:
        return "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))

    lines = []
    for i in range(entries):
        owner = rng.choice(("product", "project", "both"))
        phrases = [f"{word()} {word()} {i}", f"{word()} {word()} {word()} {i}"]
        lines += [f"- id: team-{i}", f"  owner: {owner}", "  kind: concept", "  phrases:",
                  *[f"    - {p}" for p in phrases], f"  answer: Team entry {i} is {owner} work here.",
                  "  source: practice", ""]
    (folder / "team.yaml").write_text("\n".join(lines), encoding="utf-8")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench_team_scale: {' '.join(cmd[:3])} ... failed: {done.stderr.decode(errors='replace')}")
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    exe = rolecall_executable()
    with tempfile.TemporaryDirectory(prefix="rolecall-team-") as tmp:
        folder = Path(tmp) / "team"
        folder.mkdir()
        write_team_folder(folder, args.entries, random.Random(7))
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        env.pop("ROLECALL_NO_CACHE", None)
        shipped = [exe, "ask", QUESTION, "--json"]
        team = [*shipped, "--knowledge", str(folder)]
        first_build = timed(team, env)  # builds and writes the team index cache
        timed(shipped, env)
        walls: dict[str, list[float]] = {"shipped": [], "team": []}
        for _ in range(args.runs):
            walls["shipped"].append(timed(shipped, env))
            walls["team"].append(timed(team, env))
    result = {name: summarize_s(values) for name, values in walls.items()}
    ratio = result["team"]["median_s"] / result["shipped"]["median_s"]
    met = ratio <= GOAL_RATIO
    report = {"benchmark": "team_scale", "environment": environment(), "entries": args.entries,
              "first_run_building_cache_s": round(first_build, 3), **result, "ratio_median": round(ratio, 2),
              "goals": {"team_cold_start_within_3x": {"ratio": round(ratio, 2), "met": met}}}
    if args.json:
        emit_json(report)
        return 0
    print(f"bench_team_scale  ({args.entries:,} team entries, {args.runs} alternating runs each)")
    for name in ("shipped", "team"):
        r = result[name]
        print(f"  {name:<8} median {r['median_s'] * 1000:7.1f} ms   p99 {r['p99_s'] * 1000:7.1f} ms")
    print(f"  first run with the team folder (building the cache): {first_build * 1000:.0f} ms")
    print(f"  ratio of medians {ratio:.2f}x   goal <= {GOAL_RATIO}x: {goal(met)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
