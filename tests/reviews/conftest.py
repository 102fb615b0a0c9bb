"""Fixtures for the inbox tests: a published SOP version, a browser page, signing in."""

from __future__ import annotations

import pytest

from tests.reviews.holds import make_version


@pytest.fixture
def version(db):
    return make_version()
