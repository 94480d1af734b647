"""Two real `rolecall serve slack` worker processes in HTTP mode sharing one real redis-server.

This is how a team scales out: several workers behind a load balancer, any of
which may get any request. The workers are started as subprocesses with the
Web API pointed at the mock Slack (SLACK_API_URL), no SLACK_APP_TOKEN (so HTTP
mode) and no rate limit; requests are signed and alternated between them.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from mock_slack_api import BOT_TOKEN, SIGNING_SECRET, MockSlack
from rolecall_support import REPO_ROOT, RedisServer, free_port
from slack_requests import FORM, SlackSender, block_text, header_of, poll_buttons, progress_of, tally_of, vote_buttons
from test_quiz import PRODUCT_ANSWERS

from rolecall.bot.conversation import Conversation
from rolecall.bot.parts import PollCard
from rolecall.bot.store_url import open_store

pytestmark = pytest.mark.asyncio

START_TIMEOUT = 30.0
STORE_DOWN = "I can't save your progress right now, try again in a moment."


def rolecall() -> list[str]:
    """The installed `rolecall` console script of this interpreter's environment (or the module, if missing)."""
    script = Path(sys.executable).with_name("rolecall")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rolecall"]


class Worker:
    def __init__(self, process: asyncio.subprocess.Process, port: int, log: Path):
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    async def health(self, session: aiohttp.ClientSession) -> int | None:
        try:
            async with session.get(f"{self.url}/healthz", timeout=aiohttp.ClientTimeout(total=3)) as resp:
                return resp.status
        except (TimeoutError, aiohttp.ClientError):
            return None

    async def wait_healthy(self, session: aiohttp.ClientSession, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while await self.health(session) != 200:
            assert self.process.returncode is None, f"worker on :{self.port} exited:\n{self.log_tail()}"
            assert time.monotonic() < deadline, f"worker on :{self.port} not healthy in {timeout} s:\n{self.log_tail()}"
            await asyncio.sleep(0.05)


@asynccontextmanager
async def workers(store_url: str, mock: MockSlack, tmp_path: Path, count: int = 2) -> AsyncIterator[list[SlackSender]]:
    """`count` workers on free ports sharing `store_url`, healthy; yields a signed-request sender per worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROLECALL_"))}
    env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": mock.api_url,
                "ROLECALL_RATE_LIMIT": "0", "XDG_DATA_HOME": str(tmp_path)})
    started: list[Worker] = []
    try:
        for n in range(count):
            port, log = free_port(), tmp_path / f"worker{n}.log"
            with log.open("wb") as out:  # a file, not a pipe: nobody has to drain it
                process = await asyncio.create_subprocess_exec(
                    *rolecall(), "serve", "slack", "--host", "127.0.0.1", "--port", str(port), "--store", store_url,
                    "--env-file", str(tmp_path / "none.env"), cwd=REPO_ROOT, env=env,
                    stdout=out, stderr=subprocess.STDOUT)
            started.append(Worker(process, port, log))
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(w.wait_healthy(session) for w in started))
            senders = [SlackSender(w.url, session, mock) for w in started]
            for sender, worker in zip(senders, started):
                sender.worker = worker
            yield senders
    finally:
        for worker in started:
            if worker.process.returncode is None:
                worker.process.terminate()
        for worker in started:
            try:
                await asyncio.wait_for(worker.process.wait(), 10)
            except TimeoutError:
                worker.process.kill()
                await worker.process.wait()
    for worker in started:
        logs = worker.log.read_text(errors="replace")
        assert BOT_TOKEN not in logs and SIGNING_SECRET not in logs
        assert "Traceback" not in logs, logs[-3000:]


def option(letter: str) -> int:
    return ord(letter) - ord("a")


async def quiz_card(sender: SlackSender, mock: MockSlack, user: str) -> list[dict]:
    _, url = await sender.command("quiz", user=user)
    (card,) = await mock.wait_for(url)
    assert progress_of(card.body["blocks"]) == "Step 1 of 10"
    return card.body["blocks"]


async def click(sender: SlackSender, mock: MockSlack, blocks: list[dict], index: int, user: str):
    """Click a quiz card's button; returns what came back through the click's response_url."""
    status, url = await sender.click(blocks, index, user=user)
    assert status == 200
    (answer,) = await mock.wait_for(url, timeout=10)
    return answer.body


# -- (a) and (b): a quiz across workers -------------------------------------------------------

async def test_a_quiz_clicked_alternately_on_two_workers_ends_with_the_right_result(redis_url, mock_slack, tmp_path):
    async with workers(redis_url, mock_slack, tmp_path) as (one, two):
        blocks = await quiz_card(one, mock_slack, "UQUIZ")
        for step, letter in enumerate(PRODUCT_ANSWERS, 1):
            assert progress_of(blocks) == f"Step {step} of 10"
            answer = await click((two, one)[step % 2], mock_slack, blocks, option(letter), "UQUIZ")
            assert answer["replace_original"] is True
            blocks = answer["blocks"]
        assert header_of(blocks).startswith("Quiz result: Product")
        assert "Product 100% · Project 0%" in block_text(answer)
        _, url = await two.command("result", user="UQUIZ")  # saved where either worker can find it
        (saved,) = await mock_slack.wait_for(url)
        assert header_of(saved.body["blocks"]) == header_of(blocks)


async def test_one_click_delivered_to_both_workers_at_once_advances_the_quiz_one_step(redis_url, mock_slack, tmp_path):
    """A double click sends two payloads (each with its own action_ts): both are answered, the quiz moves one step."""
    async with workers(redis_url, mock_slack, tmp_path) as (one, two):
        blocks = await quiz_card(one, mock_slack, "UDOUBLE")
        first, path_one = one.click_body(blocks, 0, user="UDOUBLE")
        second, path_two = one.click_body(blocks, 0, user="UDOUBLE")
        second = second.replace("1700000004.000100", "1700000004.000200")  # the second click's own action_ts
        statuses = await asyncio.gather(one.post(first, content_type=FORM), two.post(second, content_type=FORM))
        assert [s for s, _ in statuses] == [200, 200]
        answers = [(await mock_slack.wait_for(path, timeout=10))[0].body for path in (path_one, path_two)]
        assert [progress_of(a["blocks"]) for a in answers] == ["Step 2 of 10"] * 2
        assert sum("earlier question" in a["text"] for a in answers) == 1  # the second click changed nothing
        answer = await click(two, mock_slack, answers[0]["blocks"], 0, "UDOUBLE")
        assert progress_of(answer["blocks"]) == "Step 3 of 10"


async def test_one_request_replayed_to_both_workers_is_answered_once(redis_url, mock_slack, tmp_path):
    """The same signed bytes twice (a replay, or a load balancer retrying a POST): one answer, across workers."""
    async with workers(redis_url, mock_slack, tmp_path) as (one, two):
        blocks = await quiz_card(one, mock_slack, "UREPLAY")
        body, path = one.click_body(blocks, 0, user="UREPLAY")
        now = int(time.time())
        statuses = await asyncio.gather(one.post(body, content_type=FORM, timestamp=now),
                                        two.post(body, content_type=FORM, timestamp=now))
        assert [s for s, _ in statuses] == [200, 200]
        (answer,) = await mock_slack.wait_for(path, timeout=10)
        assert progress_of(answer.body["blocks"]) == "Step 2 of 10"
        await one.dm("help", user="UBARRIER", channel="DBARRIER")
        await two.dm("help", user="UBARRIER", channel="DBARRIER")
        await mock_slack.wait_for("chat.postMessage", 2, timeout=10)
        assert len(mock_slack.calls_to(path)) == 1


async def test_one_event_id_delivered_to_both_workers_is_answered_once(redis_url, mock_slack, tmp_path):
    async with workers(redis_url, mock_slack, tmp_path) as (one, two):
        await asyncio.gather(one.mention("who owns the roadmap?", event_id="EvBOTH"),
                             two.mention("who owns the roadmap?", event_id="EvBOTH"))  # no retry header on either
        await mock_slack.wait_until(lambda: any(c.body["channel"] == "C0001"
                                                for c in mock_slack.calls_to("chat.postMessage")), "the answer", 10)
        await one.dm("help", user="UBARRIER", channel="DBARRIER")  # then what both workers got after it is answered
        await two.dm("help", user="UBARRIER", channel="DBARRIER")
        await mock_slack.wait_until(lambda: len([c for c in mock_slack.calls_to("chat.postMessage")
                                                 if c.body["channel"] == "DBARRIER"]) == 2, "the barriers", timeout=10)
        assert len([c for c in mock_slack.calls_to("chat.postMessage") if c.body["channel"] == "C0001"]) == 1


# -- (c): a poll voted on by fifty people through both workers --------------------------------

async def test_fifty_people_voting_at_once_through_both_workers_are_all_counted(redis_url, mock_slack, tmp_path,
                                                                                   advisor):
    async with workers(redis_url, mock_slack, tmp_path) as senders:
        await senders[0].command("debate the release schedule", user="UHOST")
        (card,) = await mock_slack.wait_for("chat.postMessage")
        blocks, ts = card.body["blocks"], card.answer["ts"]
        labels = ["Product", "Project", "Both"]
        clicks = [senders[i % 2].click(blocks, labels[i % 3], user=f"UVOTER{i:02d}", ephemeral=False, message_ts=ts)
                  for i in range(50)]
        assert [s for s, _ in await asyncio.gather(*clicks)] == [200] * 50
        expected = {"product": 17, "project": 17, "both": 16}

        def last_card() -> dict | None:
            updates = [c for c in mock_slack.calls_to("chat.update") if c.body.get("ts") == ts]
            return updates[-1].body if updates else None

        # Updates from two workers land in any order; each worker re-reads the poll after sending, so the card
        # ends on the full tally.
        await mock_slack.wait_until(lambda: last_card() and tally_of(last_card()["blocks"]) == expected,
                                    "the card to show all fifty votes", timeout=15)
        await senders[1].click(blocks, "Reveal", user="UHOST", ephemeral=False, message_ts=ts)
        await mock_slack.wait_until(lambda: last_card() and vote_buttons(last_card()["blocks"]) == [],
                                    "the revealed card", timeout=10)
        result = last_card()
        assert tally_of(result["blocks"]) == expected
        assert "Closed" in block_text(result)
        verdict = advisor.ask("the release schedule").verdict
        if verdict != "unknown":
            assert f"*{expected[verdict]} of 50 agreed*" in block_text(result)


# -- (d): redis-server dies mid-quiz and comes back -------------------------------------------

async def test_a_quiz_survives_redis_going_down_and_coming_back(mock_slack, tmp_path):
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        async with workers(server.url, mock_slack, tmp_path) as (one, two):
            blocks = await quiz_card(one, mock_slack, "UFAULT")
            for step, letter in enumerate(PRODUCT_ANSWERS[:4], 1):
                blocks = (await click((two, one)[step % 2], mock_slack, blocks, option(letter), "UFAULT"))["blocks"]
            assert progress_of(blocks) == "Step 5 of 10"

            server.stop(kill=True)
            async with aiohttp.ClientSession() as session:
                assert await one.worker.health(session) == 503
            await two.mention("who owns the release schedule?", user="UFAULT")  # questions need no store
            (post,) = await mock_slack.wait_for("chat.postMessage", timeout=10)
            assert header_of(post.body["blocks"]) == "Project manager"
            note = await click(one, mock_slack, blocks, option(PRODUCT_ANSWERS[4]), "UFAULT")
            assert note["text"] == STORE_DOWN
            assert note["response_type"] == "ephemeral" and note["replace_original"] is False  # the card stays

            server.start()  # same port, same append-only file
            async with aiohttp.ClientSession() as session:
                await asyncio.gather(one.worker.wait_healthy(session), two.worker.wait_healthy(session))
            for step, letter in enumerate(PRODUCT_ANSWERS[4:], 5):  # the same card's button again, then on
                assert progress_of(blocks) == f"Step {step} of 10"
                blocks = (await click((two, one)[step % 2], mock_slack, blocks, option(letter), "UFAULT"))["blocks"]
            assert header_of(blocks).startswith("Quiz result: Product")
            assert "Product 100% · Project 0%" in block_text({"blocks": blocks})
    finally:
        server.stop()


# -- (e): a worker killed with kill -9 loses no acknowledged click -----------------------------

async def test_clicks_acknowledged_before_a_kill_9_are_all_counted(redis_url, mock_slack, tmp_path, advisor):
    mock_slack.slow("chat.update", 0.5)  # the cards' updates are slow to land, as under Slack's rate limits
    async with workers(redis_url, mock_slack, tmp_path, count=1) as (worker,):
        await worker.command("debate the release schedule", user="UHOST")
        (card,) = await mock_slack.wait_for("chat.postMessage", timeout=10)
        poll_id = poll_buttons(card.body["blocks"])[0].split(":")[1]
        clicks = [worker.click(card.body["blocks"], "Product", user=f"UKILL{i:02d}", ephemeral=False,
                               message_ts=card.answer["ts"]) for i in range(40)]
        assert [s for s, _ in await asyncio.gather(*clicks)] == [200] * 40
        worker.worker.process.kill()  # SIGKILL the moment the last click was answered 200
        await worker.worker.process.wait()
    poll = Conversation(advisor, open_store(redis_url)).poll_card(poll_id)
    assert poll is not None and poll.first(PollCard).votes == 40, "every acknowledged click was applied"
