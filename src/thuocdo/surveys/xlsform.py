"""XLSForm in and out, and the XForm that ODK Collect, KoboCollect and Enketo download.

An instrument becomes an XLSForm workbook (survey / choices / settings sheets, bilingual labels, one group
per factor, `relevant` for filtered criteria) that pyxform turns into an XForm. A workbook written in
KoboToolbox or ODK comes back as a draft instrument document. Columns prefixed `thuocdo_` carry what
XLSForm has no place for (question role, satisfied answer codes, aggregation rule); they are optional.
pyxform is imported inside the functions: Django start-up does not pay for it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from thuocdo.core.instruments import Condition, Instrument, InstrumentError, parse_instrument

VI = "label::Tiếng Việt (vi)"
EN = "label::English (en)"
LANG_VI = "Tiếng Việt (vi)"
SURVEY_COLUMNS = [
    "type",
    "name",
    VI,
    EN,
    "required",
    "relevant",
    "appearance",
    "thuocdo_role",
    "thuocdo_aspect",
]
CHOICE_COLUMNS = ["list_name", "name", VI, EN, "thuocdo_satisfied"]
SETTINGS_COLUMNS = [
    "form_title", "form_id", "version", "default_language", "thuocdo_effective_from", "thuocdo_source",
    "thuocdo_criterion", "thuocdo_factor", "thuocdo_aspect", "thuocdo_overall", "thuocdo_weighted",
    "thuocdo_unit",
]  # fmt: skip
STRATUM_FIELD = "stratum"
_RELEVANT = re.compile(
    r"^\s*(?:\$\{(?P<q1>[A-Za-z][\w.-]*)\}\s*=\s*'(?P<v1>-?\d+)'|selected\(\s*\$\{(?P<q2>[A-Za-z][\w.-]*)\}\s*,\s*'(?P<v2>-?\d+)'\s*\))\s*$"
)


@dataclass(frozen=True)
class FormProblem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"trang «{self.sheet}»"
        if self.row is not None:
            where += f", dòng {self.row}"
        if self.column:
            where += f", cột «{self.column}»"
        return f"{where}: {self.message}"


class XLSFormError(ValueError):
    """A workbook that cannot become an instrument; `problems` name the sheet, row and column."""

    def __init__(self, problems: Sequence[FormProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# Instrument → XLSForm ------------------------------------------------------------------------------


def _relevant(condition: Condition | None) -> str:
    if condition is None:
        return ""
    return " or ".join(f"${{{condition.question}}} = '{v}'" for v in sorted(condition.values))


def instrument_workbook(
    instrument: Instrument,
    *,
    form_id: str | None = None,
    form_version: str | None = None,
    strata: Sequence[tuple[str, str]] = (),
) -> dict[str, list[dict[str, str]]]:
    """The instrument as XLSForm sheets (rows as dicts); `strata` adds a required stratum question first."""
    # start/end time the interview (speeders); the device id counts bursts from one device (never stored).
    survey: list[dict[str, str]] = [
        {"type": "start", "name": "start"},
        {"type": "end", "name": "end"},
        {"type": "deviceid", "name": "deviceID"},
    ]
    choices: list[dict[str, str]] = []
    if strata:
        survey.append(
            {"type": f"select_one {STRATUM_FIELD}", "name": STRATUM_FIELD, VI: "Cơ quan / đơn vị được đánh giá",
             EN: "Agency evaluated", "required": "yes"}
        )  # fmt: skip
        choices.extend(
            {"list_name": STRATUM_FIELD, "name": code, VI: name, EN: name} for code, name in strata
        )
    for code, scale in instrument.scales.items():
        choices.extend(
            {"list_name": code, "name": str(point.value), VI: point.label.vi, EN: point.label.en,
             "thuocdo_satisfied": "yes" if point.value in scale.satisfied else ""}
            for point in scale.points
        )  # fmt: skip
    for q in instrument.questions:
        kind = {"single": f"select_one q_{q.code}", "multiple": f"select_multiple q_{q.code}", "text": "text"}
        survey.append(
            {"type": kind.get(q.kind, "integer"), "name": q.code, VI: q.text.vi, EN: q.text.en,
             "required": "yes" if q.required else "", "relevant": _relevant(q.asked_if), "thuocdo_role": q.role}
        )  # fmt: skip
        choices.extend(
            {"list_name": f"q_{q.code}", "name": str(o.value), VI: o.label.vi, EN: o.label.en}
            for o in q.options
        )
    aspect_of = {f: a.code for a in instrument.aspects for f in a.factors}
    for factor in instrument.factors:
        survey.append(
            {"type": "begin_group", "name": factor.code, VI: factor.title.vi, EN: factor.title.en,
             "thuocdo_aspect": aspect_of.get(factor.code, "")}
        )  # fmt: skip
        survey.extend(
            {"type": f"select_one {c.scale.code}", "name": c.code, VI: c.text.vi, EN: c.text.en,
             "relevant": _relevant(c.asked_if)}
            for c in factor.criteria
        )  # fmt: skip
        survey.append({"type": "end_group", "name": ""})
    agg = instrument.aggregation
    settings = {
        "form_title": instrument.title.vi,
        "form_id": form_id or instrument.code,
        "version": form_version or str(instrument.version),
        "default_language": LANG_VI,
        "thuocdo_effective_from": instrument.effective_from.isoformat(),
        "thuocdo_source": instrument.source,
        "thuocdo_criterion": agg.criterion,
        "thuocdo_factor": agg.factor,
        "thuocdo_aspect": agg.aspect or "",
        "thuocdo_overall": agg.overall,
        "thuocdo_weighted": "yes" if agg.weighted else "no",
        "thuocdo_unit": agg.unit,
    }
    aspects = [{"code": a.code, VI: a.title.vi, EN: a.title.en} for a in instrument.aspects]
    book = {"survey": survey, "choices": choices, "settings": [settings]}
    if aspects:
        book["thuocdo_aspects"] = aspects
    return book


def workbook_bytes(book: Mapping[str, Sequence[Mapping[str, str]]]) -> bytes:
    """An .xlsx file of the sheets (the first row of each sheet names its columns)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in book.items():
        ws = wb.create_sheet(name)
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        ws.append(columns)
        for row in rows:
            ws.append([row.get(c, "") for c in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xform_xml(
    instrument: Instrument, *, form_id: str, form_version: str, strata: Sequence[tuple[str, str]] = ()
) -> str:
    """The XForm (ODK XML) of an instrument, generated by pyxform from the XLSForm built in memory."""
    from pyxform.xls2xform import convert

    book = instrument_workbook(instrument, form_id=form_id, form_version=form_version, strata=strata)
    book.pop("thuocdo_aspects", None)
    # Our own columns would otherwise become nodes of every choice item in the XForm; empty cells would
    # become required="None" and relevant="" binds, which JavaRosa (ODK Collect) parses as XPath.
    clean = {
        name: [{k: v for k, v in row.items() if v != "" and not k.startswith("thuocdo_")} for row in rows]
        for name, rows in book.items()
    }
    return convert(xlsform=clean, form_name="data").xform


# XLSForm → instrument document ----------------------------------------------------------------------


def _sheets(data: bytes) -> dict[str, list[tuple[int, dict[str, str]]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise XLSFormError([FormProblem("(tệp)", None, None, f"không đọc được tệp XLSX: {exc}")]) from exc
    sheets: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if not rows:
            sheets[ws.title.strip().lower()] = []
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        body = []
        for number, values in enumerate(rows[1:], start=2):
            record = {
                header[i]: ("" if v is None else str(v).strip())
                for i, v in enumerate(values)
                if i < len(header) and header[i]
            }
            if any(record.values()):
                body.append((number, record))
        sheets[ws.title.strip().lower()] = body
    wb.close()
    return sheets


def _label(row: Mapping[str, str], prefix: str = "label") -> tuple[str, str]:
    vi = row.get(f"{prefix}::{LANG_VI}") or row.get(prefix) or ""
    if not vi:
        vi = next((v for k, v in row.items() if k.startswith(f"{prefix}::") and v), "")
    en = row.get(f"{prefix}::English (en)") or vi
    return vi, en


def _pyxform_problems(data: bytes) -> list[FormProblem]:
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        convert(xlsform=data, file_type=".xlsx")
    except PyXFormError as exc:
        text = str(exc)
        match = re.search(r"\[row\s*:\s*(\d+)\]\s*(.*)", text, re.S)
        # pyxform's row numbers are the survey sheet's unless it says the problem is on another sheet.
        other = re.search(r"\b(?:on|of) the '?(choices|settings)'? sheet", text, re.I)
        sheet = other.group(1).lower() if other else "survey"
        if match:
            return [FormProblem(sheet, int(match.group(1)), None, match.group(2).strip())]
        return [FormProblem(sheet if "sheet" in text.lower() else "survey", None, None, text.strip())]
    except Exception as exc:  # pyxform raises plain errors on some malformed workbooks
        return [FormProblem("(tệp)", None, None, str(exc))]
    return []


def _yes(value: str) -> bool:
    return value.strip().lower() in {"yes", "true", "1", "có", "true()"}


def document_from_xlsform(data: bytes, *, today: date, filename: str = "biểu mẫu.xlsx") -> dict[str, Any]:
    """A draft instrument document from an XLSForm; XLSFormError lists every problem by sheet/row/column."""
    sheets = _sheets(data)
    problems = _pyxform_problems(data)
    if problems:
        raise XLSFormError(problems)
    problems = []
    settings_rows = sheets.get("settings", [])
    settings = settings_rows[0][1] if settings_rows else {}
    form_id = settings.get("form_id", "") or re.sub(r"\.xlsx?$", "", filename)
    code = re.sub(r"[^A-Za-z0-9_.-]+", "-", form_id).strip("-")[:40] or "xlsform"
    if not code[0].isalpha():
        code = f"f{code}"[:40]
    version_text = settings.get("version", "1") or "1"
    version = int(version_text) if version_text.isdigit() and int(version_text) > 0 else 0
    if not version:
        problems.append(
            FormProblem("settings", 2, "version", f"phiên bản «{version_text}» phải là số nguyên dương")
        )
    # Lists of choices.
    lists: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in sheets.get("choices", []):
        lists.setdefault(row.get("list_name", ""), []).append((number, row))

    def options(list_name: str, sheet_row: int) -> list[dict[str, Any]]:
        out = []
        for number, row in lists.get(list_name, []):
            value = row.get("name", "")
            if not value.lstrip("-").isdigit():
                problems.append(
                    FormProblem(
                        "choices", number, "name", f"mã phương án «{value}» phải là số nguyên (thang điểm)"
                    )
                )
                continue
            vi, en = _label(row)
            out.append({"value": int(value), "label": {"vi": vi or value, "en": en or value}})
        if not out and not any(p.sheet == "choices" for p in problems):
            problems.append(
                FormProblem("survey", sheet_row, "type", f"không có danh sách phương án «{list_name}»")
            )
        return out

    scales: dict[str, dict[str, Any]] = {}
    questions: list[dict[str, Any]] = []
    factors: list[dict[str, Any]] = []
    aspects: dict[str, list[str]] = {}
    current: dict[str, Any] | None = None
    referenced: set[str] = set()

    def condition(row: Mapping[str, str], number: int) -> dict[str, Any] | None:
        text = row.get("relevant", "")
        if not text:
            return None
        parts = [p for p in re.split(r"\s+or\s+", text) if p.strip()]
        question, values = None, []
        for part in parts:
            m = _RELEVANT.match(part)
            if m is None:
                problems.append(
                    FormProblem("survey", number, "relevant",
                                "chỉ hỗ trợ điều kiện dạng ${câu} = 'giá trị' hoặc selected(${câu}, 'giá trị')")
                )  # fmt: skip
                return None
            q = m.group("q1") or m.group("q2")
            if question not in (None, q):
                problems.append(
                    FormProblem("survey", number, "relevant", "điều kiện chỉ được dựa trên một câu hỏi")
                )
                return None
            question = q
            values.append(int(m.group("v1") or m.group("v2")))
        assert question is not None
        referenced.add(question)
        return {"question": question, "in": values}

    for number, row in sheets.get("survey", []):
        kind = row.get("type", "").split()
        name = row.get("name", "")
        if not kind:
            continue
        head = kind[0].lower()
        vi, en = _label(row)
        if head in ("begin_group", "begin", "begin_repeat"):
            if head == "begin_repeat" or (len(kind) > 1 and kind[1].lower() == "repeat"):
                problems.append(FormProblem("survey", number, "type", "nhóm lặp (repeat) không được hỗ trợ"))
                continue
            current = {"code": name, "title": {"vi": vi or name, "en": en or name}, "criteria": []}
            factors.append(current)
            if row.get("thuocdo_aspect"):
                aspects.setdefault(row["thuocdo_aspect"], []).append(name)
            continue
        if head in ("end_group", "end") and (head == "end_group" or (len(kind) > 1 and kind[1] == "group")):
            current = None
            continue
        if head in (
            "start",
            "end",
            "today",
            "deviceid",
            "note",
            "calculate",
            "username",
            "phonenumber",
            "audit",
        ):
            continue
        if name == STRATUM_FIELD:
            continue
        text = {"vi": vi or name, "en": en or name}
        if current is not None:
            if head != "select_one" or len(kind) < 2:
                problems.append(
                    FormProblem(
                        "survey",
                        number,
                        "type",
                        "tiêu chí trong nhóm phải là câu hỏi select_one theo thang đo",
                    )
                )
                continue
            list_name = kind[1]
            if list_name not in scales:
                points = options(list_name, number)
                sat = [
                    int(r["name"]) for _n, r in lists.get(list_name, [])
                    if _yes(r.get("thuocdo_satisfied", "")) and r.get("name", "").lstrip("-").isdigit()
                ]  # fmt: skip
                if not sat and points:
                    values = sorted(p["value"] for p in points)
                    sat = values[-2:] if len(values) >= 5 else values[-1:]
                scales[list_name] = {"points": points, "satisfied": sat}
            criterion: dict[str, Any] = {"code": name, "text": text, "scale": list_name}
            cond = condition(row, number)
            if cond:
                criterion["asked_if"] = cond
            current["criteria"].append(criterion)
            continue
        question: dict[str, Any] = {"code": name, "text": text, "required": _yes(row.get("required", ""))}
        if head in ("select_one", "select_multiple") and len(kind) > 1:
            question["kind"] = "single" if head == "select_one" else "multiple"
            question["options"] = options(kind[1], number)
        elif head == "text":
            question["kind"] = "text"
        elif head in ("integer", "decimal"):
            question["kind"] = "number"
        else:
            problems.append(
                FormProblem("survey", number, "type", f"kiểu câu hỏi «{kind[0]}» không được hỗ trợ")
            )
            continue
        question["role"] = row.get("thuocdo_role", "") or "other"
        cond = condition(row, number)
        if cond:
            question["asked_if"] = cond
        questions.append(question)
    for q in questions:
        if q["code"] in referenced and q["role"] == "other":
            q["role"] = "filter"
    if not factors:
        problems.append(
            FormProblem("survey", None, "type", "cần ít nhất một nhóm (begin_group) chứa các tiêu chí")
        )
    if problems:
        raise XLSFormError(problems)

    aspect_titles = {r.get("code", ""): _label(r) for _n, r in sheets.get("thuocdo_aspects", [])}
    document: dict[str, Any] = {
        "schema": 1,
        "code": code,
        "version": version,
        "status": "draft",
        "effective_from": settings.get("thuocdo_effective_from") or today.isoformat(),
        "title": dict(
            zip(("vi", "en"), (_label(settings, "form_title") if settings else (code, code)), strict=True)
        ),
        "source": settings.get("thuocdo_source") or f"XLSForm «{filename}»",
        "scales": scales,
        "questions": questions,
        "factors": factors,
        "aggregation": {
            "criterion": settings.get("thuocdo_criterion") or "share",
            "factor": settings.get("thuocdo_factor") or "mean",
            "overall": settings.get("thuocdo_overall") or "mean",
            "weighted": settings.get("thuocdo_weighted", "yes").lower() not in {"no", "false", "0", "không"},
            "unit": settings.get("thuocdo_unit") or "percent",
        },
    }
    if not document["title"]["vi"]:
        document["title"] = {"vi": code, "en": code}
    if aspects:
        document["aspects"] = [
            {
                "code": a,
                "title": dict(zip(("vi", "en"), aspect_titles.get(a, (a, a)), strict=True)),
                "factors": fs,
            }
            for a, fs in aspects.items()
        ]
        document["aggregation"]["aspect"] = settings.get("thuocdo_aspect") or "mean"
    try:
        parse_instrument(document, source=filename)
    except InstrumentError as exc:
        raise XLSFormError([FormProblem("(nội dung)", None, exc.path, exc.message)]) from exc
    return document


def problems_text(problems: Iterable[FormProblem]) -> list[str]:
    """Human-readable lines, one per problem."""
    return [str(p) for p in problems]
