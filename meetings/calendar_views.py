"""The calendar pages: the app's calendars, a form to add or change one, and a refresh.

Each page parses its form, calls one calendar action (meetings.actions.calendar, which asks
WeCom within the request and stores what it accepted) and renders the outcome: a refusal
keeps the form as typed and says why beside the field WeCom named; a calendar changed in
WeCom since the form was loaded shows WeCom's values beside the fields.
"""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import audit, presenters
from .actions import calendar as calendar_actions
from .actions.errors import CalendarRefused, ChangedInWeCom
from .calendar_forms import CalendarForm
from .models import Calendar, Meeting
from .views import can_edit, can_view


@can_view
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    calendars = list(Calendar.objects.all())
    # The administrators and the people shared with, by name: one query for the page.
    named = presenters.person_labels(
        userid
        for calendar in calendars
        for userid in (*calendar.admins, *(share.get("userid") for share in calendar.shares))
    )
    for calendar in calendars:
        # Attributes for the template only, not model fields: hence the ignores.
        admin_people = presenters.label_people(calendar.admins, named)
        calendar.admin_people = admin_people  # type: ignore[attr-defined]
        calendar.share_people = [  # type: ignore[attr-defined]
            (presenters.label_people([share.get("userid", "")], named)[0], share)
            for share in calendar.shares
        ]
    return render(request, "meetings/calendars.html", {"calendars": calendars})


@can_edit
@require_http_methods(["GET", "POST"])
def calendar_new(request: HttpRequest) -> HttpResponse:
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = calendar_actions.add_calendar(
                form.calendar, actor=request.user, source_ip=audit.client_ip(request)
            )
        except CalendarRefused as refused:
            _beside_field(form, refused)
        else:
            _say_unshared(request, saved)
            messages.success(
                request, _("Calendar %(summary)s added.") % {"summary": saved.calendar.summary}
            )
            return redirect("meetings:calendars")
    return render(request, "meetings/calendar_form.html", {"form": form, "calendar": None})


@can_edit
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, cal_id: str) -> HttpResponse:
    calendar = get_object_or_404(Calendar, cal_id=cal_id)
    form = CalendarForm.for_calendar(calendar, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = calendar_actions.update_calendar(
                calendar,
                form.calendar,
                loaded=form.loaded_fingerprint,
                actor=request.user,
                source_ip=audit.client_ip(request),
            )
        except ChangedInWeCom as changed:
            calendar.refresh_from_db()
            form.changed_in_wecom(changed.current)
        except CalendarRefused as refused:
            _beside_field(form, refused)
        else:
            if saved is None:
                messages.info(request, _("Nothing changed."))
            else:
                _say_unshared(request, saved)
                messages.success(
                    request,
                    _("Calendar %(summary)s saved.") % {"summary": form.calendar["summary"]},
                )
            return redirect("meetings:calendars")
    return render(request, "meetings/calendar_form.html", {"form": form, "calendar": calendar})


@can_edit
@require_http_methods(["GET", "POST"])
def calendar_delete(request: HttpRequest, cal_id: str) -> HttpResponse:
    """A confirmation page; its POST deletes the calendar in WeCom, then here."""
    calendar = get_object_or_404(Calendar, cal_id=cal_id)
    error = None
    if request.method == "POST":
        try:
            calendar_actions.delete_calendar(
                calendar, actor=request.user, source_ip=audit.client_ip(request)
            )
        except CalendarRefused as refused:
            error = str(refused)
        else:
            messages.success(
                request, _("Calendar %(summary)s deleted.") % {"summary": calendar.summary}
            )
            return redirect("meetings:calendars")
    # Said before anyone confirms: those meetings will name a calendar that is gone.
    in_it = Meeting.objects.filter(cal_id=calendar.cal_id).count()
    context = {"calendar": calendar, "error": error, "in_it": in_it}
    return render(request, "meetings/calendar_delete.html", context)


@can_edit
@require_POST
def calendar_refresh(request: HttpRequest) -> HttpResponse:
    """Read every calendar this app has from WeCom again and take in what changed there."""
    try:
        refreshed = calendar_actions.refresh_calendars(
            actor=request.user, source_ip=audit.client_ip(request)
        )
    except CalendarRefused as refused:
        messages.error(request, str(refused))
        return redirect("meetings:calendars")
    if refreshed is None:
        messages.info(request, _("There are no calendars to refresh."))
        return redirect("meetings:calendars")
    if refreshed.changed:
        names = ", ".join(calendar.summary for calendar in refreshed.changed)
        messages.success(request, _("Changed in WeCom: %(names)s.") % {"names": names})
    else:
        messages.info(request, _("All calendars are as WeCom has them."))
    if refreshed.missing:
        messages.warning(
            request,
            _(
                "WeCom no longer gives this app these calendars: %(names)s. They are kept here; "
                "delete them if they are gone."
            )
            % {"names": ", ".join(refreshed.missing)},
        )
    return redirect("meetings:calendars")


def _beside_field(form, refused):
    """WeCom's refusal beside the field it named, or above the form."""
    field = refused.field if refused.field in form.fields else NON_FIELD_ERRORS
    form.add_error(field, str(refused))


def _say_unshared(request, saved):
    if saved.unshared:
        messages.warning(
            request,
            _("WeCom could not share the calendar with: %(userids)s.")
            % {"userids": ", ".join(saved.unshared)},
        )
