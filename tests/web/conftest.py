"""Bridge for the shared browser fixtures until tests/conftest.py loads axe-core by URL.

`assert_accessible` injects axe with `add_script_tag(path=...)`, which Playwright turns into an inline
script: our Content Security Policy (script-src 'self') rightly blocks it. Loading the same vendored
file from /static/ is same-origin and allowed, so the browser keeps enforcing the real policy while
axe runs. Remove this file once tests/conftest.py does `add_script_tag(url=urljoin(pg.url, STATIC_AXE))`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest

STATIC_ROOT = Path(__file__).resolve().parents[2] / "src/thuocdo/web/static"


@pytest.fixture
def page(page):  # type: ignore[no-untyped-def]
    add_script_tag = page.add_script_tag

    def add_static_script_tag(*, path=None, **kwargs):  # type: ignore[no-untyped-def]
        if path is not None and Path(path).resolve().is_relative_to(STATIC_ROOT):
            url = urljoin(page.url, "/static/" + Path(path).resolve().relative_to(STATIC_ROOT).as_posix())
            return add_script_tag(url=url, **kwargs)
        return add_script_tag(path=path, **kwargs)

    page.add_script_tag = add_static_script_tag
    return page
