from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        # import_jobs and notify register their tasks, bounds its lookup.
        from . import bounds, import_jobs, notify, signals  # noqa: F401

        signals.connect()
        notify.connect()
        post_migrate.connect(_title_index, sender=self)


def _title_index(using, **kwargs):
    """Put back the title search index when a migration rebuilt the meetings table (also
    after the test suite's flush, which sends post_migrate)."""
    from django.db import connections

    from . import search

    connection = connections[using]
    # Only SQLite loses a table's triggers when a migration rebuilds it; PostgreSQL keeps its
    # indexes, made by the migration as the owner (the app's role may not create them).
    if connection.vendor != "sqlite":
        return
    if "meetings_meeting" in connection.introspection.table_names():
        search.install_index(connection)


class MeetingsAdminConfig(admin_apps.AdminConfig):
    """The Django admin with the project's site, which answers a signed-in person without
    admin rights with 403 rather than another login form."""

    # Listed by its full path in INSTALLED_APPS; "meetings" alone means MeetingsConfig.
    default = False

    default_site = "meetings.admin_site.AuditAdminSite"
