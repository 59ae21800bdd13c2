import importlib

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


@pytest.fixture(autouse=True)
def _roles(request):
    """The role groups as migration 0004 makes them. A transactional test ends by emptying
    every table, and the flush makes the permissions again but not the groups: the tests
    after it would otherwise meet a database no deployment has."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Group, Permission

    roles = importlib.import_module("meetings.migrations.0004_roles").ROLES
    for name, codenames in roles.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(
                Permission.objects.filter(
                    content_type__app_label="meetings", codename__in=codenames
                )
            )
