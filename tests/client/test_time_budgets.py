"""Every wait is bounded in time: a silent server, a trickling answer, a Retry-After beyond the budget."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import run_cli, write_manifest

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextmanager
def raw_server(handler: Handler) -> Iterator[int]:
    """A TCP server on 127.0.0.1 (a free port) running `handler` per connection, in its own thread."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.base_events.Server] = {}

    async def serve() -> None:
        holder["server"] = await asyncio.start_server(handler, "127.0.0.1", 0)
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(serve()), loop.run_forever()), daemon=True)
    thread.start()
    assert started.wait(10)

    async def shutdown() -> None:
        holder["server"].close()
        handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    try:
        yield holder["server"].sockets[0].getsockname()[1]
    finally:
        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# What the servers saw: one entry per request received, and how far a trickle got.
SEEN: list[str] = []


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    SEEN.append("request")
    # Hold the request until the client hangs up (the server's own bound: 30 s).
    await asyncio.wait_for(reader.read(1), 30)
    writer.close()


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    SEEN.append("request")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
    try:
        for sent in range(60):  # a whole answer would take 30 s
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.5)
            if reader.at_eof():
                SEEN.append(f"cut after {sent + 1} bytes")
                return
        SEEN.append("sent everything")
    except ConnectionError:
        SEEN.append("cut")
    finally:
        writer.close()


async def retry_after_a_day(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    SEEN.append("request")
    body = b'{"code": "429-100", "developerMessage": "slow down"}'
    writer.write(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 86400\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    writer.close()


def plan_against(port: int, tmp_path: Path, *options: str) -> tuple[int, str]:
    SEEN.clear()
    result = run_cli(
        [
            "plan",
            "--target",
            f"http://127.0.0.1:{port}/conversation/conversationmgr/v3",
            *options,
            str(write_manifest(tmp_path)),
        ],
        env={"EGAIN_ACCESS_TOKEN": "token-for-a-fake-tenant"},
    )
    return result.exit_code, result.stderr


def test_a_server_that_never_answers_fails_after_the_timeout_naming_host_and_port(tmp_path: Path) -> None:
    with raw_server(never_answer) as port:
        code, err = plan_against(port, tmp_path, "--timeout", "1")
    assert code == 1
    assert f"no whole answer from 127.0.0.1:{port} within 1 s (--timeout)" in err
    assert "Traceback" not in err
    assert SEEN.count("request") == 6  # one list request per kind, none sent again after its timeout


def test_a_trickling_answer_is_cut_at_the_timeout(tmp_path: Path) -> None:
    with raw_server(trickle) as port:
        code, err = plan_against(port, tmp_path, "--timeout", "2")
        for _ in range(100):  # the server notices the hang-up at its next byte
            if len(SEEN) > 1:
                break
            threading.Event().wait(0.1)
    assert code == 1
    assert "within 2 s (--timeout)" in err
    assert SEEN[0] == "request" and SEEN[1] != "sent everything"


def test_a_retry_after_beyond_the_budget_fails_that_request_saying_so(tmp_path: Path) -> None:
    with raw_server(retry_after_a_day) as port:
        code, err = plan_against(port, tmp_path, "--retry-budget", "10")
    assert code == 1
    assert "the tenant asks to wait 86400 s (Retry-After), beyond the retry budget of 10 s" in err
    assert SEEN.count("request") == 6  # one per kind, each given up at once
