"""Benchmarks, each figure printed beside its baseline from the same run (`python -m bench [name]`).

A benchmark is a module `bench/<name>.py` with `run(*, quick: bool) -> list[Figure]`. The runner
imports every such module (or the ones named), runs it, and prints one table per benchmark.
"""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured rate and, when there is one, the baseline measured in the same run."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: float | None = None
    note: str = ""

    @property
    def speedup(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    return (
        f"{cpu or platform.processor() or platform.machine()}, {os.cpu_count()} cores{memory}; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"
    )


def cpu_speed() -> str:
    """How fast this machine runs plain Python right now: the best of 5 runs of a fixed 2-million-step loop.

    The virtual machine's speed varies from day to day (and hour to hour) even when the load average is
    low; every rate in a run scales with it, so runs are comparable only beside this figure.
    """
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return f"{best * 1000:.0f} ms for a 2,000,000-step Python loop (best of 5; lower is faster)"


def recreate_database(url: str) -> bool:
    """Drop and create the PostgreSQL database of `url`; False when no server answers (the figure is skipped)."""
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return False
    return True


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The bench WSGI app under gunicorn, 2 sync workers on 127.0.0.1:`port` (the caller waits and stops it)."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and server, fixed arguments
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "600",
         "--log-level", "warning", "bench._wsgi:application"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )  # fmt: skip


def child_env(*, database_url: str | None = None, var_dir: str | None = None) -> dict[str, str]:
    """The environment of a benchmark's child process: production settings (debug off, warnings only),
    its own var folder when given, and its database (None: the default SQLite file in the var folder)."""
    env = {**os.environ, "THUOCDO_SECRET_KEY": "bench", "THUOCDO_DEBUG": "0", "THUOCDO_LOG_LEVEL": "WARNING"}
    if var_dir is not None:
        env["THUOCDO_VAR_DIR"] = var_dir
    if database_url is None:
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = database_url
    return env


def post_batch(conn: Any, key: str, body: bytes) -> str | None:
    """POST one dossier batch to /api/dossiers/batch on an open http.client connection: None, or what failed."""
    conn.request(
        "POST",
        "/api/dossiers/batch",
        body=body,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    payload = response.read()
    return None if response.status == 200 else f"{response.status}: {payload[:300]!r}"


def facts_visible(conn: Any, codes: list[str]) -> bool:
    """Whether the index holds facts for all these dossier codes (a cursor of any connection)."""
    with conn.cursor() as c:
        if conn.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(codes))
            c.execute(f"SELECT count(*) FROM indices_dossierfact WHERE code IN ({marks})", codes)  # noqa: S608 - placeholders only
        else:
            c.execute("SELECT count(*) FROM indices_dossierfact WHERE code = ANY(%s)", [codes])
        return bool(c.fetchone()[0] == len(codes))
