"""The meeting pages: the list, one meeting, its edit form, a new meeting and a cancellation.

Plain function views that parse and render. The edit form's htmx requests post the whole
form with `_render` naming the part to draw again (a fieldset, or the changes panel); such a
request never saves. The new-meeting page is the same form and the same redraws. Decisions
live in `rules` (through `MeetingEditor`) and `actions`; what the edit page shows of the
editor is `sections.EditPage`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

from . import audit, fields, import_jobs, live, payloads, presenters, recurrence, sections
from .actions import account as account_actions
from .actions import meeting as meeting_actions
from .actions.errors import ActionError, NotEditable, StaleVersion
from .forms import ImportForm, MeetingEditor, MeetingFilterForm, new_meeting
from .models import Calendar, Meeting, Status
from .presenters import listing, local_span, readonly_reason, repeat_summary
from .rows import whole_meeting

PAGE_SIZE = 25
# Who may do what (groups made by migration 0004): viewing needs view_meeting, which meeting
# administrators and auditors have; any write needs edit_meeting, which only administrators
# (and superusers) have. A signed-in person without it gets 403.
can_view = permission_required("meetings.view_meeting", raise_exception=True)
can_edit = permission_required("meetings.edit_meeting", raise_exception=True)
# The parts of the edit page an htmx request may ask for: a section (the partial "section" of
# edit.html), or the changes panel.
PARTIALS = (*fields.SECTIONS, "changes")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _meeting(pk):
    meeting = whole_meeting(pk)
    if meeting is None:
        raise Http404
    return meeting


@can_view
@require_GET
def meeting_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = MeetingFilterForm(request.GET)
    # The reminders in the same query: the list marks recurring series.
    meetings = filters.filter(Meeting.objects.select_related("reminders"))
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    # The organisers' names: one query for the page, whatever its length.
    organisers = presenters.person_labels(m.admin_userid for m in page.object_list)
    for meeting in page.object_list:
        meeting.organiser = organisers.get(meeting.admin_userid) or meeting.admin_userid
    return render(request, "meetings/list.html", {"filters": filters, "page": page})


@can_edit
@require_http_methods(["GET", "POST"])
def meeting_import(request: HtmxHttpRequest) -> HttpResponse:
    """Bring meetings in by 会议号 or ID with get_info, in the background (WeCom may be
    slow): the progress page then follows each one."""
    form = ImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = import_jobs.start(
            form.cleaned_data["meetingids"],
            actor=request.user,
            source_ip=audit.client_ip(request),
        )
        return redirect("meetings:import_progress", job)
    return render(request, "meetings/import.html", {"form": form})


@can_view
@require_GET
def meeting_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    calendars = dict(Calendar.objects.values_list("cal_id", "summary"))
    body = payloads.desired_body(meeting)
    reminders = body.get("reminders", {})
    preview = None
    # The dates the rule gives, until WeCom lists the occurrences themselves (with the ones
    # cancelled): from then on the occurrences' table says it all, and a cancelled meeting
    # has no next meetings.
    if (
        reminders.get("is_repeat") == 1
        and not meeting.sub_meetings
        and meeting.status == Status.SCHEDULED
        and not meeting.cancel_requested
    ):
        preview = recurrence.preview(
            body["meeting_start"], body["meeting_duration"], reminders, limit=10
        )
    organiser, sections = presenters.described(meeting, body, calendars)
    context = {
        "meeting": meeting,
        "organiser": organiser,
        "sections": sections,
        "repeat_summary": repeat_summary(reminders),
        "preview": preview,
        "readonly_reason": None if meeting.is_editable else readonly_reason(meeting),
        "recurring": meeting.reminders.is_repeat,
        "occurrences": [_occurrence_row(meeting, o) for o in meeting.sub_meetings],
        "in_flight": live.in_flight(meeting),
    }
    if request.htmx and request.htmx.target == "meeting-live":
        # The page's own poll while the sync moves: the meeting alone, drawn afresh.
        response = render(request, "meetings/detail.html#live", context)
        return response if context["in_flight"] else live.announce(response, meeting)
    return render(request, "meetings/detail.html", context)


def _occurrence_row(meeting, occurrence):
    """One occurrence as the detail page lists it, from the meeting's own columns only."""
    requested = occurrence["sub_meetingid"] in meeting.cancel_sub_meetingids
    status = meeting.occurrence_status(occurrence)
    scheduled = status == Status.SCHEDULED
    return {
        "sub_meetingid": occurrence["sub_meetingid"],
        "when": local_span(occurrence["start"], occurrence["end"]),
        "status": Status.label_of(status),
        "cancel_requested": requested and scheduled,
        "cancellable": meeting.can_cancel(occurrence),
    }


@can_edit
@require_http_methods(["GET", "POST"])
# The page holds the meeting's password and host key: no cache, shared or the browser's, may
# keep a copy.
@never_cache
def meeting_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    detail = reverse("meetings:detail", args=[meeting.pk])
    if not meeting.is_editable:
        # The meeting's page says why, once.
        if request.method == "POST":
            messages.error(request, _("Your changes were not saved."))
        return _redirect(request, detail)
    # Run only if the page draws or checks the calendars (MeetingEditor).
    calendars = Calendar.objects.all()
    if request.method == "GET":
        return _edit_page(request, MeetingEditor(meeting, calendars=calendars))

    editor = MeetingEditor(meeting, request.POST, calendars=calendars)
    if request.POST.get("_render"):
        return _redraw(request, editor)
    if not editor.is_valid():
        return _edit_page(request, editor, show_errors=True)
    try:
        result = meeting_actions.edit_meeting(
            meeting,
            editor.body,
            actor=request.user,
            loaded_version=editor.loaded_version,
            source_ip=audit.client_ip(request),
        )
    except StaleVersion as stale:
        current = stale.meeting
        before = audit.values_at(current, editor.loaded_version)
        editor = editor.rebased(current, before, calendars=calendars)
        return _edit_page(request, editor, show_errors=True)
    except NotEditable:
        # It stopped being editable while the form was open: the meeting's page says why.
        messages.error(request, _("Your changes were not saved."))
        return _redirect(request, detail)
    if result.changed:
        changed = listing(
            change.label for change in sections.changes(meeting, editor.body, editor.calendars)
        )
        messages.success(
            request,
            _("Saved. Changed: %(fields)s. WeCom will be updated shortly.") % {"fields": changed},
        )
    else:
        messages.info(request, _("Nothing changed."))
    return _redirect(request, detail)


@can_edit
@require_http_methods(["GET", "POST"])
def meeting_new(request: HtmxHttpRequest) -> HttpResponse:
    """The edit page over a blank meeting; saving hands it to the worker to create in WeCom."""
    # Run only if the page draws or checks the calendars (MeetingEditor).
    calendars = Calendar.objects.all()
    if request.method == "GET":
        # Most administrators organise their own meetings: theirs is the userid to start with.
        organiser = account_actions.wecom_userid_of(request.user)
        return _edit_page(request, MeetingEditor(new_meeting(organiser), calendars=calendars))

    editor = MeetingEditor(new_meeting(), request.POST, calendars=calendars)
    if request.POST.get("_render"):
        return _redraw(request, editor)
    if not editor.is_valid():
        return _edit_page(request, editor, show_errors=True)
    meeting = meeting_actions.create_meeting(
        editor.body,
        admin_userid=editor.admin_userid,
        actor=request.user,
        source_ip=audit.client_ip(request),
    )
    messages.success(request, _("Saved. WeCom will create the meeting shortly."))
    return _redirect(request, reverse("meetings:detail", args=[meeting.pk]))


@can_edit
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A confirmation page for cancelling the meeting, or with `sub_meetingid` one occurrence
    of it; its POST decides the cancellation, which the worker carries out."""
    meeting = get_object_or_404(Meeting, pk=pk)
    detail = reverse("meetings:detail", args=[meeting.pk])
    asked = request.POST if request.method == "POST" else request.GET
    sub_meetingid = asked.get("sub_meetingid") or None
    occurrence = meeting.occurrence(sub_meetingid)
    if request.method == "POST":
        return _cancel(request, meeting, sub_meetingid, occurrence, detail)
    # The action refuses these too; the page says why before anyone confirms anything.
    if not meeting.is_editable:
        # The meeting's page says why, once.
        return redirect(detail)
    if sub_meetingid is not None and occurrence is None:
        refusal = _(
            "WeCom no longer lists this occurrence (the series may have moved). "
            "Choose it again from the occurrences listed now."
        )
    elif occurrence is not None and not meeting.can_cancel(occurrence):
        refusal = _("Only an occurrence still to come can be cancelled.")
    else:
        refusal = None
    if refusal:
        messages.error(request, refusal)
        return redirect(detail)
    if occurrence is None:
        when = local_span(meeting.start, meeting.end)
    else:
        when = local_span(occurrence["start"], occurrence["end"])
    context = {"meeting": meeting, "occurrence": occurrence, "when": when}
    return render(request, "meetings/cancel.html", context)


def _cancel(request, meeting, sub_meetingid, occurrence, detail):
    try:
        meeting_actions.cancel_meeting(
            meeting,
            actor=request.user,
            sub_meetingid=sub_meetingid,
            source_ip=audit.client_ip(request),
        )
    except NotEditable:
        # The meeting's page, where this leads, says why.
        messages.error(request, _("Nothing was cancelled."))
    except ActionError as refused:
        messages.error(request, str(refused))
    else:
        if occurrence is None:
            done = _("The meeting will be cancelled in WeCom shortly.")
        else:
            done = _("The occurrence of %(when)s will be cancelled in WeCom shortly.") % {
                "when": local_span(occurrence["start"], occurrence["end"])
            }
        messages.success(request, done)
    return _redirect(request, detail)


def _edit_context(editor, show_errors):
    meeting = editor.meeting
    if editor.creating:
        urls = {"edit_url": reverse("meetings:new"), "back_url": reverse("meetings:list")}
    else:
        urls = {
            "edit_url": reverse("meetings:edit", args=[meeting.pk]),
            "back_url": reverse("meetings:detail", args=[meeting.pk]),
        }
    return {
        "meeting": meeting,
        "editor": editor,
        "page": sections.EditPage(editor),
        "creating": editor.creating,
        "show_errors": show_errors,
        **urls,
    }


def _edit_page(request, editor, show_errors=False):
    # An invalid form is answered with 200, so that htmx (and the browser) shows it.
    return render(request, "meetings/edit.html", _edit_context(editor, show_errors))


def _redraw(request, editor):
    """A redraw while the administrator types: nothing is saved, no error is shown yet."""
    part = request.POST["_render"]
    if request.htmx and part in PARTIALS:
        return _partial(request, editor, part)
    return _edit_page(request, editor)


def _partial(request, editor, part):
    context = _edit_context(editor, show_errors=False)
    page = context["page"]
    # A field's message shows once the administrator has left it, changed.
    left = request.POST.get("_left", "")
    touched = {*request.POST.get("_touched", "").split(), left}
    context["touched"] = sorted(name for name in touched if editor.shows(name))
    if part == "changes":
        html = render_to_string("meetings/edit.html#changes", context, request=request)
        html += render_to_string(
            "meetings/edit.html#touched", {**context, "oob": True}, request=request
        )
    else:
        # The fieldset, the fields left and the changes panel, which follows every redraw
        # out of band so that it never lags behind: one rendering (its context made once).
        context["section"] = page.sections[part]
        html = render_to_string("meetings/edit.html#redraw", context, request=request)
    # The field left shows its message wherever it stands: the start, say, redraws the
    # recurrence's fieldset, not its own.
    row = page.row(left)
    if row is not None and fields.BY_HTML_NAME[left].section != part:
        html += sections.row_html(row, touched=context["touched"], oob=True)
    if part == "changes":
        return HttpResponse(html)
    # The form's one listener aims at the changes panel; a fieldset redraw goes elsewhere.
    return reswap(retarget(HttpResponse(html), f"#fs-{part}"), "outerHTML")


def _redirect(request, url):
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
