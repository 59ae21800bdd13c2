from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from . import audit, import_jobs  # noqa: F401 (registers the import task)

        audit.connect_signals()


class MeetingsAdminConfig(admin_apps.AdminConfig):
    """The Django admin with the project's site, which answers a signed-in person without
    admin rights with 403 rather than another login form."""

    # Listed by its full path in INSTALLED_APPS; "meetings" alone means MeetingsConfig.
    default = False

    default_site = "meetings.admin_site.AuditAdminSite"
