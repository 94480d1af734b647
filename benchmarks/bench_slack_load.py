"""Slack HTTP mode under load: 200 concurrent signed requests against one `rolecall serve slack` worker, then two.

    .venv/bin/python benchmarks/bench_slack_load.py            # human-readable report
    .venv/bin/python benchmarks/bench_slack_load.py --json     # one JSON object
    .venv/bin/python benchmarks/bench_slack_load.py --requests 500 --rounds 5

Everything runs on 127.0.0.1: the script starts a redis-server on a free port
(the workers' shared store), a minimal mock of the Slack Web API and of
response_urls in a separate process (so its work does not skew the client's
clock), and the workers as real `rolecall serve slack` subprocesses in HTTP
mode. Each round fires `--requests` signed requests at once with aiohttp: a
mix of app_mention events (ownership questions, some with emoji, typos or
off-topic) and /rolecall slash commands (who, ask, debate, quiz, help), every
one from its own user and channel; with two workers they alternate
round-robin, as a load balancer would.

Measured per request: time to acknowledgement, i.e. from sending the request
to reading Slack's HTTP response (what Slack's 3-second limit applies to).
Also reported: requests/s over each burst (requests / time from the first send
to the last acknowledgement), errors (non-200 responses, connection errors,
timeouts), and the time until each answer reached the mock Slack (the
follow-up chat.postMessage or response_url post) with a check that every
request got exactly one. Goal: zero errors and p99 acknowledgement < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from _common import REPO, emit_json, environment, goal, percentile, rolecall_executable

P99_GOAL_MS = 100.0
BOT_TOKEN = "xoxb-bench-0000-not-a-real-token"
SIGNING_SECRET = "bench-signing-secret-0123456789"
TEAM = "TBENCH"
BOT_USER = "UROLECALL"
DELIVERY_TIMEOUT = 60.0

QUESTIONS = (
    "who owns the roadmap?", "is the burndown chart product or project work?", "who owns the release plan?",
    "CPI is at 0.87, whose problem is that?", "who runs the sprint retro?", "whose job is the PRD?",
    "who handles the vendor contract?", "who decides pricing experiments? 🤔", "who owns churn analysis",
    "who tracks the project budgte?", "is the gantt chart a product or a project thing?",
    "who fixes the printer?", "what skills does a project manager need?", "<!here> who owns the OKRs? :pray:",
    "who owns the risk register?", "who writes user stories", "who manages change requests?",
    "who owns the product vision?", "who runs stakeholder status reports?", "who owns deprecations?",
)
TASKS = ("the release plan", "the roadmap", "the burndown chart", "pricing experiments", "vendor contracts",
         "the risk register", "user interviews", "the sprint retro", "OKRs", "change requests")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the mock Slack (run in its own process: `--serve-mock PORT`) ------------------------------

def serve_mock(port: int) -> None:
    """Answer the Web API methods the app calls, accept response_url posts, and record when each answer arrived.

    Answers are keyed by the request they belong to: the channel of a chat.postMessage (every benchmark
    request has its own channel) or the name in a response_url. GET /_stats returns {key: [unix time, count]}.
    """
    from aiohttp import web

    arrived: dict[str, list[float]] = {}
    calls: dict[str, int] = {}
    ts = itertools.count(1)

    def record(key: str) -> None:
        entry = arrived.setdefault(key, [time.time(), 0])
        entry[1] += 1

    async def read(request: web.Request) -> dict:
        raw = await request.text()
        if request.content_type == "application/json":
            return json.loads(raw or "{}")
        return dict(parse_qsl(raw))

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await read(request)
        calls[method] = calls.get(method, 0) + 1
        if method == "auth.test":
            return web.json_response({"ok": True, "url": "https://bench.slack.com/", "team": "Bench", "user": "rolecall",
                                      "team_id": TEAM, "user_id": BOT_USER, "bot_id": "BROLECALL"})
        if method in ("chat.postMessage", "chat.postEphemeral"):
            record(str(body.get("channel")))
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": f"1700000000.{next(ts):06d}"})
        if method == "chat.update":
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": body.get("ts")})
        return web.json_response({"ok": True})

    async def response_url(request: web.Request) -> web.Response:
        await request.read()
        calls["response_url"] = calls.get("response_url", 0) + 1
        record(request.match_info["name"])
        return web.Response(text="ok")

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response({"arrived": arrived, "calls": calls})

    app = web.Application()
    app.add_routes([web.post("/api/{method}", api), web.post("/response/{name}", response_url),
                    web.get("/_stats", stats)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


# -- processes ------------------------------------------------------------------------------

class Processes:
    """redis-server, the mock and the workers; all stopped at the end, whatever happens."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.running: list[subprocess.Popen] = []

    def start(self, args: list[str], log_name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        with (self.tmp / log_name).open("wb") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(self.running):
            self.stop(process)


def start_redis(procs: Processes) -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("benchmark: redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    (procs.tmp / "redis").mkdir()
    procs.start([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(procs.tmp / "redis")], "redis.log")
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            if redis.Redis(port=port, socket_connect_timeout=0.2).ping():
                return f"redis://127.0.0.1:{port}/0"
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise SystemExit("benchmark: redis-server did not start")
            time.sleep(0.05)


async def wait_http(session, url: str, what: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    while True:
        try:
            async with session.get(url) as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"benchmark: {what} exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"benchmark: {what} did not answer {url} within {timeout:.0f} s")
        await asyncio.sleep(0.05)


def worker_env(api_url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROLECALL_"))}
    env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api_url,
                "ROLECALL_RATE_LIMIT": "0", "XDG_DATA_HOME": str(tmp)})
    return env


# -- requests -------------------------------------------------------------------------------

def build_requests(count: int, tag: str, mock_url: str, rng: random.Random) -> list[dict]:
    """`count` signed requests, each with its own user, channel and answer key."""
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SIGNING_SECRET)
    timestamp = str(int(time.time()))
    kinds = ["mention"] * 8 + ["who"] * 4 + ["ask"] * 3 + ["debate"] * 2 + ["quiz"] * 2 + ["help"]
    built = []
    for i in range(count):
        key = f"{tag}x{i:05d}"
        user, channel = f"U{key}".upper(), f"C{key}".upper()
        kind = kinds[i % len(kinds)]
        if kind == "mention":
            event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {rng.choice(QUESTIONS)}",
                     "ts": f"1700000001.{i:06d}", "channel": channel, "event_ts": f"1700000001.{i:06d}"}
            body = json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "ABENCH", "event": event,
                               "type": "event_callback", "event_id": f"Ev{key}", "event_time": 1700000000,
                               "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]})
            content_type, answer_key = "application/json", channel
        else:
            text = {"who": f"who {rng.choice(TASKS)}", "ask": f"ask {rng.choice(QUESTIONS)}",
                    "debate": f"debate {rng.choice(TASKS)}", "quiz": "quiz", "help": "help"}[kind]
            body = urlencode({"token": "legacy", "team_id": TEAM, "team_domain": "bench", "channel_id": channel,
                              "channel_name": "bench", "user_id": user, "user_name": "bench", "command": "/rolecall",
                              "text": text, "api_app_id": "ABENCH", "is_enterprise_install": "false",
                              "response_url": f"{mock_url}/response/{key}", "trigger_id": "1.2.3"})
            content_type = "application/x-www-form-urlencoded"
            answer_key = channel if kind == "debate" else key  # a poll card is posted, the rest answer the response_url
        raw = body.encode("utf-8")
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body)}
        built.append({"kind": kind, "body": raw, "headers": headers, "key": answer_key})
    return built


async def fire(session, urls: list[str], requests: list[dict]) -> dict:
    """Send every request at once, round-robin over `urls`; time each one to its HTTP acknowledgement."""
    import aiohttp

    async def one(index: int, request: dict) -> None:
        url = urls[index % len(urls)]
        request["sent_wall"] = time.time()
        started = time.perf_counter()
        try:
            async with session.post(url, data=request["body"], headers=request["headers"]) as resp:
                await resp.read()
                request["status"] = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            request["status"] = type(exc).__name__
        request["started"], request["acked"] = started, time.perf_counter()

    await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    first = min(r["started"] for r in requests)
    last = max(r["acked"] for r in requests)
    return {"wall_s": last - first}


async def wait_delivered(session, mock_url: str, requests: list[dict], timeout: float) -> dict:
    """Poll the mock until every request's answer arrived (or the timeout); latencies to delivery."""
    deadline = time.monotonic() + timeout
    keys = {r["key"] for r in requests}
    while True:
        async with session.get(f"{mock_url}/_stats") as resp:
            stats = await resp.json()
        arrived = stats["arrived"]
        if keys <= arrived.keys() or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    delays = sorted((arrived[r["key"]][0] - r["sent_wall"]) * 1000 for r in requests if r["key"] in arrived)
    duplicates = sum(1 for r in requests if r["key"] in arrived and arrived[r["key"]][1] > 1)
    return {"delivered": len(delays), "duplicates": duplicates, "delays_ms": delays}


# -- one configuration -------------------------------------------------------------------------

async def run_config(procs: Processes, workers: int, store_url: str, mock_url: str, args, rng: random.Random) -> dict:
    import aiohttp

    env = worker_env(f"{mock_url}/api/", procs.tmp)
    started = []
    for n in range(workers):
        port = free_port()
        process = procs.start([rolecall_executable(), "serve", "slack", "--host", "127.0.0.1", "--port", str(port),
                               "--store", store_url, "--env-file", str(procs.tmp / "none.env")],
                              f"worker{workers}-{n}.log", env=env)
        started.append((process, port))
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            for process, port in started:
                await wait_http(session, f"http://127.0.0.1:{port}/healthz", f"worker on :{port}", process)
            urls = [f"http://127.0.0.1:{port}/slack/events" for _, port in started]
            # Warm-up, not measured: auth.test, thread pools, caches, and a pool of keep-alive connections as
            # large as a burst (Slack reuses its connections too; a TCP handshake per request is not the app's cost).
            for w in range(2):
                warm = build_requests(args.requests, f"w{workers}warm{w}", mock_url, rng)
                await fire(session, urls, warm)
                await wait_delivered(session, mock_url, warm, DELIVERY_TIMEOUT)
            rounds = []
            for r in range(args.rounds):
                requests = build_requests(args.requests, f"w{workers}r{r}", mock_url, rng)
                burst = await fire(session, urls, requests)
                delivery = await wait_delivered(session, mock_url, requests, DELIVERY_TIMEOUT)
                rounds.append((requests, burst, delivery))
    finally:
        for process, _ in started:
            procs.stop(process)
    acks = sorted((r["acked"] - r["started"]) * 1000 for requests, _, _ in rounds for r in requests
                  if r["status"] == 200)
    errors = sum(1 for requests, _, _ in rounds for r in requests if r["status"] != 200)
    by_kind: dict[str, list[float]] = {}
    for requests, _, _ in rounds:
        for r in requests:
            if r["status"] == 200:
                by_kind.setdefault(r["kind"], []).append((r["acked"] - r["started"]) * 1000)
    delays = sorted(d for _, _, delivery in rounds for d in delivery["delays_ms"])
    total = args.requests * args.rounds
    log_problems = 0
    for n in range(workers):
        for line in (procs.tmp / f"worker{workers}-{n}.log").read_text(errors="replace").splitlines():
            if '"level": "error"' in line or "Traceback" in line:
                log_problems += 1
    return {
        "workers": workers,
        "requests": total,
        "rounds": args.rounds,
        "errors": errors,
        "requests_per_s": round(total / sum(burst["wall_s"] for _, burst, _ in rounds), 1),
        "requests_per_s_by_round": [round(args.requests / burst["wall_s"], 1) for _, burst, _ in rounds],
        "ack_ms": {"median": round(percentile(acks, 50), 2), "p90": round(percentile(acks, 90), 2),
                   "p99": round(percentile(acks, 99), 2), "max": round(acks[-1], 2) if acks else None},
        "ack_p99_ms_by_round": [round(percentile(sorted((r["acked"] - r["started"]) * 1000 for r in requests
                                                        if r["status"] == 200), 99), 2)
                                for requests, _, _ in rounds],
        "ack_median_ms_by_kind": {k: round(percentile(sorted(v), 50), 2) for k, v in sorted(by_kind.items())},
        "answered": sum(delivery["delivered"] for _, _, delivery in rounds),
        "answered_twice": sum(delivery["duplicates"] for _, _, delivery in rounds),
        "answer_ms": {"median": round(percentile(delays, 50), 1), "p99": round(percentile(delays, 99), 1),
                      "max": round(delays[-1], 1) if delays else None},
        "worker_log_errors": log_problems,
        "goal_met": errors == 0 and bool(acks) and percentile(acks, 99) < P99_GOAL_MS,
    }


async def run(args) -> dict:
    import aiohttp

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="rolecall-bench-slack-") as tmp:
        procs = Processes(Path(tmp))
        try:
            store_url = start_redis(procs)
            mock_port = free_port()
            mock = procs.start([sys.executable, __file__, "--serve-mock", str(mock_port)], "mock.log")
            mock_url = f"http://127.0.0.1:{mock_port}"
            async with aiohttp.ClientSession() as session:
                await wait_http(session, f"{mock_url}/_stats", "the mock Slack", mock)
            configs = [await run_config(procs, n, store_url, mock_url, args, rng) for n in range(1, args.max_workers + 1)]
        finally:
            procs.stop_all()
    return {"benchmark": "slack_load", "environment": environment(), "requests_per_round": args.requests,
            "configs": configs,
            "goals": {f"{c['workers']}_worker{'s' * (c['workers'] > 1)}": {
                "errors": c["errors"], "p99_ack_ms": c["ack_ms"]["p99"], "goal_p99_ms": P99_GOAL_MS,
                "met": c["goal_met"]} for c in configs}}


def report(result: dict) -> None:
    env = result["environment"]
    print(f"Slack HTTP mode under load: {result['requests_per_round']} concurrent signed requests per burst "
          f"(Python {env['python']}, {env['cpus']} CPUs)")
    for c in result["configs"]:
        ack = c["ack_ms"]
        print(f"\n{c['workers']} worker{'s' * (c['workers'] > 1)}: {c['requests']} requests in {c['rounds']} bursts")
        print(f"  throughput        {c['requests_per_s']:>8.0f} requests/s   (per burst: "
              f"{', '.join(f'{x:.0f}' for x in c['requests_per_s_by_round'])})")
        print(f"  ack latency       median {ack['median']:.1f} ms, p90 {ack['p90']:.1f} ms, p99 {ack['p99']:.1f} ms, "
              f"max {ack['max']:.1f} ms   (p99 per burst: {', '.join(f'{x:.1f}' for x in c['ack_p99_ms_by_round'])})")
        print("  median by kind    " + ", ".join(f"{k} {v:.1f} ms" for k, v in c["ack_median_ms_by_kind"].items()))
        print(f"  errors            {c['errors']}")
        print(f"  answers delivered {c['answered']} of {c['requests']} ({c['answered_twice']} twice); "
              f"time to answer median {c['answer_ms']['median']:.0f} ms, p99 {c['answer_ms']['p99']:.0f} ms")
        print(f"  worker log errors {c['worker_log_errors']}")
        print(f"  goal (0 errors, p99 ack < {P99_GOAL_MS:.0f} ms): {goal(c['goal_met'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="concurrent requests per burst (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per configuration (default 3)")
    parser.add_argument("--max-workers", type=int, default=2, help="measure 1..N workers (default 2)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve-mock", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_mock:
        serve_mock(args.serve_mock)
        return 0
    result = asyncio.run(run(args))
    if args.json:
        emit_json(result)
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
