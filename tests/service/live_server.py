"""``mediamatch serve`` as a real process on loopback, and plain HTTP to it, for tests that need
more than one worker, a real restart or the server's own memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CLI = [sys.executable, "-c", "from mediamatch.cli import main; main()"]
Answer = tuple[int, dict[str, str], bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait(check: Callable[[], bool], seconds: float, failure: str) -> float:
    """Call ``check`` until it is true; how long that took."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, failure
        time.sleep(0.1)
    return time.monotonic() - started


class Client:
    """Plain HTTP to the server, as a platform's uploader would call it."""

    def __init__(self, port: int, key: str) -> None:
        self.base, self.key = f"http://127.0.0.1:{port}", key

    def call(self, method: str, path: str, body: bytes | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "image/png"}
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

    def ready(self) -> bool:
        try:
            return self.call("GET", "/status/ready?current=true")[0] == 200
        except OSError:
            return False

    def every_worker_ready(self, workers: int = 2, tries_per_worker: int = 12) -> bool:
        """Readiness answers for the one worker that took the connection, so: ready on
        ``workers * tries_per_worker`` fresh connections in a row."""
        return all(self.ready() for _ in range(workers * tries_per_worker))


@contextmanager
def serving(database_url: str, log_path: Path, workers: int, **settings: str) -> Iterator[tuple[int, int]]:
    """A server on a free port until the block ends (then stopped with SIGINT, as Ctrl-C does);
    ``settings`` are ``MEDIAMATCH_*`` variables without the prefix. Yields (port, process id)."""
    port = free_port()
    environment = {**os.environ, "MEDIAMATCH_DB": database_url, "PYTHONUNBUFFERED": "1"}
    environment |= {f"MEDIAMATCH_{name.upper()}": value for name, value in settings.items()}
    command = [*CLI, "serve", "--port", str(port), "--workers", str(workers)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
