import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.browser",
    "tests.fixtures.audit_flush",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Keep what one test cached out of the next. Redis and memory caches are cleared here;
    the database cache needs the database, which most tests do not open, so a token it keeps
    from an earlier test (dead since the sandbox's reset) is replaced by the client on its
    first refusal, and tests that count gettoken calls drop it themselves."""
    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        cache.clear()
    yield
