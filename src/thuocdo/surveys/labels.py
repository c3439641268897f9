"""Names of key-driver quadrants in the reader's language: core.drivers returns codes, pages and commands name them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from thuocdo.core.drivers import QUADRANTS

QUADRANT_LABELS = {
    QUADRANTS[(True, True)]: _("Ưu tiên cải thiện"),
    QUADRANTS[(True, False)]: _("Duy trì thế mạnh"),
    QUADRANTS[(False, True)]: _("Cải thiện khi có nguồn lực"),
    QUADRANTS[(False, False)]: _("Thứ yếu"),
}


def quadrant_label(code: str | None) -> str:
    """The translated name of a priority-matrix quadrant; "" when the criterion has none."""
    if not code:
        return ""
    label = QUADRANT_LABELS.get(code)
    return str(label) if label is not None else code
