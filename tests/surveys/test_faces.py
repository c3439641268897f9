"""One-tap ratings draw their own faces and thumbs: emoji show as empty boxes where no colour emoji font exists."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from tests.conftest import assert_accessible
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign, Kiosk

from .test_channels import dossier

# Emoji faces, hands and their variation selector: none may reach a one-tap page.
EMOJI = re.compile("[\u2600-\u27bf\ufe0f\U0001f300-\U0001faff]")
BUTTON = re.compile(r'<button class="[^"]*kiosk-face[^"]*"[^>]*value="(\d)">(.*?)</button>', re.S)
SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)


def _kiosk_key(world, *, mode=Kiosk.Mode.FACES, slug="quay-mat"):
    c = services.create_campaign(
        slug=slug, name="Tại quầy", instrument=world["instruments"]["counter-faces"], starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31), actor="test",
    )  # fmt: skip
    services.set_campaign_status(campaign=c, status=Campaign.Status.OPEN, actor="test")
    _kiosk, key = services.create_kiosk(
        agency=world["agencies"]["S.TP"], counter="Quầy 1", campaign=c, actor="test", mode=mode
    )
    return key


def _buttons(html: str) -> dict[str, tuple[str, str]]:
    """value → (the drawn icon, the visible text) of each rating button."""
    found = {}
    for value, body in BUTTON.findall(html):
        svgs = SVG.findall(body)
        assert len(svgs) == 1, f"button {value} has {len(svgs)} svg"
        found[value] = (svgs[0], re.sub(r"<[^>]+>", "", SVG.sub("", body)).strip())
    return found


def _shape(svg: str) -> str:
    """The drawing without its colours, to tell the levels apart as a colour-blind person would."""
    return re.sub(r'(fill|stroke)="#[0-9a-f]+"', "", svg)


@pytest.mark.django_db
def test_kiosk_draws_one_face_per_button_and_shows_no_emoji(client, world):
    html = client.get(reverse("surveys:kiosk", args=[_kiosk_key(world)])).content.decode()
    assert not EMOJI.findall(html)
    buttons = _buttons(html)
    assert {v: text for v, (_svg, text) in buttons.items()} == {
        "5": "Rất hài lòng", "4": "Hài lòng", "3": "Bình thường", "2": "Không hài lòng", "1": "Rất không hài lòng",
    }  # fmt: skip
    for value, (svg, _text) in buttons.items():
        assert 'aria-hidden="true"' in svg and f'data-face="{value}"' in svg
        assert "style" not in svg and "<script" not in svg
    assert len({_shape(svg) for svg, _text in buttons.values()}) == 5, "two levels differ only by colour"


@pytest.mark.django_db
def test_like_kiosk_draws_thumbs_up_and_down(client, world):
    html = client.get(
        reverse("surveys:kiosk", args=[_kiosk_key(world, mode=Kiosk.Mode.LIKE)])
    ).content.decode()
    assert not EMOJI.findall(html)
    buttons = _buttons(html)
    assert {v: text for v, (_svg, text) in buttons.items()} == {"1": "Thích", "0": "Không thích"}
    assert 'data-face="like"' in buttons["1"][0] and 'data-face="dislike"' in buttons["0"][0]
    assert _shape(buttons["1"][0]) != _shape(buttons["0"][0])


@pytest.mark.django_db
def test_one_tap_rating_of_a_dossier_draws_faces_beside_the_choices(client, world):
    d = dossier("H15.50.05.13-261008-0001", world["agencies"]["S.TP"])
    html = client.get(reverse("surveys:rate", args=[d.code])).content.decode()
    assert not EMOJI.findall(html)
    labels = re.findall(r'<label class="survey-option">(.*?)</label>', html, re.S)
    assert len(labels) == 5
    assert [re.search(r'data-face="(\d)"', label).group(1) for label in labels] == ["5", "4", "3", "2", "1"]
    assert "Rất không hài lòng</span>" in labels[-1]
    # The full Circular 01 form has no faces to draw.
    full = client.get(reverse("surveys:rate", args=[d.code]), {"form": "tt01"}).content.decode()
    assert "face-icon" not in full and "survey-option" in full


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_kiosk_faces_on_a_phone_are_large_and_named_by_their_text(page, live_server, world):
    page.goto(f"{live_server.url}/quay/{_kiosk_key(world)}/")
    for name in ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng"):
        button = page.get_by_role("button", name=name, exact=True)
        face = button.locator("svg").bounding_box()
        assert face is not None and face["width"] >= 48 and face["height"] >= 48, (name, face)
        assert button.bounding_box()["height"] >= 96
    assert_accessible(page)
