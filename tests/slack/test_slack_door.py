"""The HTTP door: every request's signature is checked before anything in it is read, and nothing of a refused request
is logged; replays are answered once; slow clients are cut off; responses name no server version.

Slack signs the raw body with the signing secret and a timestamp
(https://docs.slack.dev/authentication/verifying-requests-from-slack/): anything that fails that check is someone
else's bytes, so it gets 401 whatever it holds, and never reaches a parser or a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
import pytest_asyncio
from slack_requests import FORM, serve_app

import rolecall.adapters.slack_http as slack_http

pytestmark = pytest.mark.asyncio

SECRET_WORDS = "zanzibar quokka"


async def barrier(slack, mock) -> None:
    """A DM answered after everything sent before it."""
    before = len(mock.calls_to("chat.postMessage"))
    await slack.dm("help", user="UBARRIER", channel="DBARRIER")
    await mock.wait_for("chat.postMessage", before + 1)


# -- refused before anything is parsed --------------------------------------------------------

MALFORMED = {
    "bad json": ("application/json", b'{"type": "event_callback", "event": {'),
    "bad utf-8": ("application/json", b'{"type": "event_callback", "text": "\xff\xfe\xc3"}'),
    "deep nesting": ("application/json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    "a json list": ("application/json", b"[1, 2, 3]"),
    "bad form payload": (FORM, b"payload=%7B%22type%22%3A"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_an_unsigned_malformed_body_gets_401_not_500(slack, mock_slack, caplog, case):
    caplog.set_level(logging.DEBUG)
    content_type, body = MALFORMED[case]
    async with slack.session.post(f"{slack.url}/slack/events", data=body,
                                  headers={"Content-Type": content_type}) as resp:
        assert resp.status == 401
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await barrier(slack, mock_slack)  # and the app carries on


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "-5", "99999999999999999999", " 1700000000"])
async def test_a_malformed_timestamp_header_gets_401(slack, mock_slack, caplog, timestamp):
    caplog.set_level(logging.DEBUG)
    body = json.dumps({"type": "url_verification", "challenge": "c"})
    status, _ = await slack.post(body, headers={"X-Slack-Request-Timestamp": timestamp})
    assert status == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("case", ["wrong signature", "stale", "unsigned", "future"])
async def test_nothing_of_a_refused_request_is_logged(slack, mock_slack, caplog, case):
    """slack-bolt logs the whole body of a request that fails verification (at INFO): clock skew or a rotated secret
    would put people's messages in the logs. Rolecall logs nothing of it at any level."""
    caplog.set_level(logging.DEBUG)
    body = slack.event_body({"type": "app_mention", "user": "UANN", "text": f"who owns the roadmap? {SECRET_WORDS}",
                             "ts": "1.1", "channel": "C0001"})
    if case == "wrong signature":
        status, _ = await slack.post(body, signature="v0=" + "0" * 64)
    elif case == "stale":
        status, _ = await slack.post(body, timestamp=int(time.time()) - 10 * 60)
    elif case == "future":
        status, _ = await slack.post(body, timestamp=int(time.time()) + 10 * 60)
    else:
        status, _ = await slack.post(body, sign=False)
    assert status == 401
    await barrier(slack, mock_slack)
    assert "zanzibar" not in caplog.text
    assert not any("zanzibar" in str(r.args) for r in caplog.records)
    assert len(mock_slack.calls_to("chat.postMessage")) == 1  # only the barrier


async def test_a_signed_but_unparseable_body_gets_400_without_a_traceback(slack, mock_slack, caplog):
    caplog.set_level(logging.DEBUG)
    for body in ('{"type": "event_callback", "event": {', "[1, 2]", '{"a":' * 50_000 + "1" + "}" * 50_000):
        status, _ = await slack.post(body)
        assert status == 400
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await barrier(slack, mock_slack)


# -- replays -----------------------------------------------------------------------------------

async def test_a_replayed_command_inside_the_five_minute_window_is_answered_once(slack, mock_slack):
    body, path = slack.command_body("who the release schedule")
    now = int(time.time())
    for _ in range(3):  # the same signed bytes, as captured on the wire
        status, _ = await slack.post(body, content_type=FORM, timestamp=now)
        assert status == 200
    await mock_slack.wait_for(path)
    await barrier(slack, mock_slack)
    assert len(mock_slack.calls_to(path)) == 1


async def test_a_replayed_click_is_applied_and_answered_once(slack, mock_slack):
    _, url = await slack.command("quiz")
    (card,) = await mock_slack.wait_for(url)
    body, path = slack.click_body(card.body["blocks"], 0)
    now = int(time.time())
    for _ in range(3):
        status, _ = await slack.post(body, content_type=FORM, timestamp=now)
        assert status == 200
    (answer,) = await mock_slack.wait_for(path)
    await barrier(slack, mock_slack)
    assert len(mock_slack.calls_to(path)) == 1
    assert "Step 2 of 10" in json.dumps(answer.body)


# -- slow clients and what responses say about the server -------------------------------------

@pytest_asyncio.fixture
async def impatient(conversation, mock_slack, monkeypatch):
    """The app with one-second limits for slow clients (the same settings, shorter, so the tests are quick)."""
    monkeypatch.setattr(slack_http, "HEADER_TIMEOUT", 1.0)
    monkeypatch.setattr(slack_http, "BODY_TIMEOUT", 1.0)
    async with serve_app(conversation, mock_slack) as sender:
        yield sender


async def test_a_client_that_never_finishes_its_headers_is_cut_off(impatient):
    host, port = impatient.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # ... and never the rest
        await writer.drain()
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the server
        assert time.monotonic() - started <= 1.0 + 2
    finally:
        writer.close()


async def test_a_client_that_never_finishes_its_body_gets_408(impatient, mock_slack):
    host, port = impatient.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"type\":")  # ... and never the other 992 bytes
        await writer.drain()
        started = time.monotonic()
        assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"HTTP/1.1 408")
        assert await asyncio.wait_for(reader.read(), 5) is not None  # and the connection is closed
        assert time.monotonic() - started <= 1.0 + 2
    finally:
        writer.close()
    await barrier(impatient, mock_slack)  # the app carries on


@pytest.mark.parametrize("path", ["/slack/events", "/healthz", "/metrics", "/nowhere"])
async def test_responses_name_no_python_or_aiohttp_version(slack, path):
    method = slack.session.post if path == "/slack/events" else slack.session.get
    async with method(f"{slack.url}{path}") as resp:
        server = resp.headers.get("Server", "")
        assert "Python" not in server and "aiohttp" not in server, server



@pytest.mark.parametrize("raw", [b"GARBAGE\r\n\r\n", b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"])
async def test_malformed_http_gets_400_naming_no_versions_and_logging_no_traceback(slack, mock_slack, caplog, raw):
    caplog.set_level(logging.DEBUG)
    host, port = slack.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(raw)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head = answer.split(b"\r\n\r\n")[0].decode()
    assert " 400 " in head.splitlines()[0]
    assert "Python" not in head and "aiohttp" not in head, head
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "abc" not in caplog.text
    await barrier(slack, mock_slack)
