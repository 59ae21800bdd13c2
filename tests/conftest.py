import importlib
import secrets

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError

from tests.fixtures.flushed import transactional

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.browser",
    "tests.fixtures.audit_flush",
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, the test database is made and migrated by its owner (DATABASE_URL's
    user), then every test and every worker runs as the application's role, which may not
    rewrite the audit record: the rights a deployment has, not the owner's."""
    from django.db import connection

    from meetings.management.commands.create_app_role import grant_app_role
    from tests.fixtures.audit_flush import as_app_role

    if connection.vendor != "postgresql":
        yield
        return
    role = f"{connection.settings_dict['NAME']}_app"[:63]
    password = secrets.token_urlsafe(18)
    with django_db_blocker.unblock():
        grant_app_role(role, password)
        with as_app_role(connection, role, password):
            yield
        # The worker's threads keep their connections open (DB_CONN_MAX_AGE) after the worker
        # stops, and PostgreSQL drops a database only once nobody is connected to it. An owner
        # that may not end the app role's sessions (not a superuser, not a member of the role)
        # gets Django's warning that the database is in use, as before.
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        except DatabaseError:
            pass


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
    if not transactional(request):
        return
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


@pytest.fixture(autouse=True)
def _audit_chain_intact(request):
    """After a transactional test (web requests, worker threads and processes writing side by
    side), the audit record is still one unbroken chain."""
    if not transactional(request):
        yield
        return
    yield
    if request.node.get_closest_marker("audit_tampered"):
        return
    from meetings.chain import verify_chain
    from meetings.models import AuditEvent

    report = verify_chain(AuditEvent.objects.order_by("pk"))
    assert report.broken is None, report.broken.message
