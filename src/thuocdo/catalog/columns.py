"""The columns of a procedure file and how each cell is read and written.

Canonical names are English; the national TTHC database's Vietnamese headers are accepted as
aliases (accent- and case-insensitive). Each reader turns one cell into a model value or raises
ValueError with a message in Vietnamese that the import reports with the file, row and column.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from thuocdo.catalog.models import Procedure
from thuocdo.core.text import fold
from thuocdo.core.timelimit import TimeLimitError, TimeUnit, parse_unit

# Canonical name → the Vietnamese label used in messages first, then other accepted headers.
ALIASES: dict[str, list[str]] = {
    "code": ["Mã thủ tục", "Mã TTHC", "Mã số thủ tục", "Mã"],
    "name": ["Tên thủ tục", "Tên TTHC", "Tên thủ tục hành chính"],
    "field_code": ["Mã lĩnh vực"],
    "field_name": ["Lĩnh vực", "Tên lĩnh vực"],
    "levels": ["Cấp thực hiện"],
    "time_limit": ["Thời hạn giải quyết", "Thời hạn", "Thời gian giải quyết"],
    "time_limit_unit": ["Đơn vị thời hạn", "Đơn vị tính", "Đơn vị thời gian"],
    "online_time_limit": [
        "Thời hạn trực tuyến",
        "Thời hạn giải quyết trực tuyến",
        "Thời hạn giải quyết khi nộp trực tuyến",
    ],
    "fee": ["Phí, lệ phí", "Phí lệ phí", "Phí", "Lệ phí"],
    "online_level": [
        "Mức độ DVC",
        "DVCTT",
        "Mức độ DVCTT",
        "Mức độ dịch vụ công",
        "Mức độ",
        "Dịch vụ công trực tuyến",
    ],
    "full_online_eligible": ["Đủ điều kiện toàn trình", "Đủ điều kiện DVCTT toàn trình"],
    "issues_paper_result": ["Có kết quả giấy", "Kết quả giấy"],
    "citizen_subject": ["Đối tượng thực hiện", "Đối tượng"],
    "components_complete": ["Công khai đầy đủ bộ phận tạo thành", "Đầy đủ bộ phận tạo thành"],
    "decision_number": ["Số quyết định công bố", "Quyết định công bố", "Số QĐ công bố"],
    "published_on": ["Ngày quyết định công bố", "Ngày công bố", "Ngày QĐ công bố"],
    "made_public_on": ["Ngày công khai", "Ngày công khai trên CSDL quốc gia"],
    "legal_effective_on": [
        "Ngày văn bản quy định có hiệu lực",
        "Ngày văn bản có hiệu lực",
        "Ngày hiệu lực văn bản",
    ],
    "effective_from": ["Hiệu lực từ", "Ngày hiệu lực", "Ngày áp dụng"],
    "effective_to": ["Hết hiệu lực từ", "Hết hiệu lực", "Ngày hết hiệu lực"],
    "agency_codes": ["Cơ quan thực hiện", "Mã cơ quan thực hiện"],
}
COLUMNS = list(ALIASES)
BOOLEAN_COLUMNS = ("full_online_eligible", "issues_paper_result", "components_complete")
DATE_COLUMNS = ("published_on", "made_public_on", "legal_effective_on", "effective_from", "effective_to")


def label(column: str) -> str:
    """How a column is named in error messages: the Vietnamese header and the canonical name."""
    return f"{ALIASES[column][0]} ({column})"


_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
_SHORTENED_CODE = re.compile(r"^\d\.\d{1,5}$")


def read_code(text: str) -> str:
    """A procedure code such as 1.001234, 2.000123 or a provincial 1.001234.000.00.00.H12."""
    if not text:
        raise ValueError("thiếu mã thủ tục")
    if _SHORTENED_CODE.match(text):
        # Excel stored the code as a number and dropped trailing zeros (2.000120 → 2.00012); codes have 6 decimals.
        whole, decimals = text.split(".")
        text = f"{whole}.{decimals.ljust(6, '0')}"
    if len(text) > 40 or not _CODE.match(text):
        raise ValueError(f"mã thủ tục «{text}» không hợp lệ (ví dụ: 1.001234)")
    return text


_LEVEL_WORDS = {
    "bo": Procedure.Level.MINISTRY,
    "bo, nganh": Procedure.Level.MINISTRY,
    "trung uong": Procedure.Level.MINISTRY,
    "ministry": Procedure.Level.MINISTRY,
    "tinh": Procedure.Level.PROVINCE,
    "thanh pho": Procedure.Level.PROVINCE,
    "province": Procedure.Level.PROVINCE,
    "xa": Procedure.Level.COMMUNE,
    "phuong": Procedure.Level.COMMUNE,
    "dac khu": Procedure.Level.COMMUNE,
    "commune": Procedure.Level.COMMUNE,
    "co quan khac": Procedure.Level.OTHER,
    "khac": Procedure.Level.OTHER,
    "other": Procedure.Level.OTHER,
}


def read_levels(text: str) -> list[str]:
    """ "Cấp Tỉnh; Cấp Xã" → ["province", "commune"], in the catalogue's order of levels."""
    found: set[str] = set()
    for part in re.split(r"[;,|/\n]+", text):
        key = fold(part).strip(" .")
        if not key:
            continue
        key = key.removeprefix("cap ").strip()
        if key in _LEVEL_WORDS:
            found.add(_LEVEL_WORDS[key])
        elif key == "huyen":
            raise ValueError("cấp huyện không còn từ 01/07/2025; hãy ghi Cấp Tỉnh hoặc Cấp Xã")
        else:
            raise ValueError(
                f"không hiểu cấp thực hiện «{part.strip()}» (dùng: Cấp Bộ, Cấp Tỉnh, Cấp Xã, Cơ quan khác)"
            )
    return [level for level in Procedure.Level.values if level in found]


def write_levels(levels: list[str]) -> str:
    return ";".join(levels)


_NO_FEE = {
    "",
    "khong",
    "khong co",
    "khong thu",
    "khong thu phi",
    "mien phi",
    "mien",
    "0",
    "none",
    "no",
    "false",
}


_ZERO_AMOUNT = re.compile(r"^0+(?:[.,]0+)*\s*(?:d|dong|vnd)?$")


def read_fee(text: str) -> bool:
    """Whether a procedure carries a fee: "Không", "0", "0 đồng" → False; "50.000 đồng", "Có" → True."""
    key = fold(text).strip(" .")
    if key in _NO_FEE or key.startswith(("khong ", "mien ")):
        return False
    return not _ZERO_AMOUNT.match(key)  # "0", "0 đồng", "0đ" are no fee


_TRUE = {"co", "x", "1", "true", "yes", "dung", "c"}
_FALSE = {"khong", "0", "false", "no", "sai", "k"}


def read_bool(text: str) -> bool:
    key = fold(text).strip(" .")
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"giá trị «{text}» không phải Có/Không")


def read_citizen_subject(text: str) -> bool:
    """True when citizens may carry out the procedure: "Công dân Việt Nam", "Người Việt Nam định cư ở nước ngoài"."""
    key = fold(text).strip(" .")
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return "cong dan viet nam" in key or "nguoi viet nam" in key or "ca nhan" in key or "citizen" in key


_ONLINE_WORDS = {
    "toan trinh": Procedure.OnlineLevel.FULL,
    "full": Procedure.OnlineLevel.FULL,
    "muc do 4": Procedure.OnlineLevel.FULL,
    "4": Procedure.OnlineLevel.FULL,
    "mot phan": Procedure.OnlineLevel.PARTIAL,
    "partial": Procedure.OnlineLevel.PARTIAL,
    "muc do 3": Procedure.OnlineLevel.PARTIAL,
    "3": Procedure.OnlineLevel.PARTIAL,
    "": Procedure.OnlineLevel.NONE,
    "khong": Procedure.OnlineLevel.NONE,
    "none": Procedure.OnlineLevel.NONE,
    "muc do 2": Procedure.OnlineLevel.NONE,
    "muc do 1": Procedure.OnlineLevel.NONE,
    "2": Procedure.OnlineLevel.NONE,
    "1": Procedure.OnlineLevel.NONE,
    "dvc thong tin": Procedure.OnlineLevel.NONE,
}


def read_online_level(text: str) -> str:
    """ "Toàn trình" / "Mức độ 4" → full, "Một phần" / "Mức độ 3" → partial, blank / "Không" / "Mức độ 2" → none."""
    key = fold(text).strip(" .")
    if key in _ONLINE_WORDS:
        return _ONLINE_WORDS[key]
    for words in ("toan trinh", "mot phan", "muc do 4", "muc do 3", "muc do 2", "muc do 1"):
        if words in key:
            return _ONLINE_WORDS[words]
    raise ValueError(
        f"không hiểu mức độ dịch vụ công trực tuyến «{text}» (dùng: Toàn trình, Một phần, Không)"
    )


def read_unit(text: str) -> TimeUnit:
    try:
        return parse_unit(text)
    except TimeLimitError as exc:
        raise ValueError(str(exc)) from exc


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?$")


def read_date(text: str) -> date:
    """A date written dd/mm/yyyy (as Vietnamese documents do) or yyyy-mm-dd."""
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO.match(text)
        if not match:
            raise ValueError(f"ngày «{text}» không hợp lệ (dùng dd/mm/yyyy, ví dụ 01/07/2025)")
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"ngày «{text}» không tồn tại") from exc


def read_agency_codes(text: str) -> list[str]:
    codes = [c.strip() for c in re.split(r"[;,\n]+", text)]
    return list(dict.fromkeys(c for c in codes if c))


def write_decimal(value: Decimal | None) -> int | Decimal | str:
    """A number as written to a file: 5 rather than 5.00 (and never 1E+1)."""
    if value is None:
        return ""
    return int(value) if value == value.to_integral_value() else value.normalize()
