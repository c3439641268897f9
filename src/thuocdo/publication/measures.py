"""The measures the portal publishes: codes, Vietnamese names, and which ones come from samples.

A measure code is a base ("sipas") or a base with a component ("sipas_factor:tiep_can", "sipas_criterion:A1"); imports accept
only these bases, so a typo in a file is an error rather than a new, empty series.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Measure:
    code: str
    label: str | Promise
    from_survey: bool  # survey figures carry an interval and a sample size


BASES = {
    "sipas": Measure("sipas", _("Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)"), True),
    "sipas_factor": Measure("sipas_factor", _("Chỉ số thành phần SIPAS"), True),
    "sipas_aspect": Measure("sipas_aspect", _("Khía cạnh SIPAS"), True),
    "sipas_criterion": Measure("sipas_criterion", _("Tiêu chí SIPAS"), True),
    "par_index": Measure("par_index", _("Chỉ số cải cách hành chính (PAR Index)"), False),
    "index766": Measure("index766", _("Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766)"), False),
    "index766_group": Measure("index766_group", _("Nhóm chỉ số Quyết định 766"), False),
    "index766_indicator": Measure("index766_indicator", _("Chỉ tiêu Quyết định 766 (tỷ lệ %)"), False),
}
QUALIFIED = {"sipas_factor", "sipas_aspect", "sipas_criterion", "index766_group", "index766_indicator"}
# Component codes keep the instrument's case (criterion "A1", factor "A").
_CODE = re.compile(r"^([a-z0-9_]+)(?::([A-Za-z0-9_.-]+))?$")


def parse(code: str) -> tuple[Measure, str] | None:
    """(base measure, component) for a valid code, else None."""
    match = _CODE.match(code.strip())
    if not match:
        return None
    base = BASES.get(match.group(1))
    component = match.group(2) or ""
    if base is None or (base.code in QUALIFIED) != bool(component):
        return None
    return base, component


def label(code: str) -> str:
    """A reader's name for a measure code."""
    parsed = parse(code)
    if parsed is None:
        return code
    base, component = parsed
    return f"{base.label}: {component}" if component else str(base.label)


def is_survey(code: str) -> bool:
    """Whether figures of this measure come from a sample (and so have an interval and a count)."""
    parsed = parse(code)
    return bool(parsed and parsed[0].from_survey)


def accepted() -> str:
    """The accepted codes, for error messages."""
    return ", ".join(f"{b}:<mã>" if b in QUALIFIED else b for b in BASES)
