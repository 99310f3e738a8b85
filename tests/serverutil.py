"""A real `powers serve` process on a free port, for tests that need a real server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(root: Path, *args: str, env: dict | None = None,
                   wait_for_sparql: bool = True) -> Iterator[str]:
    """Start `powers serve --root ROOT --no-site ARGS` and yield its base URL; stop it after."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--root", str(root), "--port", str(port),
         "--no-site", *args], cwd=REPO, env=dict(os.environ, **(env or {})),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                health = httpx.get(f"{base}/api/health", timeout=1).json()
                if not wait_for_sparql or health["sparql"] == "ready":
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "no server")
            time.sleep(0.2)
        yield base
    finally:
        stop(proc, 10)


def stop(proc: subprocess.Popen, seconds: float = 15) -> None:
    """Ask a server to end; kill it if it has not after ``seconds``."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
