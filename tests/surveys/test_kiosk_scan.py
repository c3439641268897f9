"""Counter kiosk: the dossier is identified by scanning its receipt QR (camera or hand-held scanner)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import ARTIFACTS, CHROMIUM, assert_accessible
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign, DossierRating, Response

from .test_channels import dossier

CODE = "H15.50.05.13-261008-0975"
# What the receipt's QR holds in the camera test: this platform's rating link of the dossier.
RECEIPT_QR = f"https://thuocdo.example.vn/danh-gia/{CODE}/"


@pytest.fixture
def kiosk_key(world) -> str:
    c = services.create_campaign(
        slug="quay-qr", name="Tại quầy", instrument=world["instruments"]["counter-faces"], starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31), actor="test",
    )  # fmt: skip
    services.set_campaign_status(campaign=c, status=Campaign.Status.OPEN, actor="test")
    _kiosk, key = services.create_kiosk(
        agency=world["agencies"]["S.TP"], counter="Quầy 1", campaign=c, actor="test"
    )
    return key


@pytest.mark.parametrize(
    ("scanned", "code"),
    [
        (CODE, CODE),
        (f"  {CODE}\n", CODE),
        (RECEIPT_QR, CODE),
        (f"https://thuocdo.example.vn/vi/danh-gia/{CODE}/?form=tt01", CODE),
        (f"https://dichvucong.example.gov.vn/tra-cuu-ho-so?maHoSo={CODE}&lang=vi", CODE),
        (f"http://motcua.example.vn/p/{CODE}", CODE),
        ("", ""),
    ],
)
def test_the_dossier_code_is_read_from_the_code_or_a_link(scanned, code):
    assert services.scanned_dossier_code(scanned) == code


@pytest.mark.django_db
def test_a_hand_held_scanner_typing_the_receipt_link_rates_that_dossier(client, world, kiosk_key):
    d = dossier(CODE, world["agencies"]["S.TP"])
    done = client.post(reverse("surveys:kiosk", args=[kiosk_key]), {"value": "5", "dossier_code": RECEIPT_QR})
    assert "Cảm ơn Ông/Bà đã đánh giá" in done.content.decode()
    rating = DossierRating.objects.get()
    assert (rating.dossier, rating.channel, rating.counter) == (d, "kiosk", "Quầy 1")
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_kiosk_offers_camera_scanning_with_its_script_and_no_inline_code(client, world, kiosk_key):
    html = client.get(reverse("surveys:kiosk", args=[kiosk_key])).content.decode()
    assert "Quét mã QR trên giấy tiếp nhận" in html
    assert "surveys/kiosk-scan" in html and "vendor/jsqr/jsQR" in html
    assert "<script>" not in html and " onclick=" not in html


# Browser tests -------------------------------------------------------------------------------------------


def qr_y4m(text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 3) -> Path:
    """A YUV4MPEG2 (4:2:0) video of a black-on-white QR code, the file Chromium's fake camera plays in a loop."""
    import segno

    rows = [list(r) for r in segno.make(text, error="m").matrix_iter(scale=1, border=4)]
    scale = min(width, height) * 4 // 5 // len(rows)
    side = scale * len(rows)
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray(b"\xeb" * (width * height))  # 235: white in video range
    for y in range(side):
        row = rows[y // scale]
        start = (top + y) * width + left
        luma[start : start + side] = bytes(16 if row[x // scale] else 235 for x in range(side))
    chroma = b"\x80" * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


@pytest.fixture(scope="module")
def camera_browser(browser, tmp_path_factory) -> Iterator[object]:
    """A second Chromium whose (fake) camera films a receipt QR, so the shared browser keeps its flags.

    It is launched from the shared browser's Playwright: a thread can run only one.
    """
    video = qr_y4m(RECEIPT_QR, tmp_path_factory.mktemp("camera") / "receipt-qr.y4m")
    instance = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    yield instance
    instance.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_camera_scan_of_the_receipt_qr_fills_the_code_and_the_tap_rates_that_dossier(
    camera_browser, live_server, world, kiosk_key
):
    d = dossier(CODE, world["agencies"]["S.TP"])
    context = camera_browser.new_context(viewport={"width": 360, "height": 800}, locale="vi-VN")
    context.grant_permissions(["camera"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/quay/{kiosk_key}/")
        page.get_by_role("button", name="Quét mã QR trên giấy tiếp nhận").click()
        status = page.get_by_role("status")
        status.filter(has_text="Đã nhận hồ sơ").wait_for(timeout=20000)
        assert page.locator("#dossier_code").input_value() == CODE
        assert CODE in status.inner_text()
        assert page.locator("video").is_hidden()  # the camera is released once the code is read
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "kiosk_scan_found.png"), full_page=True)
        assert_accessible(page)
        page.get_by_role("button", name=re.compile("^Hài lòng")).click()
        page.get_by_text("Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    finally:
        context.close()
    rating = DossierRating.objects.get()
    assert (rating.dossier, rating.channel, rating.answers) == (d, "kiosk", {"R1": 4})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_camera_says_so_and_typing_still_works(camera_browser, live_server, world, kiosk_key):
    d = dossier(CODE, world["agencies"]["S.TP"])
    # The camera browser would grant the camera; the page itself refuses it here.
    context = camera_browser.new_context(viewport={"width": 360, "height": 800}, locale="vi-VN")
    context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('no', 'NotAllowedError'));"
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/quay/{kiosk_key}/")
        page.get_by_role("button", name="Quét mã QR trên giấy tiếp nhận").click()
        status = page.get_by_role("status")
        status.filter(has_text="Máy ảnh không được phép sử dụng").wait_for()
        assert "nhập mã hồ sơ vào ô trên" in status.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "kiosk_scan_refused.png"), full_page=True)
        assert_accessible(page)
        page.locator("#dossier_code").fill(CODE)
        page.get_by_role("button", name=re.compile("^Rất hài lòng")).click()
        page.get_by_text("Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    finally:
        context.close()
    assert DossierRating.objects.get().dossier == d


@pytest.mark.django_db
def test_kiosk_scanning_speaks_english_on_the_english_page(client, world, kiosk_key):
    html = client.get(f"/en/quay/{kiosk_key}/").content.decode()
    assert "Scan the QR code on the receipt" in html
    # The script puts the code where %(code)s stands, in either language.
    assert 'data-msg-found="Dossier %(code)s recognised.' in html
    assert "You can still type the dossier code in the box above." in html
