"""The project's admin site, in a module of its own: the admin loads the site class before
any ModelAdmin is registered, so nothing here may import an admin module."""

from functools import update_wrapper

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _


class AuditAdminSite(admin.AdminSite):
    site_header = _("WeCom meetings: audit")
    site_title = _("WeCom meetings: audit")
    index_title = _("Audit")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            from . import audit

            # Django would show such a person another log-in form; the answer is "not for
            # you", and their own log-in stays as it is.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            # Whatever a view changes (users, groups, passwords), the record names who did.
            with audit.acting(request.user, audit.client_ip(request)):
                return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)
