from __future__ import annotations

from typing import Any

import pytest

from thuocdo.dossiers import services


@pytest.fixture
def source_and_key(db: Any) -> tuple[Any, str]:
    return services.create_source(name="motcua-daklak")
