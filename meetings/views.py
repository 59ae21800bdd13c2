"""The meeting pages: the list, one meeting, and its edit form.

Plain function views that parse and render. The edit form's htmx requests post the whole
form with `_render` naming the part to draw again (a fieldset, or the changes panel); such a
request never saves. Decisions live in `rules` (through `MeetingEditor`) and `actions`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

from wecom.errors import WeComError

from . import actions, audit, importing, payloads, recurrence
from .forms import ImportForm, MeetingEditor, MeetingFilterForm
from .models import Calendar, Meeting
from .templatetags.meeting_words import (
    describe_sections,
    listing,
    readonly_reason,
    repeat_summary,
)

PAGE_SIZE = 25
# Who may do what (groups made by migration 0004): viewing needs view_meeting, which meeting
# administrators and auditors have; any write needs edit_meeting, which only administrators
# (and superusers) have. A signed-in person without it gets 403.
can_view = permission_required("meetings.view_meeting", raise_exception=True)
can_edit = permission_required("meetings.edit_meeting", raise_exception=True)
# The parts of the edit page an htmx request may ask for, each a partial of edit.html.
PARTIALS = ("basics", "people", "settings", "recurrence", "changes")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _meeting(meetingid):
    meetings = Meeting.objects.select_related("settings", "reminders").prefetch_related(
        "participants"
    )
    return get_object_or_404(meetings, meetingid=meetingid)


@can_view
@require_GET
def meeting_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = MeetingFilterForm(request.GET)
    meetings = filters.filter(Meeting.objects.order_by("start", "pk"))
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "meetings/list.html", {"filters": filters, "page": page})


@can_edit
@require_http_methods(["GET", "POST"])
def meeting_import(request: HtmxHttpRequest) -> HttpResponse:
    """Bring meetings in by ID with get_info; each one WeCom refuses is named with its reason,
    and the ones it accepted are kept."""
    form = ImportForm(request.POST or None)
    imported = []
    if request.method == "POST" and form.is_valid():
        for meetingid in form.cleaned_data["meetingids"]:
            try:
                meeting, _created = importing.import_by_id(
                    meetingid, actor=request.user, source_ip=audit.client_ip(request)
                )
            except WeComError as refused:
                reason = {"meetingid": meetingid, "reason": refused.message}
                form.add_error("meetingids", _("%(meetingid)s: %(reason)s") % reason)
            else:
                imported.append(meeting)
        if imported:
            messages.success(
                request,
                _("Imported: %(titles)s.") % {"titles": listing(m.title for m in imported)},
            )
        if not form.errors:
            if len(imported) == 1:
                return redirect("meetings:detail", imported[0].meetingid)
            return redirect("meetings:list")
    return render(request, "meetings/import.html", {"form": form})


@can_view
@require_GET
def meeting_detail(request: HtmxHttpRequest, meetingid: str) -> HttpResponse:
    meeting = _meeting(meetingid)
    calendars = dict(Calendar.objects.values_list("cal_id", "summary"))
    body = payloads.desired_body(meeting)
    reminders = body.get("reminders", {})
    preview = None
    if reminders.get("is_repeat") == 1:
        preview = recurrence.preview(
            body["meeting_start"], body["meeting_duration"], reminders, limit=10
        )
    context = {
        "meeting": meeting,
        "sections": describe_sections(body, calendars),
        "repeat_summary": repeat_summary(reminders),
        "preview": preview,
        "readonly_reason": None if meeting.is_editable else readonly_reason(meeting),
    }
    return render(request, "meetings/detail.html", context)


@can_edit
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HtmxHttpRequest, meetingid: str) -> HttpResponse:
    meeting = _meeting(meetingid)
    detail = reverse("meetings:detail", args=[meeting.meetingid])
    if not meeting.is_editable:
        messages.error(request, readonly_reason(meeting))
        return _redirect(request, detail)
    calendars = list(Calendar.objects.all())
    if request.method == "GET":
        return _edit_page(request, MeetingEditor(meeting, calendars=calendars))

    editor = MeetingEditor(meeting, request.POST, calendars=calendars)
    part = request.POST.get("_render")
    if part:
        # A redraw while the administrator edits: nothing is saved, no error is shown yet.
        if request.htmx and part in PARTIALS:
            return _partial(request, editor, part)
        return _edit_page(request, editor)
    if not editor.is_valid():
        return _edit_page(request, editor, show_errors=True)
    try:
        result = actions.edit_meeting(
            meeting, editor.body, actor=request.user, loaded_version=editor.loaded_version,
            source_ip=audit.client_ip(request),
        )
    except actions.StaleVersion as stale:
        editor.conflict_with(stale.meeting)
        return _edit_page(request, editor, show_errors=True)
    except actions.NotEditable:
        meeting.refresh_from_db(fields=["status"])
        messages.error(request, readonly_reason(meeting))
        return _redirect(request, detail)
    if result.changed:
        changed = listing(change.label for change in editor.changes)
        messages.success(
            request,
            _("Saved. Changed: %(fields)s. WeCom will be updated shortly.") % {"fields": changed},
        )
    else:
        messages.info(request, _("Nothing changed."))
    return _redirect(request, detail)


def _edit_context(editor, show_errors):
    meeting = editor.meeting
    return {
        "meeting": meeting,
        "editor": editor,
        "show_errors": show_errors,
        "edit_url": reverse("meetings:edit", args=[meeting.meetingid]),
    }


def _edit_page(request, editor, show_errors=False):
    # An invalid form is answered with 200, so that htmx (and the browser) shows it.
    return render(request, "meetings/edit.html", _edit_context(editor, show_errors))


def _partial(request, editor, part):
    context = _edit_context(editor, show_errors=False)
    html = render_to_string(f"meetings/edit.html#{part}", context, request=request)
    if part == "changes":
        return HttpResponse(html)
    # The changes panel follows every redraw, out of band, so it never lags behind.
    context["oob"] = True
    html += render_to_string("meetings/edit.html#changes", context, request=request)
    # The form's one listener aims at the changes panel; a fieldset redraw goes elsewhere.
    return reswap(retarget(HttpResponse(html), f"#fs-{part}"), "outerHTML")


def _redirect(request, url):
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
