from __future__ import annotations

import pytest

from tests.accounts.tree import ROLE_BACKEND
from tests.audit.fixtures import erasable_audit_log  # noqa: F401  (a fixture, offered to this package's tests)


@pytest.fixture(autouse=True)
def _role_permissions(settings):  # type: ignore[no-untyped-def]
    # Until settings.AUTHENTICATION_BACKENDS lists the role backend, the tests add it themselves.
    if ROLE_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, ROLE_BACKEND]
