"""The Redis cache: Django's, with one client serving every call of a process."""

import pytest
from django.conf import settings

from config.cache import RedisCache

LOCATION = settings.CACHES["default"]["LOCATION"]

pytestmark = pytest.mark.skipif(
    not str(LOCATION).startswith(("redis://", "rediss://")), reason="the cache is not Redis"
)


def test_one_client_serves_every_call_and_the_cache_works_as_djangos():
    cache = RedisCache(LOCATION, {"KEY_PREFIX": "test-shared-client"})
    try:
        cache.set("token", "abc", 60)
        cache.set_many({"pause": 0})
        assert cache.get_many(["token", "pause", "absent"]) == {"token": "abc", "pause": 0}
        assert cache.incr("pause") == 1
        assert cache._cache.get_client() is cache._cache.get_client("token", write=True)
    finally:
        cache.delete_many(["token", "pause"])
