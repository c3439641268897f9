"""Administrative documents (văn bản hành chính) as PDF and DOCX, in the layout of Decree 30/2020/NĐ-CP.

One plain description of a document (`AdminDocument`) renders to both formats, so a letter printed from
the web and the editable Word file say the same thing. The header is the two-column block every
Vietnamese official document carries: the issuing body and the document number on the left; the
national name (Quốc hiệu) and motto (Tiêu ngữ), then place and date, on the right.

Decree 30 prescribes Times New Roman. Word files name it, since officials open them in Word; PDFs are
rendered with Noto Serif, whose Vietnamese glyphs are complete on every Linux machine (Debian's
Liberation fonts lack many stacked diacritics).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class AdminDocument:
    issuer: str  # TÊN CƠ QUAN BAN HÀNH
    title: str  # e.g. PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ
    place: str  # địa danh, e.g. Buôn Ma Thuột
    issued_on: date
    paragraphs: tuple[str, ...]
    parent_issuer: str = ""  # TÊN CƠ QUAN CHỦ QUẢN (optional)
    number: str = ""  # e.g. "Số: 15/PXL-TTPVHCC"
    subtitle: str = ""
    addressee: str = ""  # "Kính gửi: Ông/Bà ..."
    signer_title: str = ""
    signer_name: str = ""
    recipients: tuple[str, ...] = field(default_factory=tuple)
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # label/value lines after the addressee


def vietnamese_date_line(place: str, day: date) -> str:
    """'Buôn Ma Thuột, ngày 05 tháng 3 năm 2026' (day and months 1-2 padded, as Decree 30 asks)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


_CSS = """
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
body { font-family: 'Noto Serif', 'DejaVu Serif', serif; font-size: 13pt; line-height: 1.35; color: #000; }
.header { width: 100%; border-collapse: collapse; margin-bottom: 14pt; }
.header td { vertical-align: top; text-align: center; padding: 0; }
.header .left { width: 40%; }
.header .right { width: 60%; }
.upper { text-transform: none; font-size: 12.5pt; margin: 0; }
.bold { font-weight: bold; }
.rule { width: 30%; margin: 2pt auto 6pt; border-top: 0.8pt solid #000; }
.rule.wide { width: 62%; }
.motto { font-size: 13.5pt; font-weight: bold; margin: 0; }
.number { font-size: 13pt; margin-top: 4pt; }
.date { font-style: italic; margin-top: 6pt; }
h1 { text-align: center; font-size: 14pt; font-weight: bold; margin: 12pt 0 2pt; }
.subtitle { text-align: center; font-weight: bold; margin: 0 0 12pt; }
.addressee { text-align: center; margin: 6pt 0 10pt; }
p.body { text-align: justify; text-indent: 1cm; margin: 0 0 6pt; }
table.facts { margin: 0 0 8pt 1cm; border-collapse: collapse; }
table.facts td { padding: 1pt 6pt 1pt 0; vertical-align: top; }
.closing { width: 100%; margin-top: 18pt; border-collapse: collapse; }
.closing td { vertical-align: top; padding: 0; }
.recipients { width: 50%; font-size: 11pt; }
.recipients .label { font-weight: bold; font-style: italic; font-size: 12pt; }
.signature { width: 50%; text-align: center; }
.signature .who { font-weight: bold; margin-bottom: 60pt; }
"""


def to_html(doc: AdminDocument) -> str:
    """The document as a self-contained HTML page (also used for on-screen preview)."""
    e = escape
    parent = f'<p class="upper">{e(doc.parent_issuer.upper())}</p>' if doc.parent_issuer else ""
    facts = ""
    if doc.facts:
        rows = "".join(f"<tr><td>{e(k)}:</td><td>{e(v)}</td></tr>" for k, v in doc.facts)
        facts = f'<table class="facts">{rows}</table>'
    recipients = "".join(f"<div>- {e(r)};</div>" for r in doc.recipients)
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{e(doc.title)}</title>
<style>{_CSS}</style></head><body>
<table class="header"><tr>
<td class="left">{parent}<p class="upper bold">{e(doc.issuer.upper())}</p><div class="rule"></div>
<div class="number">{e(doc.number)}</div></td>
<td class="right"><p class="upper bold">{QUOC_HIEU}</p><p class="motto">{TIEU_NGU}</p><div class="rule wide"></div>
<div class="date">{e(vietnamese_date_line(doc.place, doc.issued_on))}</div></td>
</tr></table>
<h1>{e(doc.title.upper())}</h1>
{f'<p class="subtitle">{e(doc.subtitle)}</p>' if doc.subtitle else ""}
{f'<p class="addressee">{e(doc.addressee)}</p>' if doc.addressee else ""}
{facts}
{"".join(f'<p class="body">{e(p)}</p>' for p in doc.paragraphs)}
<table class="closing"><tr>
<td class="recipients">{'<div class="label">Nơi nhận:</div>' + recipients if doc.recipients else ""}</td>
<td class="signature"><div class="who">{e(doc.signer_title.upper())}</div><div class="bold">{e(doc.signer_name)}</div></td>
</tr></table>
</body></html>"""


def render_pdf(doc: AdminDocument) -> bytes:
    """A4 PDF with embedded, subset fonts."""
    from weasyprint import HTML

    return HTML(string=to_html(doc)).write_pdf()  # type: ignore[no-any-return]


def word_line(
    where: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float = 13,
    center: bool = True,
    underline: bool = False,
) -> Any:
    """One paragraph in a Word document or table cell, in the Decree 30 style."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    para = where.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.JUSTIFY
    para.paragraph_format.space_after = Pt(0)
    run = para.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    return para


def new_word_document(*, parent_issuer: str, issuer: str, number: str, place: str, issued_on: date) -> Any:
    """An A4 Word document in Times New Roman 13 with the two-column Decree 30 header already written."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt

    word = Document()
    section = word.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = word.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)

    header = word.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(10.0)
    left.paragraphs[0].text = ""
    if parent_issuer:
        word_line(left, parent_issuer.upper(), size=12)
    word_line(left, issuer.upper(), bold=True, size=12)
    word_line(left, "———", size=10)
    word_line(left, number, size=13)
    right.paragraphs[0].text = ""
    word_line(right, QUOC_HIEU, bold=True, size=12)
    word_line(right, TIEU_NGU, bold=True, size=13, underline=True)
    word_line(right, vietnamese_date_line(place, issued_on), italic=True, size=13)
    return word


def render_docx(doc: AdminDocument) -> bytes:
    """An editable Word file with the same content and the Decree 30 header table."""
    from docx.shared import Cm, Pt

    word = new_word_document(
        parent_issuer=doc.parent_issuer,
        issuer=doc.issuer,
        number=doc.number,
        place=doc.place,
        issued_on=doc.issued_on,
    )
    line = word_line

    word.add_paragraph()
    line(word, doc.title.upper(), bold=True, size=14)
    if doc.subtitle:
        line(word, doc.subtitle, bold=True)
    if doc.addressee:
        line(word, doc.addressee)
    for label, value in doc.facts:
        para = line(word, "", center=False)
        para.paragraph_format.left_indent = Cm(1)
        para.add_run(f"{label}: ").bold = False
        para.add_run(value)
    for text in doc.paragraphs:
        para = line(word, text, center=False)
        para.paragraph_format.first_line_indent = Cm(1)
        para.paragraph_format.space_after = Pt(6)

    closing = word.add_table(rows=1, cols=2)
    recipients, signature = closing.rows[0].cells
    recipients.paragraphs[0].text = ""
    if doc.recipients:
        line(recipients, "Nơi nhận:", bold=True, italic=True, size=12, center=False)
        for r in doc.recipients:
            line(recipients, f"- {r};", size=11, center=False)
    signature.paragraphs[0].text = ""
    line(signature, doc.signer_title.upper(), bold=True)
    for _ in range(3):
        line(signature, "")
    line(signature, doc.signer_name, bold=True)

    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
