from __future__ import annotations

import pytest

from tests.accounts.tree import ROLE_BACKEND, Tree, build_tree

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(autouse=True)
def _role_permissions(settings):  # type: ignore[no-untyped-def]
    # Until settings.AUTHENTICATION_BACKENDS lists the role backend, the tests add it themselves.
    if ROLE_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, ROLE_BACKEND]


@pytest.fixture
def fast_hashing(settings):  # type: ignore[no-untyped-def]
    # Argon2 is deliberately slow; a tree of nine users would cost seconds per test. test_auth checks Argon2 itself.
    settings.PASSWORD_HASHERS = [FAST_HASHER]


@pytest.fixture
def tree(db, fast_hashing) -> Tree:  # type: ignore[no-untyped-def]
    return build_tree()
