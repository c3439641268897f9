"""Survey submissions over HTTP: the web form (one-time invitation tokens) and OpenRosa (ODK Collect).

Production settings (debug off, compressed static manifest, a JSON log line per request) under each server:
granian (WSGI) 2 workers × 4 threads as `make serve` runs it on two cores, granian 4 single-threaded workers,
gunicorn 2 sync workers (the baseline server) and the same with the submission lane off (the full
middleware stack). THUOCDO_BENCH_SERVERS picks others (see _configs). All servers run side by side and
are loaded in turn, 3 rounds of 6 s each (THUOCDO_BENCH_ROUNDS); each figure is the median round, beside
every round's rate.
PostgreSQL from THUOCDO_BENCH_PG (default postgres://postgres@127.0.0.1:5432/thuocdo_bench_surveys, dropped
and recreated); synchronous_commit is reported, never changed.
Load: wrk on 127.0.0.1 (one invitation token with the `ref` its form carries, or one new meta/instanceID, per
request), after a warm-up.
OpenRosa submissions carry a deviceID (50 devices), as the generated XForm asks, so each one also counts a
burst (in the same statement as the answer, surveys_burstwindow); the web form has no rate limit. The cache
(THUOCDO_CACHE_URL) is reported but no longer on either submission path.
Both endpoints are answered by the submission lane (surveys/middleware.py) except in the "lane off"
configuration (THUOCDO_SUBMISSION_LANE=0).
Each run checks that the number of stored responses equals the number of successful requests (none lost).
Baseline: the same POST to a trivial Django view that only returns 200, under the same server: the
framework's ceiling on this machine. CPU time per request of the server's processes and of their PostgreSQL
backends is reported too: the rates depend on what else runs on the machine, the CPU times much less.

    python -m bench submissions        # through the runner
    python -m bench.submissions        # alone
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from bench import Figure, free_port, recreate_database

# ruff: noqa: S603, S607 - the benchmark runs our own interpreter, servers and wrk with fixed arguments

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("THUOCDO_BENCH_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_surveys")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
TARGET_RATE, TARGET_P99_MS = 1000.0, 50.0
# Invitations per second of a web-form run (each wrk thread takes half): well above any rate seen here.
SLICE_RATE = int(os.environ.get("THUOCDO_BENCH_SLICE_RATE", "5000"))


# granian (Rust HTTP server, WSGI interface): `make serve` runs it so; see docs/adr/0003-production-server.md.
def _granian(workers: int, threads: int) -> list[str]:
    return ["granian", "--interface", "wsgi", "--workers", str(workers), "--blocking-threads", str(threads),
            "--no-ws", "--log-level", "warning"]  # fmt: skip


SETTINGS = """
from thuocdo.config.settings import *  # noqa
ROOT_URLCONF = "benchsub_urls"
ALLOWED_HOSTS = ["*"]
"""
URLS = """
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from thuocdo.config import urls as project

@csrf_exempt
def ok(request):
    return HttpResponse("ok")

urlpatterns = [path("baseline", ok), path("openrosa/", include("thuocdo.surveys.urls_openrosa")),
               path("", include("thuocdo.surveys.urls")), *project.urlpatterns]
"""
SETUP = """
import json, sys, django
django.setup()
from datetime import date
from django.db import transaction
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign, Invitation
from thuocdo.surveys.selectors import FrameEntry
from thuocdo.surveys.openrosa import form_version
from thuocdo.units.models import Agency
n = int(sys.argv[1])
with transaction.atomic():
    agencies = []
    for i in range(4):
        a = Agency.objects.create(code=f"B{i}", name=f"Cơ quan {i}", kind="department")
        a.path = f"/{a.pk}/"; a.save(); agencies.append(a)
    v = {x.code: x for x in services.sync_builtin_instruments(actor="bench")}
    c = services.create_campaign(slug="bench", name="Bench", instrument=v["sipas-2017"], starts_on=date(2020, 1, 1),
                                 ends_on=date(2099, 1, 1), agencies=agencies, actor="bench", margin=0.0001, deff=1, response_rate=1)
    frame = [FrameEntry(f"D{i}", f"B{i % 4}", f"Cơ quan {i % 4}", agencies[i % 4].pk) for i in range(n)]
    services.draw_sample(campaign=c, frame=frame, actor="bench", seed=1)
    services.set_campaign_status(campaign=c, status="open", actor="bench")
    key = services.set_enumerator_key(campaign=c, actor="bench")
    # What the invitation form posts back besides the answers: its token and "campaign.stratum" (ref).
    tokens = [f"{services.invitation_token(i)} {c.pk}.{i.stratum_id}" for i in Invitation.objects.filter(campaign=c).order_by("id")]
    print(json.dumps({"tokens": tokens, "key": key, "version": form_version(c),
                      "criteria": [x.code for x in c.instrument.instrument.criteria if x.asked_if is None]}))
"""
COUNT = """
import django; django.setup()
from thuocdo.surveys.models import Response
print(Response.objects.count())
"""
# wrk scripts: each request takes the next token / a fresh instanceID; done() prints the summary as JSON.
LUA_COMMON = """
local threads = {}
function setup(thread) thread:set("id", #threads) table.insert(threads, thread) end
function done(summary, latency, requests)
  io.write(string.format('{"requests": %d, "bad": %d, "errors": %d, "p50": %f, "p99": %f, "duration_us": %d}\\n',
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration))
end
"""
LUA_WEB = """
local tokens, i, body = {}, 0, "%(body)s"
function init(args)
  for line in io.lines("%(tokens)s") do table.insert(tokens, line) end
  i = %(offset)d + id * %(spacing)d
end
function request()
  i = i + 1
  local token, ref = tokens[(i %% #tokens) + 1]:match("(%%S+) (%%S+)")
  return wrk.format("POST", "/khao-sat/" .. token .. "/", {["Content-Type"]="application/x-www-form-urlencoded",
    ["Cookie"]="csrftoken=%(csrf)s", ["X-CSRFToken"]="%(csrf)s"}, body .. "&ref=" .. ref)
end
"""
LUA_OPENROSA = """
local i = 0
function init(args) i = %(offset)d + id * 10000000 end
function request()
  i = i + 1
  local xml = '<data id="bench" version="%(version)s"><stratum>B' .. (i %% 4) .. '</stratum><deviceID>collect:bench' .. (i %% 50) .. '</deviceID><F1>2</F1>%(answers)s<meta><instanceID>uuid:bench-' .. i .. '</instanceID></meta></data>'
  local b = "----thuocdo"
  local body = "--" .. b .. '\\r\\nContent-Disposition: form-data; name="xml_submission_file"; filename="s.xml"\\r\\nContent-Type: text/xml\\r\\n\\r\\n' .. xml .. "\\r\\n--" .. b .. "--\\r\\n"
  return wrk.format("POST", "/openrosa/key/%(key)s/submission", {["Content-Type"]="multipart/form-data; boundary=" .. b, ["X-OpenRosa-Version"]="1.0"}, body)
end
"""
LUA_BASELINE = """
function request() return wrk.format("POST", "/baseline", {["Content-Type"]="application/x-www-form-urlencoded"}, "%(body)s") end
"""


def _wrk(port: int, script: Path, seconds: int) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (0 for those gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _switches(pids: list[int]) -> int:
    """Context switches so far of every thread of these processes (voluntary: waiting for the GIL, a socket
    or PostgreSQL; involuntary: preempted). A thread that ended during the run takes its count with it."""
    total = 0
    for pid in pids:
        for status in Path(f"/proc/{pid}/task").glob("*/status"):
            try:
                for line in status.read_text().splitlines():
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
            except (OSError, ValueError):
                continue
    return total


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _descendants(pid: int) -> list[int]:
    """Every process under this one (gunicorn's workers are its children; granian's may be deeper)."""
    out, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        out.extend(children)
        todo.extend(children)
    return out


def _backends(url: str) -> list[int]:
    """PostgreSQL server processes serving the benchmark database (the workers keep their connections)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [int(r[0]) for r in rows]


def run(*, quick: bool) -> list[Figure]:
    """Measure web-form and OpenRosa submissions beside the trivial-view baseline on PostgreSQL."""
    if shutil.which("wrk") is None:
        return [Figure("skipped: wrk not installed (apt-get install wrk)", 0, "req/s")]
    if not recreate_database(PG_URL):
        return [Figure("skipped: PostgreSQL not reachable", 0, "req/s")]
    seconds, rounds = (4, 1) if quick else (6, int(os.environ.get("THUOCDO_BENCH_ROUNDS", "3")))
    work = Path(tempfile.mkdtemp(prefix="thuocdo-bench-sub-"))
    (work / "benchsub_settings.py").write_text(SETTINGS)
    (work / "benchsub_urls.py").write_text(URLS)
    env = {
        **os.environ, "DATABASE_URL": PG_URL, "DJANGO_SETTINGS_MODULE": "benchsub_settings", "THUOCDO_VAR_DIR": str(work),
        "THUOCDO_SECRET_KEY": "bench-" + "x" * 40, "PYTHONPATH": f"{work}:{ROOT}",
    }  # fmt: skip
    env.pop("THUOCDO_DEBUG", None)
    thuocdo = [PYTHON, "-m", "django"]
    subprocess.run([*thuocdo, "migrate", "-v0"], env=env, check=True, cwd=work)
    subprocess.run([*thuocdo, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=work)
    configs = _configs()
    if shutil.which("granian", path=str(ROOT / ".venv" / "bin")) is None:
        configs = [c for c in configs if c[1][0] != "granian"]
    # Each web-form run takes its own slice of the invitations, room for SLICE_RATE/s: a run that outran
    # its slice would reuse tokens (answered "already sent", not stored) and report them lost.
    slice_size = SLICE_RATE * seconds
    invitations = slice_size * len(configs) * rounds
    setup = json.loads(
        subprocess.run(
            [PYTHON, "-c", SETUP, str(invitations * 101 // 100)], env=env, check=True, cwd=work, capture_output=True, text=True
        ).stdout
    )  # fmt: skip
    if len(setup["tokens"]) < invitations:  # a reused token is answered "already sent", not stored
        raise RuntimeError(f"the sample gave {len(setup['tokens'])} invitations of the {invitations} needed")
    (work / "tokens.txt").write_text("\n".join(setup["tokens"]))
    answers = "&".join(f"{c}={4 + (i % 2)}" for i, c in enumerate(setup["criteria"])) + "&F1=2&started="
    groups = "".join(f"<{c}>{4 + (i % 2)}</{c}>" for i, c in enumerate(setup["criteria"]))

    def script(name: str, run_index: int) -> Path:
        offset = run_index * slice_size
        text = {
            "web": LUA_WEB % {"body": answers, "tokens": work / "tokens.txt", "csrf": "b" * 32, "offset": offset,
                              "spacing": slice_size // 2},
            "openrosa": LUA_OPENROSA % {"version": setup["version"], "answers": groups, "key": setup["key"],
                                        "offset": offset * 1000},
            "baseline": LUA_BASELINE % {"body": answers},
        }[name]  # fmt: skip
        path = work / f"{name}-{run_index}.lua"
        path.write_text(LUA_COMMON + textwrap.dedent(text))
        return path

    # All servers run side by side (idle ones cost nothing) and are loaded in turn, round after round: the
    # host's speed drifts over minutes, and interleaving spreads that drift over every configuration alike.
    servers = []
    figures = []
    try:
        for label, options, extra in configs:
            servers.append((label, _start(options, env={**env, **extra}, work=work)))
        results: dict[str, dict[str, list[dict[str, Any]]]] = {label: {} for label, _ in servers}
        run_index = 0
        for _round in range(rounds):
            for label, server in servers:
                for name in ("baseline", "web", "openrosa"):
                    results[label].setdefault(name, []).append(
                        _measure(
                            server,
                            script(name, run_index),
                            seconds,
                            env=env,
                            work=work,
                            counted=name != "baseline",
                        )
                    )
                    last = results[label][name][-1]
                    if name == "web" and last["requests"] > 0.9 * slice_size:
                        # A thread may have passed its half already: the figures would count reused tokens.
                        raise RuntimeError(
                            f"a web-form run sent {last['requests']} requests, near its slice of {slice_size} "
                            "invitations: raise THUOCDO_BENCH_SLICE_RATE"
                        )
                run_index += 1
        for label, _ in servers:
            figures.extend(_figures(label, results[label], rounds=rounds))
    finally:
        for _label, server in servers:
            _stop(server)
        shutil.rmtree(work, ignore_errors=True)
    return figures


def _configs() -> list[tuple[str, list[str], dict[str, str]]]:
    """The server configurations to measure: all of them, or those named in THUOCDO_BENCH_SERVERS
    (comma-separated keys, e.g. `granian-2x1,gunicorn-sync`) when exploring one change."""
    configs = {
        "granian-2x4": ("granian WSGI 2 workers × 4 threads (make serve)", _granian(2, 4), {}),
        "granian-4x1": ("granian WSGI 4 workers × 1 thread", _granian(4, 1), {}),
        "gunicorn-sync": ("gunicorn 2 sync workers (baseline server)", ["gunicorn", "-w", "2", "-k", "sync"], {}),
        "gunicorn-sync-lane-off": ("gunicorn 2 sync workers, full middleware stack (lane off)",
                                   ["gunicorn", "-w", "2", "-k", "sync"], {"THUOCDO_SUBMISSION_LANE": "0"}),
    }  # fmt: skip
    extra = {
        "gunicorn-gthread": ("gunicorn 2 workers × 4 threads (gthread)",
                             ["gunicorn", "-w", "2", "-k", "gthread", "--threads", "4"], {}),
    }  # fmt: skip
    wanted = [k.strip() for k in os.environ.get("THUOCDO_BENCH_SERVERS", "").split(",") if k.strip()]
    configs_all = {**configs, **extra}
    for key in wanted:
        if key in configs_all:
            configs[key] = configs_all[key]
        else:
            # An ad-hoc layout, e.g. granian-3x1: WORKERSxTHREADS.
            workers, threads = key.removeprefix("granian-").split("x")
            configs[key] = (
                f"granian WSGI {workers} workers × {threads} threads",
                _granian(int(workers), int(threads)),
                {},
            )
    return [configs[k] for k in wanted] if wanted else list(configs.values())


def _synchronous_commit() -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute("SHOW synchronous_commit").fetchone()
    return str(row[0]) if row else "?"


def _until_answering(port: int, seconds: float = 90.0) -> None:
    """Wait until the workers answer (the socket opens with the master, before the workers have booted:
    on a busy machine a warm-up that started then measured their start-up, not requests)."""
    import http.client

    deadline = time.monotonic() + seconds
    answered = 0
    while time.monotonic() < deadline and answered < 20:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/baseline", body=b"", headers={"Content-Type": "text/plain"})
            answered += conn.getresponse().status == 200
            conn.close()
        except OSError:
            time.sleep(0.2)


def _start(options: list[str], *, env: dict[str, str], work: Path) -> dict[str, Any]:
    """Start a server on a free port and wait until its workers answer; warm it up."""
    port = free_port()
    program, *options = options
    if program == "granian":
        bind = ["--host", "127.0.0.1", "--port", str(port)]
    else:
        bind = ["-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    # The log level is production's default (INFO: a JSON line per request), written to a file as a
    # service's journal would take it.
    log = (work / f"server-{port}.log").open("ab")
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / program), *options, *bind, "thuocdo.config.wsgi:application"],
        env={**env, "THUOCDO_LOG_LEVEL": "INFO"}, cwd=work, start_new_session=True, stdout=log, stderr=log,
    )  # fmt: skip
    log.close()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    _until_answering(port)
    warm = work / "warm.lua"
    warm.write_text(LUA_COMMON + textwrap.dedent(LUA_BASELINE % {"body": ""}))
    _wrk(port, warm, 2)  # imports, connections
    return {"port": port, "process": process}


def _stop(server: dict[str, Any]) -> None:
    os.killpg(server["process"].pid, 15)
    server["process"].wait(timeout=10)


def _measure(
    server: dict[str, Any], script: Path, seconds: int, *, env: dict[str, str], work: Path, counted: bool
) -> dict[str, Any]:
    """One wrk run against a server, with the CPU time its processes and PostgreSQL backends spent on it."""

    def count() -> int:
        done = subprocess.run(
            [PYTHON, "-c", COUNT], env=env, cwd=work, check=True, capture_output=True, text=True
        )
        return int(done.stdout)

    # CPU time of the server's processes and of their PostgreSQL backends per request: unlike the rate,
    # it hardly depends on what else the machine is doing (see the load average the runner prints).
    workers = [server["process"].pid, *_descendants(server["process"].pid)]
    before = count() if counted else 0
    backends = _backends(PG_URL)
    app_cpu, db_cpu = _cpu_seconds(workers), {pid: _cpu_seconds([pid]) for pid in backends}
    switches = _switches(workers)
    r = _wrk(server["port"], script, seconds)
    r["switches"] = _switches(workers) - switches
    after = _backends(PG_URL)  # a connection reopened during the run counts from its start
    r["app_cpu"] = _cpu_seconds(workers) - app_cpu
    r["db_cpu"] = _cpu_seconds(after) - sum(db_cpu.get(pid, 0.0) for pid in after)
    if counted:
        r["stored"] = count() - before
    return r


def _rate(r: dict[str, Any]) -> float:
    return (r["requests"] - r["bad"]) / (r["duration_us"] / 1e6)


def _figures(server: str, results: dict[str, list[dict[str, Any]]], *, rounds: int) -> list[Figure]:
    """One figure per endpoint: the median round by rate, with every round's rate, the worst p99 and the
    losses of all rounds beside it."""
    base = sorted(results["baseline"], key=_rate)[len(results["baseline"]) // 2]
    durability = f"synchronous_commit={_synchronous_commit()}, cache {os.environ.get('THUOCDO_CACHE_URL', 'db://thuocdo_cache')}"
    figures = []
    for name, label in (
        ("web", "web form /khao-sat/<token>/"),
        ("openrosa", "OpenRosa /submission (multipart XML)"),
    ):
        runs = results[name]
        r = sorted(runs, key=_rate)[len(runs) // 2]
        ok = sum(x["requests"] - x["bad"] for x in runs)
        # Requests still in flight when wrk stops are stored but not counted: "lost" can only be ≤ 0 if none is.
        lost = sum(max(0, x["requests"] - x["bad"] - x["stored"]) for x in runs)
        app_ms, db_ms = (
            1000 * r["app_cpu"] / max(1, r["requests"]),
            1000 * r["db_cpu"] / max(1, r["requests"]),
        )
        spread = ", ".join(f"{_rate(x):,.0f}" for x in runs)
        figures.append(
            Figure(
                f"postgresql, {server}: {label}", _rate(r), "submissions/s", baseline=_rate(base),
                baseline_name=f"trivial Django view, same server, p99 {base['p99']:.1f} ms", target=TARGET_RATE,
                note=f"median of {rounds} rounds ({spread}/s); p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, worst p99 of the rounds "
                f"{max(x['p99'] for x in runs):.1f} ms (target ≤ {TARGET_P99_MS:.0f}); all rounds: {ok} ok, "
                f"{sum(x['bad'] for x in runs)} non-2xx/3xx, {sum(x['errors'] for x in runs)} socket errors, "
                f"stored {sum(x['stored'] for x in runs)} (lost {lost}), {durability}; CPU per request: server "
                f"{app_ms:.2f} ms + PostgreSQL {db_ms:.2f} ms (baseline {1000 * base['app_cpu'] / max(1, base['requests']):.2f} ms); "
                f"context switches per request in the server {r['switches'] / max(1, r['requests']):.1f} "
                f"(baseline {base['switches'] / max(1, base['requests']):.1f})",
            )
        )  # fmt: skip
    return figures


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for f in run(quick=quick):
        print(
            f"{f.name}: {f.value:,.0f} {f.unit} (baseline {f.baseline or 0:,.0f}; {f.baseline_name}) — {f.note}"
        )
