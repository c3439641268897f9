"""Building import files in tests."""

from __future__ import annotations

import csv
import io


def csv_file(header: list[str], *rows: list[object], name: str = "lich-su.csv") -> io.BytesIO:
    """An in-memory CSV upload."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    data = io.BytesIO(text.getvalue().encode("utf-8"))
    data.name = name
    return data
