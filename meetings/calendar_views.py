"""The calendar pages: the app's calendars, a form to add or change one, and a refresh.

A calendar is written to WeCom within the request, not through the meeting worker: it is
small and the administrator wants its cal_id at once. WeCom is asked first, outside any
transaction (the token cache may be this database); only what it accepted is then stored,
with its audit event, by one action. A refusal keeps the form as typed and says why.

Update overwrites the whole calendar in WeCom, so an edit reads the calendar from WeCom first:
when it no longer matches what was stored as the form was loaded (its fingerprint), WeCom's
values are taken in and shown beside the form, and nothing is written until the
administrator saves again.
"""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wecom.client import get_client
from wecom.errors import TransientError, WeComError

from . import actions, audit, presenters
from .calendar_forms import CalendarForm, fingerprint, normalised
from .models import Calendar
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
        body = form.calendar
        try:
            answer = get_client().calendar_add(body)
        except WeComError as error:
            _refused(request, form, None, body, error, reason=_add_lost(error))
        else:
            calendar = _save(request, answer["cal_id"], body, answer)
            messages.success(
                request, _("Calendar %(summary)s added.") % {"summary": calendar.summary}
            )
            return redirect("meetings:calendars")
    return render(request, "meetings/calendar_form.html", {"form": form, "calendar": None})


@can_edit
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, cal_id: str) -> HttpResponse:
    calendar = get_object_or_404(Calendar, cal_id=cal_id)
    form = CalendarForm.for_calendar(calendar, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Compared as parsed, so that a colour the browser sends in lower case, or a list
        # typed in another order of spaces, does not send WeCom an identical calendar.
        if form.calendar == normalised(calendar):
            messages.info(request, _("Nothing changed."))
            return redirect("meetings:calendars")
        current = _read_from_wecom(request, form, calendar)
        # A form sent without its marker (a page opened before it existed) is held against
        # what is stored now: WeCom's own changes are still caught.
        loaded = form.loaded_fingerprint or fingerprint(calendar)
        if current is not None and fingerprint(current) != loaded:
            # Writing now would silently undo what was changed in WeCom: take it in (its event
            # says it came from WeCom) and let the administrator decide with it in view.
            actions.refresh_calendars(
                [current], actor=request.user, source_ip=audit.client_ip(request)
            )
            calendar.refresh_from_db()
            form.changed_in_wecom(current)
        elif current is not None and _update(request, form, calendar):
            messages.success(
                request, _("Calendar %(summary)s saved.") % {"summary": form.calendar["summary"]}
            )
            return redirect("meetings:calendars")
    return render(request, "meetings/calendar_form.html", {"form": form, "calendar": calendar})


def _read_from_wecom(request, form, calendar):
    """The calendar as WeCom holds it now, or None, with the reason beside the form, when it
    cannot be read: without it an overwrite could undo a change made there."""
    try:
        found = get_client().calendar_get([calendar.cal_id])
    except WeComError as error:
        _refused(request, form, calendar.cal_id, form.calendar, error)
        return None
    for current in found:
        if current.get("cal_id") == calendar.cal_id:
            return current
    missing = WeComError("oa/calendar/get", description="the calendar is not in the answer")
    _refused(
        request, form, calendar.cal_id, form.calendar, missing,
        reason=_("WeCom no longer gives this app this calendar; it may have been deleted "
                 "there. Nothing was saved; delete it here if it is gone."),
    )
    return None


def _update(request, form, calendar):
    """Overwrite the calendar in WeCom with the form and store it; False, with the reason
    beside the form, when WeCom does not take it."""
    # Every field is sent, since update overwrites them all; the visibility range this app
    # does not manage is left as it is.
    body = {"cal_id": calendar.cal_id, **form.calendar}
    try:
        answer = get_client().calendar_update(body, skip_public_range=1)
    except WeComError as error:
        _refused(request, form, calendar.cal_id, form.calendar, error)
        return False
    _save(request, calendar.cal_id, form.calendar, answer)
    return True


@can_edit
@require_http_methods(["GET", "POST"])
def calendar_delete(request: HttpRequest, cal_id: str) -> HttpResponse:
    """A confirmation page; its POST deletes the calendar in WeCom, then here."""
    calendar = get_object_or_404(Calendar, cal_id=cal_id)
    error = None
    if request.method == "POST":
        try:
            get_client().calendar_delete(calendar.cal_id)
        except WeComError as refused:
            actions.record_calendar_refused(
                calendar.cal_id, None, refused, actor=request.user,
                source_ip=audit.client_ip(request),
            )
            error = _reason(refused)
        else:
            actions.delete_calendar(
                calendar, actor=request.user, source_ip=audit.client_ip(request)
            )
            messages.success(
                request, _("Calendar %(summary)s deleted.") % {"summary": calendar.summary}
            )
            return redirect("meetings:calendars")
    context = {"calendar": calendar, "error": error}
    return render(request, "meetings/calendar_delete.html", context)


@can_edit
@require_POST
def calendar_refresh(request: HttpRequest) -> HttpResponse:
    """Read every calendar this app has from WeCom again and take in what changed there."""
    cal_ids = list(Calendar.objects.values_list("cal_id", flat=True))
    if not cal_ids:
        messages.info(request, _("There are no calendars to refresh."))
        return redirect("meetings:calendars")
    try:
        found = get_client().calendar_get(cal_ids)
    except WeComError as error:
        messages.error(request, _reason(error))
        return redirect("meetings:calendars")
    changed = actions.refresh_calendars(
        found, actor=request.user, source_ip=audit.client_ip(request)
    )
    if changed:
        names = ", ".join(calendar.summary for calendar in changed)
        messages.success(request, _("Changed in WeCom: %(names)s.") % {"names": names})
    else:
        messages.info(request, _("All calendars are as WeCom has them."))
    missing = set(cal_ids) - {calendar.get("cal_id") for calendar in found}
    if missing:
        names = ", ".join(
            Calendar.objects.filter(cal_id__in=missing).values_list("summary", flat=True)
        )
        messages.warning(
            request,
            _("WeCom no longer gives this app these calendars: %(names)s. They are kept here; "
              "delete them if they are gone.") % {"names": names},
        )
    return redirect("meetings:calendars")


def _save(request, cal_id, body, answer):
    """Store what WeCom accepted: the shares it could not make are not in the calendar."""
    failed = (answer.get("fail_result") or {}).get("shares") or []
    unshared = {item.get("userid") for item in failed}
    kept = {**body, "shares": [s for s in body["shares"] if s["userid"] not in unshared]}
    calendar = actions.save_calendar(
        cal_id, kept, actor=request.user, source_ip=audit.client_ip(request)
    )
    if unshared:
        messages.warning(
            request,
            _("WeCom could not share the calendar with: %(userids)s.")
            % {"userids": ", ".join(sorted(u for u in unshared if u))},
        )
    return calendar


def _refused(request, form, cal_id, body, error, reason=None):
    actions.record_calendar_refused(
        cal_id, body, error, actor=request.user, source_ip=audit.client_ip(request)
    )
    # WeCom's field names are this form's, less the "calendar." some answers put first.
    field = (error.field or "").removeprefix("calendar.").split(".")[0].split("[")[0]
    form.add_error(
        field if field in form.fields else NON_FIELD_ERRORS, reason or _reason(error)
    )


def _add_lost(error):
    """The warning for an add whose answer never came: WeCom may have made the calendar, and
    as it cannot list an app's calendars, sending the form again could make a second one."""
    if isinstance(error, TransientError) and error.maybe_applied:
        return _(
            "WeCom did not answer, but it may have added the calendar anyway. Sending the "
            "form again could make a second calendar: check in WeCom first whether it is "
            "there."
        )
    return None


def _reason(error):
    # The errors' own words for a passing failure promise that the sync sends the change
    # again; a calendar is not queued, so the administrator is told to try again instead.
    if error.errcode is None or error.kind in ("transient", "token"):
        return _("WeCom could not be reached or is busy. Nothing was saved; try again shortly.")
    return str(error.message)
