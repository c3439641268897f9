"""Feedback states are named in the page's language (core knows them by code only)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.feedback.test_feedback import submit, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db


def test_status_page_names_the_state_in_vietnamese_and_in_english(client, world):  # noqa: F811
    s = submit(world)
    vi = client.get(f"/phan-anh/{s.tracking_code}/").content.decode()
    en = client.get(f"/en/phan-anh/{s.tracking_code}/").content.decode()
    assert "Mới tiếp nhận" in vi
    assert "Received" in en and "Mới tiếp nhận" not in en


def test_work_list_offers_the_states_in_english(client, world):  # noqa: F811
    submit(world)
    client.force_login(get_user_model().objects.create_superuser("qt", "qt@example.vn", "mat-khau-dai-123"))
    en = client.get("/en/phan-anh/quan-ly/").content.decode()
    assert '<option value="awaiting_publication">Awaiting publication</option>' in en
    assert "Received" in en and "Mới tiếp nhận" not in en


def test_handle_page_history_names_the_action_and_the_state(client, world):  # noqa: F811
    s = submit(world)
    client.force_login(get_user_model().objects.create_superuser("qt", "qt@example.vn", "mat-khau-dai-123"))
    url = f"/phan-anh/quan-ly/{s.tracking_code}/"
    assert client.post(url, {"event": "accept"}).status_code == 302
    vi = client.get(url).content.decode()
    en = client.get(f"/en{url}").content.decode()
    assert "Tiếp nhận xử lý → Đang xử lý" in vi
    assert "→ In progress" in en and "accept → in_progress" not in en
