"""Server time of the public publication pages (p95 over repeated requests through Django's test client).

Data: a fresh SQLite database with the full unit catalogue (14,149 units), the publication demo (targets,
SIPAS history 2014–2025 with merger back-casts, 63 former provinces, the demo province's communes and
agencies) and, unless --quick, synthetic SIPAS figures for every current commune of the country for ten
years (≈ 33,000 more figures), then one ranking snapshot. These pages read published figures only, never
dossiers or survey answers, so the dossier and response volumes do not enter their cost.
Target (the publication issue): p95 ≤ 200 ms per page.

On PostgreSQL with large tables present: `BENCH_PUBLIC_DATABASE_URL=postgres://…/thuocdo_bench_index python -m bench
public_pages` runs against that database (e.g. the 10-million-dossier one bench/index_query.py keeps); everything the
bench writes (units if missing, demo figures, 766 months) is in one transaction rolled back at the end, so the
database is left as it was. The dossier and survey-response counts are printed in the volume note.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import Figure

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    ("/hai-long/", "hài lòng (tỉnh, xu hướng, xã, cơ quan, tỉnh thành)"),
    ("/ban-do/", "bản đồ tỉnh"),
    ("/ban-do/?cap=xa&tinh=66", "bản đồ xã của tỉnh"),
    ("/don-vi-cong-khai/66/", "trang đơn vị"),
    ("/du-lieu-mo/", "danh mục dữ liệu mở"),
    ("/api/publication/figures?unit=66", "API số liệu"),
    ("/xep-hang/", "xếp hạng 766, tháng công bố gần nhất"),
    ("/xep-hang/?thang=2025-12", "xếp hạng 766 (tỉnh, cơ quan theo khối, xã), tháng đầy đủ"),
    ("/tre-han/", "danh sách trễ hạn, tháng gần nhất"),
    ("/tre-han/?thang=2025-12", "danh sách trễ hạn (≈100 cơ quan, ≈600 cán bộ)"),
    ("/don-vi-cong-khai/24121/", "trang xã có chỉ số 766"),
    ("/don-vi-cong-khai/?q=so noi vu", "tìm cơ quan không dấu"),
    ("/api/publication/index766/rankings", "API xếp hạng 766"),
]
TARGET_MS = 200.0


def run(*, quick: bool) -> list[Figure]:
    """Build the data in a child process (Django reads its settings once) and time every page there."""
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "THUOCDO_VAR_DIR": var,
            "THUOCDO_TESTING": "1",
            "DJANGO_SETTINGS_MODULE": "thuocdo.config.settings",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DATABASE_URL", None)
        if os.environ.get("BENCH_PUBLIC_DATABASE_URL"):
            env["DATABASE_URL"] = os.environ["BENCH_PUBLIC_DATABASE_URL"]
        args = [sys.executable, "-m", "bench.public_pages", "--child"] + (["--quick"] if quick else [])
        out = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
        result = json.loads(out.stdout.strip().splitlines()[-1])
    figures = [
        Figure(
            name=f"p95 {label} {path}",
            value=1000.0 / max(ms, 0.001),
            unit="req/s at p95",
            target=1000.0 / TARGET_MS,
            note=f"p95 {ms:.1f} ms, median {result['median'][path]:.1f} ms, {result['bytes'][path]:,} bytes",
        )
        for (path, label), ms in ((p, result["p95"][p[0]]) for p in PAGES)
    ]
    figures.append(
        Figure(
            name="published figures in the database",
            value=result["figures"],
            unit="rows",
            note=result["volume"],
        )
    )
    return figures


def _child(quick: bool) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings

    external = bool(os.environ.get("BENCH_PUBLIC_DATABASE_URL"))
    call_command("migrate", verbosity=0)
    from thuocdo.publication import demo as publication_demo
    from thuocdo.publication.models import PublishedFigure
    from thuocdo.units import demo as units_demo
    from thuocdo.web.demo import DemoContext

    ctx = DemoContext(say=lambda _text: None)
    outer = transaction.atomic()
    if external:
        outer.__enter__()  # rolled back after timing: a shared benchmark database is left untouched
    with transaction.atomic():
        units_demo.build(ctx)
        publication_demo.build(ctx)
        if not quick:
            _synthetic(ctx)
        _index766(ctx)
        if external:
            _survey_responses(100_000, on=ctx.today)
        from thuocdo.publication import services

        services.take_snapshot(on=ctx.today, actor="bench")
    repeats = 20 if quick else 60
    p95: dict[str, float] = {}
    median: dict[str, float] = {}
    sizes: dict[str, int] = {}
    with override_settings(ROOT_URLCONF="bench.public_pages", ALLOWED_HOSTS=["*"], DEBUG=False):
        client = Client()
        for path, _label in PAGES:
            client.get(path)  # warm caches and template loading
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            times.sort()
            p95[path] = times[int(0.95 * (len(times) - 1))]
            median[path] = times[len(times) // 2]
            sizes[path] = len(response.content)
    count = PublishedFigure.objects.count()
    volume = "demo only" if quick else "demo + every current commune × 10 years"
    if external:
        from django.db import connection

        from thuocdo.dossiers.models import Dossier
        from thuocdo.surveys.models import Response

        with connection.cursor() as cursor:  # estimates: count(*) over 10 M rows would dominate the run
            cursor.execute(
                "SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN (%s, %s)",
                [Dossier._meta.db_table, Response._meta.db_table],
            )
            estimates = {
                name: f"≈{n:,}" if n >= 0 else "?" for name, n in cursor.fetchall()
            }  # -1: never analysed
        volume += (
            f"; PostgreSQL with {estimates.get(Dossier._meta.db_table, '?')} dossiers and "
            f"{Response.objects.count():,} survey responses present"
        )
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    print(json.dumps({"p95": p95, "median": median, "bytes": sizes, "figures": count, "volume": volume}))


def _survey_responses(target: int, *, on: object) -> None:
    """Top the database up to `target` anonymous answer sheets (inside the rolled-back transaction).

    The public pages read published figures, never answers; the issue still asks for them to be measured with
    100,000 responses present, so the table is filled for real rather than assumed irrelevant.
    """
    import random
    import uuid

    from thuocdo.surveys.models import Campaign, Response
    from thuocdo.surveys.services import sync_builtin_instruments

    missing = target - Response.objects.count()
    if missing <= 0:
        return
    version = next(v for v in sync_builtin_instruments(actor="bench") if v.code == "sipas-2017")
    campaign, _ = Campaign.objects.get_or_create(
        slug="bench-public-pages",
        defaults={"name": "Bench", "instrument": version, "starts_on": on, "ends_on": on},
    )
    codes = [criterion.code for criterion in version.instrument.criteria]
    rng = random.Random(766)
    rows = (
        Response(
            id=uuid.UUID(int=rng.getrandbits(128)),
            campaign=campaign,
            instrument=version,
            channel="web",
            stratum=f"s{n % 12}",
            answers={code: rng.choice((3, 4, 4, 5, 5)) for code in codes},
            submitted_on=on,
        )
        for n in range(missing)
    )
    batch: list[object] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            Response.objects.bulk_create(batch)
            batch = []
    if batch:
        Response.objects.bulk_create(batch)


def _synthetic(ctx: object) -> None:
    """SIPAS 2015–2024 for every current commune, as if every province had imported its history."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from thuocdo.publication.models import PublishedFigure
    from thuocdo.units.models import AdminUnit

    rng = ctx.rng  # type: ignore[attr-defined]
    stamp = datetime.now(UTC)
    communes = list(
        AdminUnit.objects.filter(structure="2025", level="commune").exclude(published_figures__isnull=False)
    )
    batch = [
        PublishedFigure(
            unit=commune,
            measure="sipas",
            year=year,
            value=Decimal(f"{rng.uniform(70, 95):.2f}"),
            n=rng.randint(0, 120),
            components={"tiep_can": round(rng.uniform(70, 95), 2), "thu_tuc": round(rng.uniform(70, 95), 2)},
            is_demo=True,
            source="bench",
            imported_at=stamp,
        )
        for commune in communes
        for year in range(2015, 2025)
    ]
    PublishedFigure.objects.bulk_create(batch, batch_size=2000)


def _index766(ctx: object) -> None:
    """Twelve published 766 months for the demo province (province, block agencies, every commune) and late
    lists the size of a real province's (≈100 agencies, ≈600 officials), stored as publishing would store them:
    the public pages only read these rows, so no dossiers are needed to time them."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from thuocdo.publication.models import Index766Month, LateOfficialEntry, LateUnitEntry, PublishedFigure
    from thuocdo.units.models import AdminUnit, Agency

    rng = ctx.rng  # type: ignore[attr-defined]
    stamp = datetime.now(UTC)
    province = AdminUnit.objects.get(structure="2025", level="province", code="66")
    communes = list(AdminUnit.objects.filter(structure="2025", level="commune", parent=province))
    agencies = list(
        Agency.objects.filter(admin_unit=province, block__isnull=False).exclude(kind="commune_committee")
    )
    committees = list(Agency.objects.filter(kind="commune_committee", admin_unit__parent=province))
    groups = [("transparency", 18), ("progress", 20), ("online", 12), ("digitisation", 22), ("payment", 10)]
    groups.append(("satisfaction", 18))
    bands = [(90, "Xuất sắc"), (80, "Tốt"), (70, "Khá"), (50, "Trung bình"), (0, "Yếu")]
    figures = []
    for index in range(12):
        year, month = 2025, 12 - index
        # The publication demo may have published this month from real dossiers; the bench's months replace it.
        Index766Month.objects.filter(year=year, month=month).delete()
        month_row = Index766Month.objects.create(
            year=year, month=month, published_at=stamp, judged_at=stamp, ruleset="766-2022", is_demo=True
        )
        subjects = [("province", province, None)] + [("agency", None, a) for a in agencies]
        subjects += [("commune", c, None) for c in communes]
        for kind, unit, agency in subjects:
            points = {g: Decimal(f"{rng.uniform(0.3, 1) * top:.2f}") for g, top in groups}
            total = sum(points.values(), Decimal(0))
            common = {
                "unit": unit,
                "agency": agency,
                "year": year,
                "period": f"M{month:02d}",
                "is_demo": True,
                "source": "bench",
                "imported_at": stamp,
                "index_month": month_row,
            }
            band = next(name for low, name in bands if total >= low)
            figures.append(
                PublishedFigure(
                    measure="index766",
                    value=total,
                    components={"band": band, "kind": kind, "dossiers": rng.randint(20, 900)},
                    **common,
                )
            )
            figures += [
                PublishedFigure(
                    measure=f"index766_group:{g}",
                    value=points[g],
                    components={"label": g, "max_points": str(top)},
                    **common,
                )
                for g, top in groups
            ]
        late_agencies = (agencies + committees)[:100]
        LateUnitEntry.objects.bulk_create(
            LateUnitEntry(
                index_month=month_row,
                province=province,
                agency=a,
                agency_code=a.code,
                agency_name=a.name,
                late=rng.randint(1, 40),
                counted=rng.randint(40, 400),
            )
            for a in late_agencies
        )
        LateOfficialEntry.objects.bulk_create(
            LateOfficialEntry(
                index_month=month_row,
                province=province,
                agency=a,
                agency_code=a.code,
                agency_name=a.name,
                officer=f"Cán bộ {i}",
                department="Văn thư",
                late_steps=rng.randint(1, 6),
            )
            for i, a in enumerate(late_agencies * 6)
        )
    PublishedFigure.objects.bulk_create(figures, batch_size=2000)


def _urlpatterns() -> list[object]:
    from django.conf.urls.i18n import i18n_patterns
    from django.urls import include, path
    from ninja import NinjaAPI

    from thuocdo.config.urls import urlpatterns as project
    from thuocdo.publication.api import router

    api = NinjaAPI(title="bench", urls_namespace="bench-publication-api")
    api.add_router("/publication/", router)
    return [
        path("api/", api.urls),
        *project,
        *i18n_patterns(path("", include("thuocdo.publication.urls")), prefix_default_language=False),
    ]


if __name__ == "__main__" and "--child" in sys.argv:
    _child("--quick" in sys.argv)


def __getattr__(name: str) -> object:
    # Django reads `urlpatterns` from this module (ROOT_URLCONF) only in the child process.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)
