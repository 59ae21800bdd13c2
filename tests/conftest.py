import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.browser",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test without a cached access_token. The database cache is emptied with the
    test database; Redis and memory caches outlive a test, so they are cleared here."""
    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        cache.clear()
    yield
