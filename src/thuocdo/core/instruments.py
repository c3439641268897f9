"""Survey instruments (questionnaires) as versioned data: parsed and validated into frozen dataclasses.

An instrument version is a JSON document (see src/thuocdo/surveys/data/instruments/). It carries its
questions, answer scales, filter questions and its aggregation rule, so a change in method is a new
version of data, not a code change. A published version is immutable: its `content_hash` is the
SHA-256 of the canonical JSON of everything else, and a mismatch is an error.

This module is pure: callers read the file and pass its text; errors name the source and JSON path.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

SCHEMA = 1
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
STATUSES = ("draft", "published", "retired")
CRITERION_METHODS = ("share", "mean")
GROUP_METHODS = ("mean", "sum")
QUESTION_ROLES = ("filter", "demographic", "expectation", "global", "other")
QUESTION_KINDS = ("single", "multiple", "text", "number")


class InstrumentError(ValueError):
    """An instrument document is invalid; the message names the source file and the JSON path."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source = source
        self.path = path
        self.message = message
        super().__init__(f"{source}: {path}: {message}")


@dataclass(frozen=True)
class Text:
    vi: str
    en: str


@dataclass(frozen=True)
class ScalePoint:
    value: int
    label: Text


@dataclass(frozen=True)
class Scale:
    code: str
    points: tuple[ScalePoint, ...]
    satisfied: frozenset[int]

    @property
    def values(self) -> frozenset[int]:
        """Every valid answer code of the scale."""
        return frozenset(p.value for p in self.points)


@dataclass(frozen=True)
class Condition:
    """Ask a question only when `question` was answered with one of `values` (a filter question)."""

    question: str
    values: frozenset[int]


@dataclass(frozen=True)
class Option:
    value: int
    label: Text
    factor: str | None = None


@dataclass(frozen=True)
class Question:
    code: str
    text: Text
    kind: str
    role: str
    options: tuple[Option, ...]
    required: bool
    asked_if: Condition | None


@dataclass(frozen=True)
class Criterion:
    code: str
    text: Text
    scale: Scale
    factor: str
    asked_if: Condition | None
    form_no: int | None


@dataclass(frozen=True)
class Factor:
    code: str
    title: Text
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Aspect:
    code: str
    title: Text
    factors: tuple[str, ...]


@dataclass(frozen=True)
class Aggregation:
    """How answers become indices: criterion → factor → (aspect →) overall."""

    criterion: Literal["share", "mean"]
    factor: Literal["mean", "sum"]
    aspect: Literal["mean", "sum"] | None
    overall: Literal["mean", "sum"]
    weighted: bool
    unit: Literal["percent", "points"]


@dataclass(frozen=True)
class Instrument:
    code: str
    version: int
    status: str
    effective_from: date
    title: Text
    source: str
    notes: str
    scales: Mapping[str, Scale]
    factors: tuple[Factor, ...]
    aspects: tuple[Aspect, ...]
    questions: tuple[Question, ...]
    aggregation: Aggregation
    content_hash: str

    @property
    def key(self) -> str:
        """`code@version`, the identifier a response is pinned to."""
        return f"{self.code}@{self.version}"

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """All criteria in questionnaire order."""
        return tuple(c for f in self.factors for c in f.criteria)

    def criterion(self, code: str) -> Criterion:
        """The criterion with this code (KeyError if none)."""
        for c in self.criteria:
            if c.code == code:
                return c
        raise KeyError(code)

    def question(self, code: str) -> Question:
        """The non-scored question with this code (KeyError if none)."""
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)


def canonical_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a document, ignoring its own `content_hash` field."""
    body = {k: v for k, v in document.items() if k != "content_hash"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_instrument_text(text: str, *, source: str) -> Instrument:
    """Parse and validate the JSON text of one instrument version."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstrumentError(
            source, f"dòng {exc.lineno}, cột {exc.colno}", f"JSON không hợp lệ: {exc.msg}"
        ) from exc
    return parse_instrument(document, source=source)


def parse_instrument(document: object, *, source: str) -> Instrument:
    """Validate a decoded instrument document and build the frozen Instrument."""
    return _Parser(source).instrument(document)


def latest(instruments: Sequence[Instrument], code: str, *, on: date | None = None) -> Instrument:
    """The highest published version of `code` in force on `on` (any date if None)."""
    candidates = [
        i
        for i in instruments
        if i.code == code and i.status == "published" and (on is None or i.effective_from <= on)
    ]
    if not candidates:
        raise KeyError(code)
    return max(candidates, key=lambda i: i.version)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> InstrumentError:
        return InstrumentError(self.source, path, message)

    def obj(self, value: object, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "phải là một đối tượng JSON {…}")
        return value

    def arr(self, value: object, path: str, *, nonempty: bool = True) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, "phải là một mảng JSON […]")
        if nonempty and not value:
            raise self.fail(path, "không được để trống")
        return value

    def field(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in data:
            raise self.fail(f"{path}.{key}", "thiếu trường bắt buộc")
        return data[key]

    def string(self, data: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> str:
        if optional and key not in data:
            return ""
        value = self.field(data, key, path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path}.{key}", "phải là chuỗi không rỗng")
        return value

    def code(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = self.string(data, key, path)
        if not _CODE.match(value):
            raise self.fail(
                f"{path}.{key}", f"mã {value!r} không hợp lệ (chữ, số, '_', '.', '-'; bắt đầu bằng chữ)"
            )
        return value

    def integer(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, "phải là số nguyên")
        return value

    def text(self, value: object, path: str) -> Text:
        data = self.obj(value, path)
        return Text(vi=self.string(data, "vi", path), en=self.string(data, "en", path))

    def check_keys(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(f"{path}.{unknown[0]}", "trường không được hỗ trợ")

    def instrument(self, document: object) -> Instrument:
        data = self.obj(document, "$")
        self.check_keys(
            data,
            {
                "schema", "code", "version", "status", "effective_from", "title", "source", "notes",
                "scales", "factors", "aspects", "questions", "aggregation", "content_hash",
            },
            "$",
        )  # fmt: skip
        if self.field(data, "schema", "$") != SCHEMA:
            raise self.fail("$.schema", f"chỉ hỗ trợ schema {SCHEMA}")
        code = self.code(data, "code", "$")
        version = self.integer(self.field(data, "version", "$"), "$.version")
        if version < 1:
            raise self.fail("$.version", "phải ≥ 1")
        status = self.string(data, "status", "$")
        if status not in STATUSES:
            raise self.fail("$.status", f"phải là một trong {', '.join(STATUSES)}")
        try:
            effective_from = date.fromisoformat(self.string(data, "effective_from", "$"))
        except ValueError as exc:
            raise self.fail("$.effective_from", "phải là ngày dạng YYYY-MM-DD") from exc
        scales = self.scales(self.field(data, "scales", "$"))
        questions = self.questions(data.get("questions", []))
        question_codes = {q.code for q in questions}
        factors = self.factors(self.field(data, "factors", "$"), scales)
        criteria_codes = [c.code for f in factors for c in f.criteria]
        clash = (question_codes & set(criteria_codes)) | ({f.code for f in factors} & set(criteria_codes))
        if clash:
            raise self.fail("$.questions", f"mã {sorted(clash)[0]!r} dùng cho cả câu hỏi và tiêu chí")
        for fi, factor in enumerate(factors):
            for ci, criterion in enumerate(factor.criteria):
                self.check_condition(
                    criterion.asked_if, questions, f"$.factors[{fi}].criteria[{ci}].asked_if"
                )
        for qi, question in enumerate(questions):
            self.check_condition(question.asked_if, questions, f"$.questions[{qi}].asked_if")
            for oi, option in enumerate(question.options):
                if option.factor is not None and option.factor not in {f.code for f in factors}:
                    raise self.fail(
                        f"$.questions[{qi}].options[{oi}].factor", f"không có yếu tố {option.factor!r}"
                    )
        aspects = self.aspects(data.get("aspects", []), factors)
        aggregation = self.aggregation(self.field(data, "aggregation", "$"), aspects)
        expected = canonical_hash(data)
        content_hash = data.get("content_hash", "")
        if status != "draft":
            if not content_hash:
                raise self.fail(
                    "$.content_hash", f"phiên bản đã ban hành phải có content_hash (giá trị đúng: {expected})"
                )
            if content_hash != expected:
                raise self.fail(
                    "$.content_hash",
                    f"nội dung đã thay đổi sau khi ban hành (băm hiện tại {expected}); hãy tạo phiên bản mới thay vì sửa",
                )
        return Instrument(
            code=code,
            version=version,
            status=status,
            effective_from=effective_from,
            title=self.text(self.field(data, "title", "$"), "$.title"),
            source=self.string(data, "source", "$"),
            notes=self.string(data, "notes", "$", optional=True),
            scales=scales,
            factors=factors,
            aspects=aspects,
            questions=questions,
            aggregation=aggregation,
            content_hash=expected,
        )

    def scales(self, value: object) -> dict[str, Scale]:
        data = self.obj(value, "$.scales")
        if not data:
            raise self.fail("$.scales", "không được để trống")
        scales: dict[str, Scale] = {}
        for code, raw in data.items():
            path = f"$.scales.{code}"
            if not _CODE.match(code):
                raise self.fail(path, f"mã thang đo {code!r} không hợp lệ")
            body = self.obj(raw, path)
            self.check_keys(body, {"points", "satisfied"}, path)
            points = []
            for pi, point in enumerate(self.arr(self.field(body, "points", path), f"{path}.points")):
                ppath = f"{path}.points[{pi}]"
                pdata = self.obj(point, ppath)
                points.append(
                    ScalePoint(
                        value=self.integer(self.field(pdata, "value", ppath), f"{ppath}.value"),
                        label=self.text(self.field(pdata, "label", ppath), f"{ppath}.label"),
                    )
                )
            values = [p.value for p in points]
            if len(set(values)) != len(values):
                raise self.fail(f"{path}.points", "giá trị trùng lặp")
            satisfied = self.arr(self.field(body, "satisfied", path), f"{path}.satisfied")
            for si, s in enumerate(satisfied):
                if self.integer(s, f"{path}.satisfied[{si}]") not in values:
                    raise self.fail(f"{path}.satisfied[{si}]", f"{s} không thuộc thang đo")
            scales[code] = Scale(code=code, points=tuple(points), satisfied=frozenset(satisfied))
        return scales

    def condition(self, value: object, path: str) -> Condition | None:
        if value is None:
            return None
        data = self.obj(value, path)
        self.check_keys(data, {"question", "in"}, path)
        values = self.arr(self.field(data, "in", path), f"{path}.in")
        return Condition(
            question=self.code(data, "question", path),
            values=frozenset(self.integer(v, f"{path}.in[{i}]") for i, v in enumerate(values)),
        )

    def check_condition(self, condition: Condition | None, questions: Sequence[Question], path: str) -> None:
        if condition is None:
            return
        target = next((q for q in questions if q.code == condition.question), None)
        if target is None or target.role != "filter":
            raise self.fail(f"{path}.question", f"không có câu hỏi lọc {condition.question!r}")
        known = {o.value for o in target.options}
        wrong = sorted(condition.values - known)
        if wrong:
            raise self.fail(f"{path}.in", f"{wrong[0]} không phải phương án của {condition.question}")

    def questions(self, value: object) -> tuple[Question, ...]:
        out: list[Question] = []
        seen: set[str] = set()
        for qi, raw in enumerate(self.arr(value, "$.questions", nonempty=False)):
            path = f"$.questions[{qi}]"
            data = self.obj(raw, path)
            self.check_keys(data, {"code", "text", "kind", "role", "options", "required", "asked_if"}, path)
            code = self.code(data, "code", path)
            if code in seen:
                raise self.fail(f"{path}.code", f"mã trùng lặp {code!r}")
            seen.add(code)
            kind = self.string(data, "kind", path)
            if kind not in QUESTION_KINDS:
                raise self.fail(f"{path}.kind", f"phải là một trong {', '.join(QUESTION_KINDS)}")
            role = self.string(data, "role", path)
            if role not in QUESTION_ROLES:
                raise self.fail(f"{path}.role", f"phải là một trong {', '.join(QUESTION_ROLES)}")
            options: list[Option] = []
            for oi, opt in enumerate(self.arr(data.get("options", []), f"{path}.options", nonempty=False)):
                opath = f"{path}.options[{oi}]"
                odata = self.obj(opt, opath)
                self.check_keys(odata, {"value", "label", "factor"}, opath)
                options.append(
                    Option(
                        value=self.integer(self.field(odata, "value", opath), f"{opath}.value"),
                        label=self.text(self.field(odata, "label", opath), f"{opath}.label"),
                        factor=odata.get("factor"),
                    )
                )
            if kind in ("single", "multiple") and not options:
                raise self.fail(f"{path}.options", "câu hỏi lựa chọn phải có phương án")
            if len({o.value for o in options}) != len(options):
                raise self.fail(f"{path}.options", "giá trị phương án trùng lặp")
            required = data.get("required", False)
            if not isinstance(required, bool):
                raise self.fail(f"{path}.required", "phải là true hoặc false")
            out.append(
                Question(
                    code=code,
                    text=self.text(self.field(data, "text", path), f"{path}.text"),
                    kind=kind,
                    role=role,
                    options=tuple(options),
                    required=required,
                    asked_if=self.condition(data.get("asked_if"), f"{path}.asked_if"),
                )
            )
        return tuple(out)

    def factors(self, value: object, scales: Mapping[str, Scale]) -> tuple[Factor, ...]:
        factors: list[Factor] = []
        seen: set[str] = set()
        for fi, raw in enumerate(self.arr(value, "$.factors")):
            path = f"$.factors[{fi}]"
            data = self.obj(raw, path)
            self.check_keys(data, {"code", "title", "criteria"}, path)
            fcode = self.code(data, "code", path)
            if fcode in seen:
                raise self.fail(f"{path}.code", f"mã trùng lặp {fcode!r}")
            seen.add(fcode)
            criteria: list[Criterion] = []
            for ci, craw in enumerate(self.arr(self.field(data, "criteria", path), f"{path}.criteria")):
                cpath = f"{path}.criteria[{ci}]"
                cdata = self.obj(craw, cpath)
                self.check_keys(cdata, {"code", "text", "scale", "asked_if", "form_no"}, cpath)
                ccode = self.code(cdata, "code", cpath)
                if ccode in seen:
                    raise self.fail(f"{cpath}.code", f"mã trùng lặp {ccode!r}")
                seen.add(ccode)
                scale_code = self.string(cdata, "scale", cpath)
                if scale_code not in scales:
                    raise self.fail(f"{cpath}.scale", f"không có thang đo {scale_code!r}")
                form_no = cdata.get("form_no")
                criteria.append(
                    Criterion(
                        code=ccode,
                        text=self.text(self.field(cdata, "text", cpath), f"{cpath}.text"),
                        scale=scales[scale_code],
                        factor=fcode,
                        asked_if=self.condition(cdata.get("asked_if"), f"{cpath}.asked_if"),
                        form_no=None if form_no is None else self.integer(form_no, f"{cpath}.form_no"),
                    )
                )
            factors.append(
                Factor(
                    code=fcode,
                    title=self.text(self.field(data, "title", path), f"{path}.title"),
                    criteria=tuple(criteria),
                )
            )
        return tuple(factors)

    def aspects(self, value: object, factors: Sequence[Factor]) -> tuple[Aspect, ...]:
        aspects: list[Aspect] = []
        used: dict[str, str] = {}
        factor_codes = {f.code for f in factors}
        for ai, raw in enumerate(self.arr(value, "$.aspects", nonempty=False)):
            path = f"$.aspects[{ai}]"
            data = self.obj(raw, path)
            self.check_keys(data, {"code", "title", "factors"}, path)
            acode = self.code(data, "code", path)
            members = self.arr(self.field(data, "factors", path), f"{path}.factors")
            for mi, member in enumerate(members):
                if member not in factor_codes:
                    raise self.fail(f"{path}.factors[{mi}]", f"không có yếu tố {member!r}")
                if member in used:
                    raise self.fail(
                        f"{path}.factors[{mi}]", f"yếu tố {member!r} đã thuộc khía cạnh {used[member]!r}"
                    )
                used[member] = acode
            aspects.append(
                Aspect(
                    code=acode,
                    title=self.text(self.field(data, "title", path), f"{path}.title"),
                    factors=tuple(members),
                )
            )
        if aspects and set(used) != factor_codes:
            missing = sorted(factor_codes - set(used))[0]
            raise self.fail("$.aspects", f"yếu tố {missing!r} không thuộc khía cạnh nào")
        return tuple(aspects)

    def aggregation(self, value: object, aspects: Sequence[Aspect]) -> Aggregation:
        path = "$.aggregation"
        data = self.obj(value, path)
        self.check_keys(
            data, {"criterion", "factor", "aspect", "overall", "weighted", "unit", "description"}, path
        )

        def choice(key: str, allowed: tuple[str, ...]) -> Any:
            got = self.string(data, key, path)
            if got not in allowed:
                raise self.fail(f"{path}.{key}", f"phải là một trong {', '.join(allowed)}")
            return got

        criterion = choice("criterion", CRITERION_METHODS)
        aspect = choice("aspect", GROUP_METHODS) if "aspect" in data else None
        if aspects and aspect is None:
            raise self.fail(f"{path}.aspect", "công cụ có khía cạnh phải nêu cách gộp khía cạnh")
        if aspect is not None and not aspects:
            raise self.fail(f"{path}.aspect", "công cụ không có khía cạnh nào")
        weighted = data.get("weighted", True)
        if not isinstance(weighted, bool):
            raise self.fail(f"{path}.weighted", "phải là true hoặc false")
        return Aggregation(
            criterion=criterion,
            factor=choice("factor", GROUP_METHODS),
            aspect=aspect,
            overall=choice("overall", GROUP_METHODS),
            weighted=weighted,
            unit=choice("unit", ("percent", "points")),
        )
