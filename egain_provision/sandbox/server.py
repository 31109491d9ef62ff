"""Serving the sandbox over HTTP with uvicorn (used by `sandbox serve` and by `testing`)."""

from __future__ import annotations

import logging
import socket

import uvicorn

from egain_provision.sandbox.app import create_app
from egain_provision.sandbox.config import SandboxConfig
from egain_provision.sandbox.faults import AnswerLost


class _HideLostAnswers(logging.Filter):
    """Drops uvicorn's traceback for a deliberately lost answer: it is the fault working, not a bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], AnswerLost))


_FILTER = _HideLostAnswers()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one (read it back with `getsockname()`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it Nagle + delayed ACK add ~40 ms to every answer.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(config: SandboxConfig, *, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for a new sandbox app; run it with `server.run(sockets=[bind(...)])`."""
    logging.getLogger("uvicorn.error").addFilter(_FILTER)
    uvicorn_config = uvicorn.Config(
        create_app(config),
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(uvicorn_config)
