"""The sync as the administrators see it: a meeting's sync badge (polled by htmx while the
sync is under way), and on its page the tries made so far, Retry, and the conflict choices.

Plain function views that parse and render; the writes are retry_sync and
resolve_conflict in meetings.actions.meeting.
"""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from . import audit, context_processors, live, presenters, sync
from .actions import meeting as meeting_actions
from .actions.errors import ActionError
from .forms import ATTENTION
from .models import Meeting, Status, SyncState
from .presenters import (
    SECRETS,
    USERID_LISTS,
    describe,
    duration_words,
    label,
    local_datetime,
)
from .views import can_edit, can_view

ATTEMPTS_SHOWN = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _meeting(pk):
    return get_object_or_404(Meeting, pk=pk)


@can_view
@require_GET
def sync_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The badge alone: what the list and the detail page poll while a sync is under way."""
    meeting = _meeting(pk)
    response = render(request, "meetings/_sync_badge.html", {"meeting": meeting})
    if live.in_flight(meeting):
        return response
    return live.announce(response, meeting)


@can_view
@require_GET
def attention(request: HtmxHttpRequest) -> HttpResponse:
    """The navigation's count of meetings waiting for a person, which polls itself. Opened
    as a page (a bookmark, a link copied from it), the meetings it counts."""
    if not request.htmx:
        return redirect(f"{reverse('meetings:list')}?sync={ATTENTION}")
    count = context_processors.needs_attention()
    return render(request, "meetings/_attention.html", {"count": count})


@can_view
@require_GET
def sync_panel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The tries, Retry and the conflict choices: a section of the detail page for htmx, a
    page of its own for a browser without it."""
    meeting = _meeting(pk)
    if request.htmx:
        return render(request, "meetings/_sync_panel.html", _panel_context(meeting))
    return render(request, "meetings/_sync_page.html", _panel_context(meeting))


@can_edit
@require_POST
def sync_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    try:
        meeting = meeting_actions.retry_sync(
            meeting, actor=request.user, source_ip=audit.client_ip(request)
        )
    except ActionError as err:
        return _answer(request, meeting, error=str(err))
    if request.htmx and request.POST.get("part") == "badge":
        # Retry from a list row or the top of the page: the badge alone, polling again.
        response = render(request, "meetings/_sync_badge.html", {"meeting": meeting})
        return live.announce(response, meeting)
    return _answer(request, meeting, notice=_("The change will be sent to WeCom again."))


@can_edit
@require_POST
def sync_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Settle one conflicting field (`field`, `choice` = mine | wecom) or, with several
    `choice:<field>` values, several at once."""
    meeting = _meeting(pk)
    choices = {
        name[len("choice:") :]: value
        for name, value in request.POST.items()
        if name.startswith("choice:")
    }
    if request.POST.get("field"):
        choices[request.POST["field"]] = request.POST.get("choice", "")
    if not choices:
        return _answer(request, meeting, error=_("Choose which value to keep."))
    try:
        meeting = meeting_actions.resolve_conflict(
            meeting, choices, actor=request.user, source_ip=audit.client_ip(request)
        )
    except ActionError as err:
        return _answer(request, meeting, error=str(err))
    if meeting.conflict:
        notice = _("Choice saved. Settle the other fields to send the meeting to WeCom.")
    else:
        notice = _("Choice saved. The meeting will be sent to WeCom.")
    return _answer(request, meeting, notice=notice)


def _answer(request, meeting, *, notice=None, error=None):
    """After a POST: the panel and (out of band) the badge for htmx, which starts polling
    again; for a plain form, back to the meeting's page with the message."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, notice)
        return redirect("meetings:detail", meeting.pk)
    meeting.refresh_from_db()
    context = {**_panel_context(meeting), "notice": notice, "error": error}
    html = render_to_string("meetings/_sync_panel.html", context, request=request)
    html += render_to_string(
        "meetings/_sync_badge.html", {"meeting": meeting, "oob": True}, request=request
    )
    return live.announce(HttpResponse(html), meeting)


# WeCom's "userid not found" names nobody (its errmsg gives a hint code, not the userid).
USERID_NOT_FOUND = 60111


def _suspects(meeting):
    """After WeCom answered that a member does not exist: the meeting's people (organiser
    first) whom the directory does not know by name, the likeliest to be the one. None for
    any other state, to spare the query."""
    if meeting.sync_state != SyncState.FAILED or meeting.sync_errcode != USERID_NOT_FOUND:
        return []
    everyone = [meeting.admin_userid, *meeting.participants.values_list("userid", flat=True)]
    return list(dict.fromkeys(u for u in everyone if u))


def _panel_context(meeting):
    suspects = _suspects(meeting)
    # Every person the panel names, in one query.
    named = presenters.person_labels(
        [
            *suspects,
            *meeting.excess_users,
            *(
                userid
                for values in meeting.conflict.values()
                for side in ("mine", "wecom")
                for userid in _userids(values.get(side))
            ),
        ]
    )
    return {
        "meeting": meeting,
        "excess_users": presenters.people_html(
            presenters.label_people(meeting.excess_users, named)
        ),
        "attempts": meeting.attempts.all()[:ATTEMPTS_SHOWN],
        "conflicts": [
            {
                "field": name,
                "label": _field_label(name),
                "mine": _value_words(name, values, "mine", named),
                "wecom": _value_words(name, values, "wecom", named),
            }
            for name, values in sorted(meeting.conflict.items())
        ],
        "error_field": _field_label(meeting.sync_error_field) if meeting.sync_error_field else "",
        "unknown_people": [
            label for label in presenters.label_people(suspects, named) if not label.name
        ],
        # Retry is offered only while WeCom still has the meeting scheduled.
        "retryable": meeting.status == Status.SCHEDULED,
    }


# Up to this many people both sides have are named; more are counted.
SHARED_NAMED = 10


def _list_words(userids, others, side, named):
    """A list of people in conflict by what sets it apart from the other side's: with
    hundreds in both, the difference is what there is to choose."""
    theirs = {userid.lower() for userid in others}
    own = [userid for userid in userids if userid.lower() not in theirs]
    shared = [userid for userid in userids if userid.lower() in theirs]
    parts: list[str] = []
    if own:
        only = _("only here:") if side == "mine" else _("only in WeCom:")
        people = presenters.people_html(presenters.label_people(own, named))
        parts.append(format_html("{} {}", only, people))
    if len(shared) > SHARED_NAMED:
        count = len(shared)
        parts.append(
            ngettext("%(count)d more in both", "%(count)d more in both", count) % {"count": count}
        )
    elif shared:
        people = presenters.people_html(presenters.label_people(shared, named))
        parts.append(format_html("{} {}", _("in both:"), people))
    return format_html_join(" · ", "{}", ((part,) for part in parts)) if parts else "—"


def _field_label(path):
    if path == sync.TIME:
        return _("Start and duration")
    if path == "settings":
        # WeCom's 400031 blames the settings as a whole.
        return _("Settings")
    try:
        return label(path)
    except FieldDoesNotExist:
        return path


def _userids(value):
    """The userids of a conflicting value that is a list of people, else none."""
    if isinstance(value, dict) and set(value) <= {"userid"}:
        value = value.get("userid") or []
    if isinstance(value, list) and all(isinstance(u, str) for u in value):
        return value
    return []


def _value_words(path, values, side, named):
    """One side ("mine" or "wecom") of a field's conflict in words."""
    value = values.get(side)
    other = values.get("wecom" if side == "mine" else "mine")
    if path in SECRETS and value:
        # Shown only on the edit page: this one says which is which, and where to look.
        return (
            _("set here (the edit page shows it)") if side == "mine" else _("another, set in WeCom")
        )
    if path in USERID_LISTS and _userids(value) and _userids(other):
        return _list_words(_userids(value), _userids(other), side, named)
    if path == sync.TIME and isinstance(value, dict):
        start, duration = value.get("meeting_start"), value.get("meeting_duration")
        return _("%(start)s, %(duration)s") % {
            "start": local_datetime(start) if start else "—",
            "duration": duration_words(duration) if duration else "—",
        }
    if path in USERID_LISTS and _userids(value):
        return presenters.people_html(presenters.label_people(_userids(value), named))
    if isinstance(value, dict) and set(value) <= {"userid"}:
        value = value.get("userid") or []
    return describe(path, value)
