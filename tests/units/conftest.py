"""Unit fixtures: one current province with the legacy provinces that formed it, loaded per test (fast).

The full catalogue (14,149 units) is loaded by a single test (test_load.py::test_full_load...) only.
"""

from __future__ import annotations

import pytest

from thuocdo.units import services


@pytest.fixture
def dak_lak(db):  # type: ignore[no-untyped-def]
    """Tỉnh Đắk Lắk (66) from 1 July 2025, and legacy Đắk Lắk (66) + Phú Yên (54)."""
    return services.load_units(provinces=["66"])


@pytest.fixture
def hcmc(db):  # type: ignore[no-untyped-def]
    """Thành phố Hồ Chí Minh (79), and legacy TP.HCM, Bình Dương (74) and Bà Rịa - Vũng Tàu (77)."""
    return services.load_units(provinces=["79"])
