"""Demo step: satisfaction history, targets, every province's 2024 result and the demo province's units.

All values are DEMO DATA (marked is_demo and labelled «Minh họa» on the pages), shaped after published facts:
- the ten-year provincial series 2014–2023 follows the trend a provincial article described (09/10/2024:
  a rise every year except a dip in 2016, 80,6% in 2018 after +4,17, 85,71% in 2023 after +3,73); it is
  given to the former Đắk Lắk, and a similar series to the former Phú Yên, so the merged province's
  history is a back-cast estimate, as it would be with real data;
- 2024 values for the 63 former provinces average 83,94% with Hải Phòng first at 90,59% and the published
  top five and bottom five in their places (SIPAS 2024); the 34 provinces' values are derived by the import;
- 2025 values for the demo province, its communes and its agencies, some with too few answers to rank —
  unless the surveys demo left a closed campaign: then its responses are published as real design-based
  estimates (with intervals, small cells withheld) and those are the units' latest figures.
Everything goes through the same CSV import and publishing services an operator would use.
"""

from __future__ import annotations

import csv
import io
import math
import time as clock
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from thuocdo.publication import services
from thuocdo.surveys.models import Campaign
from thuocdo.units.models import AdminUnit, Agency
from thuocdo.units.sources import COMMUNE, CURRENT, LEGACY, PROVINCE

DEMO_SOURCE = "Dữ liệu minh họa (demo), không phải số liệu chính thức"
TARGET_SOURCE = (
    "Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021–2030 (Nghị quyết 76/NQ-CP); "
    "mục tiêu nêu tại bài «Nâng cao sự hài lòng của người dân» (09/10/2024)"
)
# Former Đắk Lắk: the trend of the 2024 article (2017 = 80,6 − 4,17; 2022 = 85,71 − 3,73).
DAK_LAK_HISTORY = {
    2014: 72.85,
    2015: 74.62,
    2016: 73.37,
    2017: 76.43,
    2018: 80.60,
    2019: 81.12,
    2020: 81.47,
    2021: 81.70,
    2022: 81.98,
    2023: 85.71,
}
PHU_YEN_HISTORY = {
    2014: 74.10,
    2015: 75.36,
    2016: 74.48,
    2017: 77.02,
    2018: 79.85,
    2019: 80.64,
    2020: 81.30,
    2021: 82.05,
    2022: 82.41,
    2023: 84.96,
}
FACTORS = ("tiep_can", "thu_tuc", "cong_chuc", "ket_qua", "pakn")
# SIPAS 2024 (published order): top five and bottom five by former-province code.
TOP_2024 = {"31": 90.59, "19": 89.87, "30": 89.41, "22": 89.02, "77": 88.76}
BOTTOM_2024 = {"06": 77.42, "20": 77.95, "49": 78.31, "89": 78.64, "51": 78.90}
NATIONAL_2024 = 83.94


def _interval(value: float, n: int) -> tuple[float, float]:
    p = value / 100
    half = 196 * math.sqrt(max(p * (1 - p), 0.0001) / max(n, 1))
    return max(0.0, round(value - half, 2)), min(100.0, round(value + half, 2))


def _csv(rows: list[dict[str, Any]]) -> io.BytesIO:
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    data = io.BytesIO(text.getvalue().encode("utf-8"))
    data.name = "demo.csv"
    return data


def _row(code: str, year: int, value: float, n: int, rng: Any, *, weight: bool = True) -> dict[str, Any]:
    low, high = _interval(value, n)
    row: dict[str, Any] = {
        "unit_code": code,
        "year": year,
        "measure": "sipas",
        "value": f"{value:.2f}",
        "ci_low": f"{low:.2f}",
        "ci_high": f"{high:.2f}",
        "n": n,
        "source": DEMO_SOURCE,
    }
    if weight:
        row["weight"] = n
    for factor in FACTORS:
        row[f"component:{factor}"] = f"{min(99.5, value + rng.uniform(-4, 4)):.2f}"
    return row


def build(ctx: Any) -> None:
    """Targets, history with back-casts, every province in 2024, the demo province's units in 2025; a snapshot."""
    rng = ctx.rng
    for threshold, year, label in (
        (90, 2025, "Hài lòng tối thiểu 90% năm 2025"),
        (95, 2030, "Hài lòng tối thiểu 95% năm 2030"),
    ):
        services.set_target(
            measure="sipas",
            threshold=Decimal(threshold),
            target_year=year,
            label=label,
            effective_from=date(2021, 7, 15),
            source=TARGET_SOURCE,
            actor="demo",
        )
    legacy = {u.code: u for u in AdminUnit.objects.filter(structure=LEGACY, level=PROVINCE)}
    rows: list[dict[str, Any]] = []
    if {"66", "54"} <= set(legacy) and ctx.province_code == "66":
        for code, history in (("66", DAK_LAK_HISTORY), ("54", PHU_YEN_HISTORY)):
            for year, value in history.items():
                rows.append(_row(code, year, value, rng.randint(420, 640), rng))
    rows.extend(
        _row(code, 2024, value, rng.randint(480, 700), rng)
        for code, value in _provinces_2024(legacy, rng).items()
    )
    report = services.import_history(
        source=_csv(rows), name="lịch sử SIPAS (minh họa).csv", actor="demo", is_demo=True
    )
    ctx.say(f"  {report.summary()}")

    province = AdminUnit.objects.filter(structure=CURRENT, level=PROVINCE, code=ctx.province_code).first()
    if province is None:
        return
    recent: list[dict[str, Any]] = [
        _row(province.code, 2025, 87.36, int(3200 * max(ctx.scale, 0.1)), rng, weight=False)
    ]
    campaign = Campaign.objects.filter(slug="sipas-demo", status=Campaign.Status.CLOSED).first()
    communes = AdminUnit.objects.filter(structure=CURRENT, level=COMMUNE, parent=province).order_by("code")
    agencies = Agency.objects.filter(
        admin_unit=province, kind__in=["department", "vertical", "service_centre"]
    )
    if campaign is not None:
        # Real estimates from the demo campaign stand for the units; invented unit values would crowd them out.
        communes, agencies = communes.none(), agencies.none()
    for commune in communes:
        n = rng.choice([0, 2, 3, 4]) if rng.random() < 0.08 else rng.randint(12, 90)
        if n:
            value = min(99.0, max(62.0, rng.gauss(86.5, 4.5)))
            recent.append(_row(commune.code, 2025, value, n, rng, weight=False))
    for agency in agencies:
        value = min(98.0, max(70.0, rng.gauss(87.0, 3.5)))
        row = _row("", 2025, value, rng.randint(25, 320), rng, weight=False)
        row.pop("unit_code")
        row["agency_code"] = agency.code
        recent.append(row)
    for row in recent:
        row.setdefault("unit_code", "")
        row.setdefault("agency_code", "")
    report = services.import_history(
        source=_csv(recent), name="SIPAS 2025 (minh họa).csv", actor="demo", is_demo=True
    )
    ctx.say(f"  {report.summary()}")
    if campaign is not None:
        published = services.publish_campaign_results(
            campaign=campaign, actor="demo", now=timezone.now(), is_demo=True
        )
        ctx.say(f"  {published.summary()}")
    _publish_index766(ctx)
    snapshot = services.take_snapshot(on=ctx.today, actor="demo")
    ctx.say(f"  ảnh chụp xếp hạng: {snapshot.snapshots} bảng, {snapshot.rows} dòng")


def _publish_index766(ctx: Any) -> None:
    """The last twelve whole months of the 766 index, published as an operator would (oldest first)."""
    year, month = ctx.today.year, ctx.today.month
    months = []
    for _i in range(12):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append(f"{year}-{month:02d}")
    began = clock.monotonic()
    published = 0
    for key in reversed(months):
        try:
            services.publish_index766_month(month=key, actor="demo", now=timezone.now(), is_demo=True)
        except services.PublishError:
            continue  # a month without dossiers (the indices demo may have been skipped)
        published += 1
    ctx.say(f"  chỉ số 766: {published} tháng công bố trong {clock.monotonic() - began:.0f} giây")


def _provinces_2024(legacy: dict[str, AdminUnit], rng: Any) -> dict[str, float]:
    """63 plausible values with the published mean, top and bottom; the middle is shifted to hit the mean."""
    values = {code: v for code, v in {**TOP_2024, **BOTTOM_2024}.items() if code in legacy}
    middle = [code for code in sorted(legacy) if code not in values]
    if "66" in middle:
        values["66"] = 86.31
        middle.remove("66")
    if "54" in middle:
        values["54"] = 85.18
        middle.remove("54")
    draws = {code: rng.uniform(79.6, 88.4) for code in middle}
    if draws:
        wanted = NATIONAL_2024 * len(legacy) - sum(values.values())
        shift = (wanted - sum(draws.values())) / len(draws)
        values.update({code: round(min(88.6, max(79.2, v + shift)), 2) for code, v in draws.items()})
    return values
