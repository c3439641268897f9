"""Rate limits are shared by every worker process: two processes count against one limit."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

COUNT = """
import django
django.setup()
from django.core.management import call_command
from thuocdo.surveys.services import over_limit
call_command("createcachetable", verbosity=0)  # the migration does it for the default table; here no migrate
print(sum(over_limit("open", "203.0.113.7", limit=5, seconds=3600) for _ in range(4)))
"""


def _redis_up() -> bool:
    if importlib.util.find_spec("redis") is None:
        return False
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        return False
    return True


def backends(tmp_path: Path) -> dict[str, str]:
    return {
        "db": "",  # the default: the database cache table
        "file": f"file://{tmp_path / 'cache'}",
        "redis": "redis://127.0.0.1:6379/15",
    }


@pytest.mark.parametrize("backend", ["db", "file", "redis"])
def test_two_processes_share_one_limit(tmp_path, backend):
    """Four submissions from one address in each of two processes: the limit of 5 is passed 3 times."""
    if backend == "redis" and not _redis_up():
        pytest.skip("Redis or the redis package is not available")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THUOCDO_", "DATABASE_URL", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="thuocdo.config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        THUOCDO_SECRET_KEY="test-" + "k" * 40,
        THUOCDO_VAR_DIR=str(tmp_path),
        THUOCDO_LOG_LEVEL="WARNING",
    )
    if backends(tmp_path)[backend]:
        env["THUOCDO_CACHE_URL"] = backends(tmp_path)[backend]
    if backend == "redis":
        import redis

        redis.Redis.from_url(env["THUOCDO_CACHE_URL"]).flushdb()

    def run() -> int:
        done = subprocess.run(
            [sys.executable, "-c", COUNT], env=env, capture_output=True, text=True, check=True, timeout=120
        )
        return int(done.stdout.strip().splitlines()[-1])

    assert run() == 0  # 4 of 5 allowed
    assert run() == 3  # the 5th is allowed, the 6th to 8th are over the limit
