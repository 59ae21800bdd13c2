"""The project's admin site, in a module of its own: the admin loads the site class before
any ModelAdmin is registered, so nothing here may import an admin module."""

from functools import update_wrapper

from django.contrib import admin, messages
from django.contrib.admin.options import TO_FIELD_VAR
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import urlencode
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
            if request.method == "GET" and _with_nul(request.GET):
                return _without_nul(request)
            if TO_FIELD_VAR in request.GET | request.POST and not (
                request.POST.get(TO_FIELD_VAR) or request.GET.get(TO_FIELD_VAR)
            ):
                # An empty _to_field passes the admin's check and then names no field at all.
                return HttpResponseBadRequest()
            # Whatever a view changes (users, groups, passwords), the record names who did.
            with audit.acting(request.user, audit.client_ip(request)):
                return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)


def _with_nul(query):
    return any("\x00" in name or "\x00" in value for name, value in query.items())


def _without_nul(request):
    """The same list without the filters and searches that hold a NUL, with Django's message
    for such a value: PostgreSQL refuses a NUL in a query, so none is searched for."""
    messages.error(request, ProhibitNullCharactersValidator.message)
    kept = [
        (name, value)
        for name, values in request.GET.lists()
        for value in values
        if "\x00" not in name and "\x00" not in value
    ]
    return redirect(request.path + ("?" + urlencode(kept) if kept else ""))
