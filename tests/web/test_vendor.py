"""The vendored browser assets are the pinned, recorded files and stay small enough to commit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "src/thuocdo/web/static/vendor"


def manifest() -> dict[str, dict]:
    data = json.loads((VENDOR / "VERSIONS.json").read_text(encoding="utf-8"))
    return {entry["name"]: entry for entry in data["packages"]}


def test_every_vendored_file_matches_its_recorded_sha256():
    for entry in manifest().values():
        for name, digest in entry["files"].items():
            assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_pinned_major_versions_and_licences():
    packages = manifest()
    majors = {name: entry["version"].split(".")[0] for name, entry in packages.items()}
    assert majors == {
        "htmx.org": "2",
        "echarts": "6",
        "axe-core": "4",
        "bootstrap": "5",
        "@fontsource/noto-sans": "5",
        "jsqr": "1",
    }
    assert packages["bootstrap"]["version"].startswith("5.3.")
    for entry in packages.values():
        assert any(name.rsplit("/", 1)[-1].startswith("LICENSE") for name in entry["files"]), entry["name"]


def test_font_covers_vietnamese_in_the_three_weights_as_woff2_only():
    fonts = sorted(name for name in manifest()["@fontsource/noto-sans"]["files"] if "/noto-sans-" in name)
    assert [name for name in fonts if not name.endswith((".woff2", ".css"))] == []
    for weight in (400, 600, 700):
        assert f"noto-sans/noto-sans-vietnamese-{weight}-normal.woff2" in fonts
        assert f"noto-sans/noto-sans-latin-{weight}-normal.woff2" in fonts
    css = (VENDOR / "noto-sans/noto-sans.css").read_text(encoding="utf-8")
    assert "U+1EA0-1EF9" in css and "url(http" not in css


def test_no_source_map_references_that_collectstatic_could_not_resolve():
    for path in VENDOR.rglob("*"):
        if path.suffix in {".js", ".css"}:
            assert b"sourceMappingURL" not in path.read_bytes()[-300:], path.name


def test_vendor_tree_stays_a_few_megabytes():
    total = sum(path.stat().st_size for path in VENDOR.rglob("*") if path.is_file())
    assert total < 4 * 1024 * 1024, f"{total} bytes of vendored assets"


def test_production_static_manifest_resolves_every_reference(tmp_path, settings):
    """collectstatic with hashed names fails on any url() or source map pointing at a missing file."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)  # the settings fixture resets the storage
    hashed_css = next((tmp_path / "vendor/noto-sans").glob("noto-sans.*.css")).read_text(encoding="utf-8")
    assert "noto-sans-vietnamese-400-normal." in hashed_css and ".woff2" in hashed_css
