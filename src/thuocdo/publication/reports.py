"""Reports: one plain description (title, period, sections of text, tables and charts) rendered to PDF, XLSX and DOCX.

The PDF and the Word file carry the administrative header of Decree 30/2020/NĐ-CP (issuing body on the
left; Quốc hiệu and Tiêu ngữ, place and date on the right), built from thuocdo.shared.documents; the
XLSX holds the values of every table and chart for reuse. Charts are drawn offline with Vega-Lite
(altair + vl-convert): SVG in the PDF, PNG in Word.
"""

from __future__ import annotations

import base64
import importlib
import io
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from thuocdo.publication import measures, selectors
from thuocdo.shared.documents import QUOC_HIEU, TIEU_NGU, new_word_document, vietnamese_date_line, word_line
from thuocdo.units.models import AdminUnit

Cell = str | int | float | Decimal | None
Progress = Callable[[str], Any]
FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class ReportError(ValueError):
    """The report cannot be made (e.g. nothing is published for that unit)."""


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    decimals: int = 2
    strong_rows: tuple[int, ...] = ()  # indexes of rows printed in bold (group headings, totals)
    print_limit: int | None = None  # PDF and Word print this many rows; the XLSX keeps every row

    def printed(self) -> tuple[tuple[tuple[Cell, ...], ...], int]:
        """The rows a printed report shows and how many are left to the XLSX."""
        if self.print_limit is None or len(self.rows) <= self.print_limit:
            return self.rows, 0
        return self.rows[: self.print_limit], len(self.rows) - self.print_limit


def _more_text(count: int) -> str:
    return f"… và {vn(count)} dòng khác: xem bản XLSX của báo cáo."


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[tuple[int | str, float], ...]  # (year, value) or (month label, value), in order
    estimated_years: tuple[int, ...] = ()
    band: tuple[tuple[int, float, float], ...] = ()  # (year, low, high)


@dataclass(frozen=True)
class LineChart:
    title: str
    y_title: str
    series: tuple[Series, ...]
    targets: tuple[tuple[str, float], ...] = ()
    description: str = ""  # the text alternative
    x_title: str = "Năm"
    show_kind: bool = True  # mark measured and estimated points with a legend


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars of points against their maximum (e.g. the groups of the 766 index)."""

    title: str
    x_title: str
    bars: tuple[tuple[str, float, float], ...]  # (label, value, maximum)
    description: str = ""  # the text alternative


Chart = LineChart | BarChart


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    chart: Chart | None = None
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Report:
    issuer: str
    title: str
    subtitle: str
    period: str
    place: str
    issued_on: date
    sections: tuple[Section, ...]
    parent_issuer: str = ""
    number: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    signer_title: str = ""
    signer_role: str = ""
    signer_name: str = ""
    recipients: tuple[str, ...] = field(default_factory=tuple)


def vn(value: Cell, decimals: int = 2) -> str:
    """A figure as printed in Vietnamese reports: 83,94 and 1.234."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


# --- charts -------------------------------------------------------------------------------------------


def _bar_spec(chart: BarChart, *, width: int, height: int) -> dict[str, Any]:
    alt: Any = importlib.import_module("altair")
    rows: list[dict[str, Any]] = [
        {"label": label, "value": value, "max": maximum, "text": f"{vn(value)}/{vn(maximum, 0)}"}
        for label, value, maximum in chart.bars
    ]
    order = [r["label"] for r in rows]
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    base = alt.Chart(alt.Data(values=rows))
    top = max((r["max"] for r in rows), default=1.0)
    x_scale = alt.Scale(domain=[0, top * 1.18])
    layers = [
        base.mark_bar(color="#dde5ee", size=16).encode(
            y=y, x=alt.X("max:Q", title=chart.x_title, scale=x_scale)
        ),
        base.mark_bar(color="#0b5394", size=16).encode(y=y, x=alt.X("value:Q", scale=x_scale)),
        base.mark_text(align="left", dx=4, fontSize=11).encode(y=y, x="max:Q", text="text:N"),
    ]
    spec = (
        alt.layer(*layers)
        .properties(width=width - 160, height=max(height // 2, 28 * len(rows)), title=chart.title)
        .configure(font="Noto Sans")
        .configure_view(strokeWidth=0)
        .configure_title(fontSize=13, anchor="start")
    )
    return spec.to_dict()  # type: ignore[no-any-return]


def chart_spec(chart: Chart, *, width: int = 520, height: int = 260) -> dict[str, Any]:
    """The Vega-Lite specification of a line chart with target lines and interval bands, or of a bar chart."""
    if isinstance(chart, BarChart):
        return _bar_spec(chart, width=width, height=height)
    alt: Any = importlib.import_module("altair")  # untyped in places; the spec is checked by vl-convert
    rows: list[dict[str, Any]] = [
        {
            "year": y,
            "value": v,
            "series": s.name,
            "kind": "ước tính" if y in s.estimated_years else "đo lường",
        }
        for s in chart.series
        for y, v in s.points
    ]
    bands = [
        {"year": y, "low": lo, "high": hi, "series": s.name} for s in chart.series for y, lo, hi in s.band
    ]
    everything = [r["value"] for r in rows] + [v for _, v in chart.targets] + [b["low"] for b in bands]
    low = max(0.0, (min(everything) if everything else 50.0) - 5)
    labels = [r["year"] for r in rows]
    # Years sort as numbers; month labels ("T10/2025") keep the order they were given in.
    years = sorted(set(labels)) if all(isinstance(v, int) for v in labels) else list(dict.fromkeys(labels))
    slanted = not all(isinstance(v, int) for v in labels) and len(years) > 6  # month labels would overlap
    x = alt.X("year:O", title=chart.x_title, sort=years, axis=alt.Axis(labelAngle=-40 if slanted else 0))
    y = alt.Y("value:Q", title=chart.y_title, scale=alt.Scale(domain=[int(low), 100]))
    names = [s.name for s in chart.series]
    greys = ["#8c8c8c", "#b0b0b0", "#6e6e6e", "#c4c4c4", "#9a9a9a"]
    colour = alt.Color(
        "series:N",
        title=None,
        legend=alt.Legend(orient="bottom"),
        scale=alt.Scale(domain=names, range=["#0b5394", *greys][: len(names)]),
    )
    layers: list[Any] = []
    if bands:
        layers.append(
            alt.Chart(alt.Data(values=bands))
            .mark_area(opacity=0.2)
            .encode(x=x, y=alt.Y("low:Q", scale=alt.Scale(domain=[int(low), 100])), y2="high:Q", color=colour)
        )
    main = [r for r in rows if r["series"] == names[0]]
    others = [r for r in rows if r["series"] != names[0]]
    if others:
        layers.append(
            alt.Chart(alt.Data(values=others))
            .mark_line(strokeWidth=1.5, strokeDash=[4, 3])
            .encode(x=x, y=y, color=colour)
        )
    layers.append(alt.Chart(alt.Data(values=main)).mark_line(strokeWidth=3).encode(x=x, y=y, color=colour))
    shape = (
        alt.Shape(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=["đo lường", "ước tính"], range=["circle", "triangle"]),
        )
        if chart.show_kind
        else alt.value("circle")
    )
    layers.append(
        alt.Chart(alt.Data(values=main))
        .mark_point(size=70, filled=True)
        .encode(x=x, y=y, color=colour, shape=shape)
    )
    if chart.targets:
        target_rows = [{"label": label, "target": value} for label, value in chart.targets]
        base = alt.Chart(alt.Data(values=target_rows))
        layers.append(base.mark_rule(strokeDash=[6, 4], color="#a50e0e").encode(y="target:Q"))
        layers.append(
            base.mark_text(align="left", dx=4, dy=-7, color="#a50e0e", fontSize=11, x=2).encode(
                y="target:Q", text="label:N"
            )
        )
    spec = (
        alt.layer(*layers)
        .properties(width=width, height=height, title=chart.title)
        .configure(font="Noto Sans")
        .configure_view(strokeWidth=0)
        .configure_title(fontSize=13, anchor="start")
    )
    return spec.to_dict()  # type: ignore[no-any-return]


def chart_svg(chart: Chart) -> str:
    """The chart as SVG text (no browser, no network)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(chart_spec(chart)))


def chart_png(chart: Chart, *, scale: float = 2.0) -> bytes:
    """The chart as a PNG image."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(chart_spec(chart), scale=scale))


# --- PDF ------------------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 20mm 15mm 20mm 30mm;
  @bottom-right { content: counter(page) "/" counter(pages); font: 10pt 'Noto Serif', serif; } }
@page :first { @bottom-right { content: none; } }
body { font-family: 'Noto Serif', 'DejaVu Serif', serif; font-size: 13pt; line-height: 1.35; color: #000; }
.header { width: 100%; border-collapse: collapse; margin-bottom: 12pt; }
.header td { vertical-align: top; text-align: center; padding: 0; }
.header .left { width: 40%; } .header .right { width: 60%; }
.header p { margin: 0; font-size: 12.5pt; }
.bold { font-weight: bold; }
.rule { width: 30%; margin: 2pt auto 6pt; border-top: 0.8pt solid #000; }
.rule.wide { width: 62%; }
.motto { font-size: 13.5pt; font-weight: bold; }
.date { font-style: italic; margin-top: 6pt; }
h1 { text-align: center; font-size: 14pt; margin: 14pt 0 2pt; }
.subtitle { text-align: center; font-weight: bold; margin: 0 0 2pt; }
.period { text-align: center; font-style: italic; margin: 0 0 14pt; }
h2 { font-size: 13pt; margin: 14pt 0 6pt; }
p.body { text-align: justify; text-indent: 1cm; margin: 0 0 6pt; }
figure { margin: 8pt 0 10pt; text-align: center; page-break-inside: avoid; }
figure img { width: 100%; }
figcaption { font-size: 10.5pt; font-style: italic; margin-top: 3pt; }
table.data { width: 100%; border-collapse: collapse; font-family: 'Noto Sans', sans-serif; font-size: 9.5pt; margin: 4pt 0 10pt; }
table.data caption { caption-side: top; text-align: left; font-family: 'Noto Serif', serif; font-size: 11pt; font-weight: bold; margin-bottom: 3pt; }
table.data th, table.data td { border: 0.6pt solid #555; padding: 2.5pt 4pt; vertical-align: top; }
table.data th { background: #efefef; text-align: center; }
table.data td.num { text-align: right; white-space: nowrap; }
table.data thead { display: table-header-group; }
table.data tr { page-break-inside: avoid; }
table.data tr.strong td { font-weight: bold; background: #f6f8fb; }
table.data tr.more td { font-style: italic; text-align: center; }
.notes { font-size: 10.5pt; margin-top: 10pt; }
.notes p { margin: 0 0 3pt; }
.closing { width: 100%; margin-top: 18pt; border-collapse: collapse; page-break-inside: avoid; }
.closing td { vertical-align: top; padding: 0; }
.recipients { width: 50%; font-size: 11pt; }
.recipients .label { font-weight: bold; font-style: italic; font-size: 12pt; }
.signature { width: 50%; text-align: center; font-weight: bold; }
.signature .sign-space { height: 56pt; }
"""


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows, more = table.printed()
    body = "".join(
        ('<tr class="strong">' if i in table.strong_rows else "<tr>")
        + "".join(
            f'<td class="num">{escape(vn(v, table.decimals))}</td>'
            if _is_number(v)
            else f"<td>{escape(vn(v))}</td>"
            for v in row
        )
        + "</tr>"
        for i, row in enumerate(rows)
    )
    if more:
        body += f'<tr class="more"><td colspan="{len(table.columns)}">{escape(_more_text(more))}</td></tr>'
    return f'<table class="data"><caption>{escape(table.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def to_html(report: Report, *, progress: Progress | None = None) -> str:
    """The report as a self-contained HTML page, ready for WeasyPrint."""
    e = escape
    parts = [
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{e(report.title)}</title>',
        f"<style>{_CSS}</style></head><body>",
        '<table class="header"><tr><td class="left">',
        f"<p>{e(report.parent_issuer.upper())}</p>" if report.parent_issuer else "",
        f'<p class="bold">{e(report.issuer.upper())}</p><div class="rule"></div><p>{e(report.number)}</p></td>',
        f'<td class="right"><p class="bold">{QUOC_HIEU}</p><p class="motto">{TIEU_NGU}</p><div class="rule wide"></div>',
        f'<p class="date">{e(vietnamese_date_line(report.place, report.issued_on))}</p></td></tr></table>',
        f"<h1>{e(report.title.upper())}</h1>",
        f'<p class="subtitle">{e(report.subtitle)}</p>' if report.subtitle else "",
        f'<p class="period">{e(report.period)}</p>' if report.period else "",
    ]
    for section in report.sections:
        parts.append(f"<h2>{e(section.heading)}</h2>")
        parts.extend(f'<p class="body">{e(p)}</p>' for p in section.paragraphs)
        if section.chart is not None:
            if progress:
                progress(f"biểu đồ: {section.chart.title}")
            svg = base64.b64encode(chart_svg(section.chart).encode("utf-8")).decode("ascii")
            parts.append(
                f'<figure><img src="data:image/svg+xml;base64,{svg}" alt="{e(section.chart.description)}">'
                f"<figcaption>{e(section.chart.title)}</figcaption></figure>"
            )
        parts.extend(_table_html(t) for t in section.tables)
    if report.notes:
        parts.append('<div class="notes"><p class="bold">Ghi chú về số liệu:</p>')
        parts.extend(f"<p>- {e(n)}</p>" for n in report.notes)
        parts.append("</div>")
    recipients = "".join(f"<div>- {e(r)};</div>" for r in report.recipients)
    parts.append(
        '<table class="closing"><tr><td class="recipients">'
        + ('<div class="label">Nơi nhận:</div>' + recipients if report.recipients else "")
        + f'</td><td class="signature"><div>{e(report.signer_title.upper())}</div><div>{e(report.signer_role.upper())}</div>'
        + f'<div class="sign-space"></div><div>{e(report.signer_name)}</div></td></tr></table>'
    )
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(report: Report, *, progress: Progress | None = None) -> bytes:
    """An A4 PDF with embedded fonts."""
    from weasyprint import HTML

    html = to_html(report, progress=progress)
    if progress:
        progress("dàn trang PDF")
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


# --- XLSX -----------------------------------------------------------------------------------------------


def render_xlsx(report: Report, *, progress: Progress | None = None) -> bytes:
    """The values of every table and chart, one sheet each, numbers kept as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    info = book.active
    info.title = "Thông tin"
    for line in (
        report.issuer,
        report.title,
        report.subtitle,
        report.period,
        f"Lập ngày {report.issued_on:%d/%m/%Y}",
    ):
        if line:
            info.append([line])
    info["A2"].font = Font(bold=True, size=13)
    info.append([])
    for note in report.notes:
        info.append([f"- {note}"])
    info.column_dimensions["A"].width = 120
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EFEFEF")
    used: set[str] = {info.title}

    def sheet(name: str) -> Any:
        base = "".join(ch for ch in name if ch not in "[]:*?/\\")[:28] or "Bảng"
        title, i = base, 2
        while title in used:
            title, i = f"{base[:25]} {i}", i + 1
        used.add(title)
        return book.create_sheet(title)

    for section in report.sections:
        if isinstance(section.chart, BarChart):
            ws = sheet(f"BĐ {section.chart.title}")
            ws.append([section.chart.title])
            ws["A1"].font = bold
            ws.append(["", section.chart.x_title, "Tối đa"])
            for label, value, maximum in section.chart.bars:
                ws.append([label, value, maximum])
            ws.column_dimensions["A"].width = 40
        elif section.chart is not None:
            ws = sheet(f"BĐ {section.chart.title}")
            ws.append([section.chart.title])
            ws["A1"].font = bold
            ws.append(["Chuỗi", section.chart.x_title, "Giá trị", "Ước tính"])
            for s in section.chart.series:
                for year, value in s.points:
                    ws.append([s.name, year, value, "có" if year in s.estimated_years else ""])
            for label, value in section.chart.targets:
                ws.append([label, None, value, ""])
        for table in section.tables:
            if progress:
                progress(f"bảng: {table.caption}")
            ws = sheet(table.caption)
            ws.append([table.caption])
            ws["A1"].font = Font(bold=True, size=12)
            ws.append(list(table.columns))
            for cell in ws[2]:
                cell.font, cell.fill = bold, fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            for i, row in enumerate(table.rows):
                ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
                if i in table.strong_rows:
                    for cell in ws[ws.max_row]:
                        cell.font = bold
            for index, column in enumerate(table.columns, start=1):
                width = max([len(column)] + [len(vn(r[index - 1])) for r in table.rows])
                ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
            ws.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- DOCX -----------------------------------------------------------------------------------------------


def render_docx(report: Report, *, progress: Progress | None = None) -> bytes:
    """An editable Word file: the Decree 30 header, headings, paragraphs, tables and chart images."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    word = new_word_document(
        parent_issuer=report.parent_issuer,
        issuer=report.issuer,
        number=report.number,
        place=report.place,
        issued_on=report.issued_on,
    )
    line = word_line

    word.add_paragraph()
    line(word, report.title.upper(), bold=True, size=14)
    if report.subtitle:
        line(word, report.subtitle, bold=True)
    if report.period:
        line(word, report.period, italic=True)
    for part in report.sections:
        heading = line(word, part.heading, bold=True, center=False)
        heading.paragraph_format.space_before = Pt(10)
        heading.paragraph_format.space_after = Pt(4)
        for text in part.paragraphs:
            para = line(word, text, center=False)
            para.paragraph_format.first_line_indent = Cm(1)
            para.paragraph_format.space_after = Pt(6)
        if part.chart is not None:
            if progress:
                progress(f"biểu đồ: {part.chart.title}")
            word.add_picture(io.BytesIO(chart_png(part.chart)), width=Cm(16))
            word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            line(word, part.chart.title, italic=True, size=11)
        for table in part.tables:
            line(word, table.caption, bold=True, size=12, center=False).paragraph_format.space_before = Pt(6)
            grid = word.add_table(rows=1, cols=len(table.columns))
            grid.style = "Table Grid"
            for cell, title in zip(grid.rows[0].cells, table.columns, strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(title)
                run.bold, run.font.size = True, Pt(10)
            rows, more = table.printed()
            for i, row in enumerate(rows):
                cells = grid.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = ""
                    para = cell.paragraphs[0]
                    run = para.add_run(vn(value, table.decimals))
                    run.font.size = Pt(10)
                    run.bold = i in table.strong_rows
                    if _is_number(value):
                        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if more:
                line(word, _more_text(more), italic=True, size=10)
    if report.notes:
        line(
            word, "Ghi chú về số liệu:", bold=True, size=11, center=False
        ).paragraph_format.space_before = Pt(10)
        for note in report.notes:
            line(word, f"- {note}", size=11, center=False)
    closing = word.add_table(rows=1, cols=2)
    recipients, signature = closing.rows[0].cells
    recipients.paragraphs[0].text = ""
    if report.recipients:
        line(recipients, "Nơi nhận:", bold=True, italic=True, size=12, center=False)
        for r in report.recipients:
            line(recipients, f"- {r};", size=11, center=False)
    signature.paragraphs[0].text = ""
    line(signature, report.signer_title.upper(), bold=True)
    if report.signer_role:
        line(signature, report.signer_role.upper(), bold=True)
    for _ in range(4):
        line(signature, "")
    if report.signer_name:
        line(signature, report.signer_name, bold=True)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


RENDERERS: dict[str, Callable[..., bytes]] = {"pdf": render_pdf, "xlsx": render_xlsx, "docx": render_docx}


def render(report: Report, fmt: str, *, progress: Progress | None = None) -> bytes:
    """The report in one of FORMATS."""
    if fmt not in RENDERERS:
        raise ReportError(f"định dạng «{fmt}» không hỗ trợ; dùng {', '.join(FORMATS)}")
    return RENDERERS[fmt](report, progress=progress)


# --- the annual satisfaction report ---------------------------------------------------------------------


def _pct(value: Decimal | float | None, decimals: int = 2) -> str:
    return "—" if value is None else f"{vn(value, decimals)}%"


def _interval_text(p: selectors.Point) -> str:
    if not p.enough_answers or p.ci_low is None or p.ci_high is None:
        return "—"
    return f"{vn(p.ci_low)}–{vn(p.ci_high)}"


def _components_table(caption: str, rows: Sequence[tuple[str, str, selectors.Point]]) -> Table:
    """Factors and their criteria with interval and n; withheld cells say so and show no figure."""
    out: list[tuple[Cell, ...]] = []
    for level, code, p in rows:
        name = f"{code}. {p.label}" if p.label else code
        if level == "criterion":
            name = f"   {name}"
        note = ""
        if not p.enough_answers:
            note = "Ẩn để bảo vệ ô nhỏ" if p.suppressed == "complementary" else "Chưa đủ số phiếu"
        out.append((name, p.value if p.enough_answers else None, _interval_text(p), p.n, note))
    return Table(
        caption, ("Yếu tố / tiêu chí", "Chỉ số (%)", "Khoảng tin cậy 95%", "Số phiếu", "Ghi chú"), tuple(out)
    )


def _points_table(caption: str, points: Sequence[selectors.Point], *, first: str) -> Table:
    rows = []
    for p in points:
        interval = _interval_text(p)
        note = []
        if not p.enough_answers:
            note.append("Chưa đủ số phiếu")
        if p.is_estimate:
            note.append("Ước tính")
        if p.is_demo:
            note.append("Minh họa")
        value = p.value if p.enough_answers else None
        rows.append((p.rank if p.rank is not None else "—", p.name, value, interval, p.n, "; ".join(note)))
    return Table(
        caption, ("Hạng", first, "Chỉ số (%)", "Khoảng tin cậy 95%", "Số phiếu", "Ghi chú"), tuple(rows)
    )


def satisfaction_report(
    *, unit: AdminUnit, year: int, today: date, measure: str = "sipas", progress: Progress | None = None
) -> Report:
    """The annual satisfaction report of a province (or commune) for a year, from published figures."""
    if progress:
        progress("đọc số liệu")
    history = [p for p in selectors.series(unit=unit, measure=measure) if p.year <= year]
    if not history:
        raise ReportError(f"chưa có số liệu {measures.label(measure)} nào đã công bố cho {unit.name}")
    current = next((p for p in history if p.year == year), None)
    previous = next((p for p in reversed(history) if p.year < year), None)
    targets = selectors.targets_in_force(measure, on=today, unit=unit)
    min_n = selectors.min_answers()
    label = measures.label(measure)
    in_text = label[:1].lower() + label[1:]

    summary: list[str] = []
    if current is None:
        summary.append(f"Năm {year} chưa có kết quả {in_text} được công bố cho {unit.name}.")
    else:
        margin = f" (sai số ±{vn(current.margin)} điểm phần trăm)" if current.margin is not None else ""
        sample = f", trên cơ sở {vn(current.n)} phiếu khảo sát" if current.n else ""
        estimate = (
            " Đây là giá trị ước tính từ số liệu của các đơn vị trước sáp nhập."
            if current.is_estimate
            else ""
        )
        summary.append(
            f"Năm {year}, {in_text} của {unit.name} đạt {_pct(current.number)}{margin}{sample}.{estimate}"
        )
        if previous is not None:
            delta = current.number - previous.number
            trend = "tăng" if delta > 0 else ("giảm" if delta < 0 else "không đổi so với")
            amount = f" {vn(abs(delta))} điểm phần trăm so với" if delta else ""
            summary.append(f"Kết quả {trend}{amount} năm {previous.year} ({_pct(previous.number)}).")
        for target in targets:
            gap = current.number - target.threshold
            if gap >= 0:
                status = f"đã đạt mục tiêu «{target.label}» (vượt {vn(gap)} điểm phần trăm)"
            else:
                status = f"còn cách mục tiêu «{target.label}» {vn(-gap)} điểm phần trăm"
            summary.append(
                f"So với mục tiêu tối thiểu {_pct(target.threshold, 0)} vào năm {target.target_year}: {status}."
            )
    first = history[0]
    if len(history) > 1:
        dips = [b.year for a, b in itertools.pairwise(history) if b.number < a.number]
        dip_text = (
            f"; chỉ số giảm so với năm trước ở năm {', '.join(map(str, dips))}"
            if dips
            else "; chỉ số tăng qua từng năm"
        )
        summary.append(
            f"Từ năm {first.year} ({_pct(first.number)}) đến năm {history[-1].year} ({_pct(history[-1].number)}), "
            f"chỉ số thay đổi {vn(history[-1].number - first.number)} điểm phần trăm{dip_text}."
        )

    trend_rows: list[tuple[Cell, ...]] = []
    for i, p in enumerate(history):
        change = p.number - history[i - 1].number if i else None
        due = [t for t in targets if t.target_year == p.year]
        goal = f"≥ {vn(due[0].threshold, 0)}%" if due else "—"
        remark = "Ước tính sau sáp nhập" if p.is_estimate else ""
        if p.is_demo:
            remark = "; ".join(filter(None, [remark, "Minh họa"]))
        if p.campaign:
            remark = "; ".join(filter(None, [remark, "Ước lượng từ khảo sát"]))
        trend_rows.append((str(p.year), p.number, _interval_text(p), change, p.n, goal, remark))
    band = tuple(
        (p.year, float(p.ci_low), float(p.ci_high))
        for p in history
        if p.ci_low is not None and p.ci_high is not None
    )
    series = [
        Series(
            unit.short_name or unit.name,
            tuple((p.year, float(p.number)) for p in history),
            tuple(p.year for p in history if p.is_estimate),
            band,
        )
    ]
    for predecessor, points in selectors.predecessor_series(unit, measure):
        if len(series) < 6:
            series.append(
                Series(
                    f"{predecessor.name} (cũ)",
                    tuple((p.year, float(p.number)) for p in points if p.year <= year),
                )
            )
    chart = LineChart(
        title=f"{label} của {unit.name}, {first.year}–{year}",
        y_title="Tỷ lệ hài lòng (%)",
        series=tuple(series),
        targets=tuple(
            (f"Mục tiêu {t.target_year}: {vn(t.threshold, 0)}%", float(t.threshold)) for t in targets
        ),
        description=" ".join(summary[-1:]) or label,
    )
    sections = [
        Section("I. KẾT QUẢ CHUNG", tuple(summary)),
        Section(
            "II. XU HƯỚNG QUA CÁC NĂM SO VỚI MỤC TIÊU",
            (
                "Biểu đồ và bảng dưới đây trình bày kết quả từng năm từ năm đầu tiên có số liệu, so với các mục tiêu đang có hiệu lực.",
            ),
            chart,
            (
                Table(
                    "Bảng 1. Kết quả qua các năm",
                    (
                        "Năm",
                        "Chỉ số (%)",
                        "Khoảng tin cậy 95%",
                        "Thay đổi (điểm %)",
                        "Số phiếu",
                        "Mục tiêu",
                        "Ghi chú",
                    ),
                    tuple(trend_rows),
                ),
            ),
        ),
    ]
    components = selectors.survey_components(unit=unit, year=year) if current is not None else []
    if components:
        sections.append(
            Section(
                "KẾT QUẢ THEO YẾU TỐ VÀ TIÊU CHÍ",
                (
                    f"Bảng dưới đây trình bày chỉ số của từng yếu tố và tiêu chí năm {year}, kèm khoảng tin cậy 95% "
                    "và số phiếu trả lời. Tiêu chí có khoảng tin cậy chồng lên nhau thì chưa đủ căn cứ để xếp hơn kém.",
                ),
                None,
                (_components_table(f"Bảng. Chỉ số theo yếu tố và tiêu chí năm {year}", components),),
            )
        )
    if progress:
        progress("bảng theo đơn vị")
    unit_tables = []
    if unit.level == "province":
        y_c, communes = selectors.commune_table(unit, measure, year)
        if communes:
            unit_tables.append(
                _points_table(f"Bảng 2. Kết quả theo xã, phường năm {y_c}", communes, first="Xã, phường")
            )
        y_a, agencies = selectors.agency_table(unit, measure, year)
        if agencies:
            unit_tables.append(
                _points_table(
                    f"Bảng {len(unit_tables) + 2}. Kết quả theo cơ quan năm {y_a}", agencies, first="Cơ quan"
                )
            )
    if unit_tables:
        sections.append(
            Section(
                "III. KẾT QUẢ THEO ĐƠN VỊ",
                (
                    f"Đơn vị có dưới {min_n} phiếu khảo sát được ghi «Chưa đủ số phiếu» và không xếp hạng, vì kết quả trên "
                    "mẫu quá nhỏ không đủ tin cậy để so sánh.",
                ),
                None,
                tuple(unit_tables),
            )
        )
    y_p, provinces = selectors.province_table(measure)
    if provinces and unit.level == "province" and y_p is not None and y_p <= year:
        year_of_table = y_p
        mine = next((p for p in provinces if p.code == unit.code), None)
        text = (
            f"Theo kết quả công bố gần nhất (năm {year_of_table}), {unit.name} xếp thứ {mine.rank}/{len(provinces)} tỉnh, thành phố."
            if mine is not None and mine.rank is not None
            else f"Bảng dưới đây so sánh kết quả năm {year_of_table} của {len(provinces)} tỉnh, thành phố."
        )
        sections.append(
            Section(
                f"{'IV' if unit_tables else 'III'}. SO SÁNH VỚI CÁC TỈNH, THÀNH PHỐ",
                (text,),
                None,
                (
                    _points_table(
                        f"Bảng {len(unit_tables) + 2}. Các tỉnh, thành phố năm {year_of_table}",
                        provinces,
                        first="Tỉnh, thành phố",
                    ),
                ),
            )
        )
    notes: list[str] = [
        "Chỉ số là tỷ lệ phần trăm người trả lời «Hài lòng» hoặc «Rất hài lòng»; khoảng tin cậy 95% thể hiện sai số do chọn mẫu.",
    ]
    if current is not None and current.campaign:
        notes.append(
            f"Phương pháp (năm {year}): ước lượng theo thiết kế mẫu của đợt khảo sát — tỷ lệ có trọng số theo tầng "
            "(trọng số = quy mô tầng / số phiếu của tầng), sai số chuẩn theo phương pháp tuyến tính hóa Taylor có "
            "hiệu chỉnh tổng thể hữu hạn, khoảng tin cậy 95% theo phân phối t; chỉ số yếu tố là trung bình các tiêu chí, "
            "chỉ số chung là trung bình các yếu tố."
        )
        notes.append(
            f"Quy tắc ẩn ô nhỏ: ô có dưới {min_n} phiếu không công bố giá trị và không xếp hạng; một số ô khác cũng "
            "được ẩn (ẩn bổ sung) để không thể suy ra ô nhỏ bằng phép trừ từ chỉ số yếu tố."
        )
    if any(p.is_estimate for p in history):
        notes.append(
            "Các năm trước khi sáp nhập đơn vị hành chính (01/07/2025) được ước tính bằng bình quân kết quả của các đơn vị cũ; "
            "đây không phải số liệu đo lường trực tiếp."
        )
    if any(p.is_demo for p in history):
        notes.append("Số liệu có ghi «Minh họa» là dữ liệu minh họa, không phải số liệu chính thức.")
    sources = sorted({p.source for p in history if p.source})
    if sources:
        notes.append("Nguồn: " + "; ".join(sources[:5]) + ".")
    sections = _numbered(sections)
    province = unit if unit.level == "province" else (unit.parent or unit)
    return Report(
        issuer=f"Ủy ban nhân dân {province.name.replace('Tỉnh', 'tỉnh').replace('Thành phố', 'thành phố')}",
        title="Báo cáo",
        subtitle=f"Kết quả đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước năm {year}",
        period=f"Đơn vị: {unit.name} · Số liệu đến năm {year}",
        place=province.short_name or province.name,
        issued_on=today,
        number="Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-UBND",
        sections=tuple(sections),
        notes=tuple(notes),
        signer_title="TM. Ủy ban nhân dân",
        signer_role="Chủ tịch",
        recipients=(
            "Bộ Nội vụ",
            "Thường trực Tỉnh ủy, HĐND tỉnh",
            "Các sở, ban, ngành; UBND các xã, phường",
            "Lưu: VT",
        ),
    )


_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")


def _numbered(sections: list[Section]) -> list[Section]:
    """Headings numbered I, II, III… and tables Bảng 1, 2, 3… in order, whichever optional parts are present."""
    from dataclasses import replace

    out = []
    count = 0
    for i, section in enumerate(sections):
        title = section.heading.split(". ", 1)[1] if ". " in section.heading[:6] else section.heading
        tables = []
        for table in section.tables:
            caption = table.caption
            if caption.startswith("Bảng"):
                count += 1
                caption = f"Bảng {count}. {caption.split('. ', 1)[1] if '. ' in caption else caption}"
            tables.append(replace(table, caption=caption))
        out.append(replace(section, heading=f"{_ROMAN[i]}. {title}", tables=tuple(tables)))
    return out
