import io
import shutil
import subprocess
from datetime import date

import pytest

from thuocdo.shared.documents import AdminDocument, render_docx, render_pdf, to_html, vietnamese_date_line

LETTER = AdminDocument(
    parent_issuer="UBND tỉnh Đắk Lắk",
    issuer="Trung tâm Phục vụ hành chính công",
    number="Số: 15/PXL-TTPVHCC",
    place="Buôn Ma Thuột",
    issued_on=date(2026, 3, 5),
    title="Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    addressee="Kính gửi: Ông Nguyễn Văn Bình",
    facts=(("Hồ sơ", "H15.50-260220-0012"), ("Ngày hẹn trả mới", "10/03/2026")),
    paragraphs=("Trung tâm thành thật xin lỗi Ông vì sự chậm trễ này.",),
    signer_title="Giám đốc",
    signer_name="Trần Thị Hoa",
    recipients=("Như trên", "Lưu: VT"),
)


def test_date_line_pads_day_and_early_months_as_decree_30_asks():
    assert vietnamese_date_line("Hà Nội", date(2026, 2, 5)) == "Hà Nội, ngày 05 tháng 02 năm 2026"
    assert vietnamese_date_line("Hà Nội", date(2026, 11, 22)) == "Hà Nội, ngày 22 tháng 11 năm 2026"


def test_html_carries_the_national_header_and_escapes_content():
    doc = AdminDocument(
        issuer="A <b>", title="T", place="P", issued_on=date(2026, 1, 1), paragraphs=("x & y",)
    )
    html = to_html(doc)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "Độc lập - Tự do - Hạnh phúc" in html
    assert "A &lt;B&gt;" in html and "x &amp; y" in html


def test_pdf_has_the_vietnamese_text_with_its_diacritics():
    pdf = render_pdf(LETTER)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Buôn Ma Thuột, ngày 05 tháng 3 năm 2026",
        "Trần Thị Hoa",
    ):
        assert expected in text


def test_docx_is_editable_word_with_the_same_content():
    from docx import Document

    word = Document(io.BytesIO(render_docx(LETTER)))
    text = "\n".join(p.text for p in word.paragraphs)
    cells = "\n".join(c.text for t in word.tables for row in t.rows for c in row.cells)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "Độc lập - Tự do - Hạnh phúc" in cells and "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG" in cells
    assert word.styles["Normal"].font.name == "Times New Roman"
