"""Public pages without a browser: security policy, no external assets, languages, error pages."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

PUBLIC_PAGES = ["/", "/en/"]


class AssetCollector(HTMLParser):
    """Collects where scripts, stylesheets, icons and fonts come from, and any inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.inline.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in attributes):
            self.inline.append(f"event handler attribute on <{tag}>")
        if tag == "style":
            self.inline.append("<style> element")
        if tag == "script":
            if attributes.get("src"):
                self.urls.append(attributes["src"] or "")
            else:
                self._in_script = True
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("inline <script>")


def collect(html: str) -> AssetCollector:
    parser = AssetCollector()
    parser.feed(html)
    return parser


@pytest.mark.django_db
def test_content_security_policy_admits_no_external_origin(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())

    assert directives["default-src"] == "'self'"
    for name in ("script-src", "style-src", "font-src", "connect-src"):
        sources = directives[name].split()
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, name
        assert not [source for source in sources if source.startswith(("http", "*"))], f"{name}: {sources}"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_content_security_policy_has_no_unexpanded_nonce_placeholder(client):
    # A literal 'nonce' is an invalid source: browsers log an error on every page.
    assert "'nonce'" not in client.get("/")["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*PUBLIC_PAGES, "/khong-co-trang-nay/"])
def test_pages_load_every_asset_from_our_own_origin_and_nothing_inline(client, path):
    html = client.get(path).content.decode()
    assets = collect(html)

    assert assets.urls, "the page should load its vendored assets"
    assert [url for url in assets.urls if not url.startswith("/static/")] == []
    assert "//" not in "".join(assets.urls)
    assert assets.inline == []


@pytest.mark.django_db
def test_home_page_in_vietnamese_by_default(client):
    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="vi"' in html
    assert "Đo lường chất lượng phục vụ hành chính công" in html
    assert "Bỏ qua điều hướng" in html
    assert "Mục tiêu: ≥ 90% hài lòng năm 2025, ≥ 95% năm 2030" in html
    for card in ("Chỉ số phục vụ 766", "Sự hài lòng (SIPAS)", "Phản ánh, kiến nghị", "Dữ liệu mở"):
        assert card in html
    assert 'href="/thu-tuc/"' in html and 'href="/don-vi/"' in html


@pytest.mark.django_db
def test_english_locale_serves_english_text(client):
    response = client.get("/en/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="en"' in html
    assert "Measuring the quality of public administrative services" in html
    assert "Skip to main content" in html
    assert "Target: ≥ 90% satisfaction in 2025, ≥ 95% by 2030" in html
    assert 'href="/en/thu-tuc/"' in html
    assert "Bỏ qua điều hướng" not in html


@pytest.mark.django_db
def test_language_switch_sends_the_reader_to_the_same_page_in_the_other_language(client):
    to_english = client.post("/i18n/setlang/", {"language": "en", "next": "/en/"})
    assert to_english.status_code == 302 and to_english["Location"] == "/en/"

    # The form on /en/ carries the Vietnamese address of the same page.
    html = client.get("/en/").content.decode()
    assert '<input type="hidden" name="next" value="/">' in html
    back = client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert back["Location"] == "/"
    assert "Chất lượng phục vụ" in client.get("/").content.decode()


@pytest.mark.django_db
def test_staff_see_a_logout_form_and_visitors_a_login_link(client, django_user_model):
    assert 'href="/tai-khoan/dang-nhap/"' in client.get("/").content.decode()

    user = django_user_model.objects.create_user(username="canbo", password="mat-khau-rat-dai-2025")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert 'action="/tai-khoan/dang-xuat/" method="post"' in html
    assert "Đăng xuất" in html


@pytest.mark.django_db
def test_htmx_is_configured_without_inline_styles_and_with_a_csrf_meta_tag(client):
    html = client.get("/").content.decode()

    assert '<meta name="htmx-config"' in html and '"includeIndicatorStyles": false' in html
    assert '<meta name="csrf-token" content="' in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "echarts" not in html


@pytest.mark.django_db
def test_unknown_page_answers_404_in_vietnamese(client):
    response = client.get("/trang-khong-ton-tai/")
    html = response.content.decode()

    assert response.status_code == 404
    assert "Không tìm thấy trang" in html
    assert '<html lang="vi"' in html
    assert "Về trang chủ" in html


@pytest.mark.django_db
def test_unknown_english_page_answers_404_in_english(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_server_error_page_renders_without_request_context_or_database():
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()

    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in html
    assert collect(html).inline == []


@pytest.mark.django_db
def test_expired_form_explains_itself_in_vietnamese():
    response = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en"})

    assert response.status_code == 403
    assert "Phiên làm việc đã hết hạn" in response.content.decode()
