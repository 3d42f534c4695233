"""Helpers for the workbench tests: a run of the seed tables, and the app served by uvicorn in a
thread on a free loopback port (in-process, so the tests see the same store)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import FIXTURES


def jixiao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jixiao.cli", *args], capture_output=True, text=True)


def seed_run(out: Path, source: Path | None = None) -> Path:
    r = jixiao("run", str((source or FIXTURES / "seed-tables.pdf").resolve()), "-o", str(out))
    assert r.returncode == 0, r.stderr
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`with Served(folder, reviewer=…) as s:` the workbench at s.url until the block ends."""

    def __init__(self, folder: Path, **kwargs):
        import uvicorn

        from jixiao.workbench.app import Settings, build_app

        self.settings = Settings(folder, port=free_port(), **kwargs)
        self.app = build_app(self.settings)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.settings.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.settings.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the workbench did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
