"""The pages of a batch change: meetings chosen in the list, the change, its preview, the
confirmation and the progress. Plain function views that parse and render; what a batch does
lives in `meetings.actions.batch`. Only meeting administrators reach them; a batch not yet confirmed
is its author's alone, a confirmed one every administrator's to follow."""

import hashlib
import json
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from . import audit, bounds, presenters, rules
from .actions import batch as batch_actions
from .forms import MeetingFilterForm
from .models import Batch, Calendar, Meeting, Participant
from .rendering import RENDERER
from .views import can_edit

Kind = Batch.Kind
# How long the preview's totals are kept while the administrator pages through it.
SUMMARY_SECONDS = 30


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _setting_options():
    """The settings a batch may set, grouped by setting: "enable_waiting_room=1"… Each option
    names its setting too ("Waiting room: On"): the group's name is not shown once the list
    is closed, and ten settings have an "On"."""
    groups = []
    for name, choices in batch_actions.SETTING_CHOICES.items():
        setting = str(presenters.label(f"settings.{name}"))
        options = [
            (
                f"{name}={_encode(value)}",
                _("%(setting)s: %(value)s") % {"setting": setting, "value": words},
            )
            for value, words in choices
        ]
        groups.append((setting, options))
    return groups


def _encode(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _decode(name, text):
    for value, _words in batch_actions.SETTING_CHOICES.get(name, ()):
        if _encode(value) == text:
            return value
    raise KeyError(text)


ROLE_CHOICES = [
    (Participant.Role.INVITEE, gettext_lazy("Invitees")),
    (Participant.Role.HOST, gettext_lazy("Hosts")),
    (Participant.Role.RING_USER, gettext_lazy("Ring these people")),
]


class ChangeForm(forms.Form):
    """The one change of a batch; only the fields its kind needs are required."""

    default_renderer = RENDERER
    kind = forms.ChoiceField(
        label=gettext_lazy("Change"), choices=Kind.choices, widget=forms.RadioSelect
    )
    setting = forms.ChoiceField(label=gettext_lazy("Setting"), required=False)
    role = forms.ChoiceField(label=gettext_lazy("List"), choices=ROLE_CHOICES, required=False)
    person = forms.CharField(
        label=gettext_lazy("Person"),
        required=False,
        # The people picker puts a pick here (static/js/people.js: one person, replaced).
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-single": "true"}),
        help_text=gettext_lazy("Search by name below, or type the userid."),
    )
    cal_id = forms.ChoiceField(label=gettext_lazy("Calendar"), required=False)

    def __init__(self, *args: Any, calendars: Iterable[Calendar] = (), **kwargs: Any) -> None:
        kwargs["label_suffix"] = ""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["setting"]).choices = [("", "—"), *_setting_options()]
        cast(forms.ChoiceField, self.fields["cal_id"]).choices = [("", _("No calendar"))] + [
            (c.cal_id, c.summary) for c in calendars
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data, which the stubs call optional.
        data = self.cleaned_data
        kind = data.get("kind")
        if kind == Kind.SETTING:
            name, _eq, value = (data.get("setting") or "").partition("=")
            try:
                value = _decode(name, value)
            except KeyError:
                self.add_error("setting", _("Choose the setting and its new value."))
            else:
                data["change"] = batch_actions.Change(kind, path=f"settings.{name}", value=value)
        elif kind in (Kind.ADD_PERSON, Kind.REMOVE_PERSON):
            userid = (data.get("person") or "").strip()
            if not userid:
                self.add_error("person", _("Choose the person."))
            elif not rules.is_userid(userid):
                self.add_error("person", _("This is not a userid WeCom could know."))
            elif not data.get("role"):
                self.add_error("role", _("Choose the list."))
            else:
                data["change"] = batch_actions.Change(kind, role=data["role"], userid=userid)
        elif kind == Kind.CALENDAR:
            data["change"] = batch_actions.Change(kind, cal_id=data.get("cal_id") or "")
        elif kind == Kind.CANCEL:
            data["change"] = batch_actions.Change(kind)
        return data

    @classmethod
    def initial_of(cls, the_batch):
        change = batch_actions.Change.of(the_batch)
        if not change.kind:
            return {}
        initial = {"kind": change.kind, "role": change.role, "person": change.userid}
        if change.kind == Kind.SETTING:
            name = change.path.partition(".")[2]
            initial["setting"] = f"{name}={_encode(change.value)}"
        initial["cal_id"] = change.cal_id
        return initial


def _draft(request, pk):
    """A batch not yet confirmed, of this administrator; a confirmed one goes to its progress."""
    found = Batch.objects.filter(pk=pk).first()
    if found is None or (found.state == Batch.State.DRAFT and found.actor_id != request.user.pk):
        raise Http404
    return found


@can_edit
@require_POST
def batch_new(request: HtmxHttpRequest) -> HttpResponse:
    """The meetings chosen in the list: ticked ones (`meeting`), or with scope=filter every
    meeting the list's filter (`filter`, its query string) matches."""
    filter_query = request.POST.get("filter", "")
    back = reverse("meetings:list") + (f"?{filter_query}" if filter_query else "")
    if request.POST.get("scope") == "filter":
        filters = MeetingFilterForm(QueryDict(filter_query))
        meetings = filters.filter(Meeting.objects.all())
    else:
        # A ticked id no row can have is left out, as one that is not a number is.
        ticked = (bounds.row_id(pk) for pk in request.POST.getlist("meeting"))
        pks = [pk for pk in ticked if pk is not None]
        meetings = Meeting.objects.filter(pk__in=pks).order_by("start", "pk")
    try:
        chosen = batch_actions.choose(meetings, actor=request.user, filter_query=filter_query)
    except batch_actions.TooMany:
        messages.error(
            request,
            _("At most %(max)d meetings can be changed at once: narrow the filter.")
            % {"max": batch_actions.BATCH_MAX},
        )
        return redirect(back)
    if not chosen.meetings:
        chosen.delete()
        messages.error(request, _("Choose at least one meeting."))
        return redirect(back)
    return redirect("meetings:batch_change", chosen.pk)


@can_edit
@require_http_methods(["GET", "POST"])
def batch_change(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    the_batch = _draft(request, pk)
    if the_batch.state != Batch.State.DRAFT:
        return redirect("meetings:batch", the_batch.pk)
    calendars = list(Calendar.objects.all())
    if request.method == "POST":
        form = ChangeForm(request.POST, calendars=calendars)
        if form.is_valid():
            batch_actions.set_change(the_batch, form.cleaned_data["change"])
            return redirect("meetings:batch_preview", the_batch.pk)
    else:
        form = ChangeForm(initial=ChangeForm.initial_of(the_batch), calendars=calendars)
    context = {"batch": the_batch, "form": form, "back": _list_url(the_batch)}
    return render(request, "meetings/batch_change.html", context)


@can_edit
@require_GET
def batch_preview(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    the_batch = _draft(request, pk)
    if the_batch.state != Batch.State.DRAFT:
        return redirect("meetings:batch", the_batch.pk)
    if not the_batch.kind:
        return redirect("meetings:batch_change", the_batch.pk)
    page, rows = batch_actions.preview(the_batch, request.GET.get("page"))
    calendars = dict(Calendar.objects.values_list("cal_id", "summary"))
    context = {
        "batch": the_batch,
        "change_words": batch_actions.Change.of(the_batch).words(calendars),
        "page": page,
        "rows": rows,
        # A recurring meeting cancelled is every occurrence still to come: said on its row.
        "cancelling": the_batch.kind == Batch.Kind.CANCEL,
    }
    return render(request, "meetings/batch_preview.html", context)


@can_edit
@require_GET
def batch_summary(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The preview's totals, judged over every page: asked for by the preview once it shows."""
    the_batch = _draft(request, pk)
    if not the_batch.kind:
        raise Http404
    # Judging every page takes a moment at 1,000 meetings, and paging through the preview
    # asks again and again. The totals are kept for what they were judged on, the change and
    # the meetings as they stand (`inputs`, one cheap query): a meeting saved meanwhile is
    # judged anew, as the rows and the confirmation judge it.
    judged_on = [the_batch.kind, the_batch.change, batch_actions.inputs(the_batch)]
    digest = hashlib.sha256(json.dumps(judged_on, sort_keys=True).encode()).hexdigest()
    key = f"batch-summary:{the_batch.pk}:{digest}"
    counts = cache.get_or_set(key, lambda: batch_actions.summary(the_batch), SUMMARY_SECONDS)
    context = {"batch": the_batch, "counts": counts}
    return render(request, "meetings/batch_preview.html#summary", context)


@can_edit
@require_POST
def batch_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    the_batch = _draft(request, pk)
    done = batch_actions.confirm(the_batch, actor=request.user, source_ip=audit.client_ip(request))
    if done:
        the_batch.refresh_from_db()
        messages.success(
            request,
            ngettext(
                "%(count)d meeting changed; WeCom will be updated shortly.",
                "%(count)d meetings changed; WeCom will be updated shortly.",
                the_batch.applied,
            )
            % {"count": the_batch.applied},
        )
    return redirect("meetings:batch", the_batch.pk)


PROGRESS_FILTERS = (
    "",
    batch_actions.DONE,
    batch_actions.WAITING,
    batch_actions.FAILED,
    batch_actions.REFUSED,
)


@can_edit
@require_GET
def batch_progress(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    the_batch = _draft(request, pk)
    if the_batch.state == Batch.State.DRAFT:
        return redirect("meetings:batch_change", the_batch.pk)
    state = request.GET.get("state", "")
    if state not in PROGRESS_FILTERS:
        state = ""
    counts = batch_actions.counts(the_batch)
    calendars = dict(Calendar.objects.values_list("cal_id", "summary"))
    context = {
        "batch": the_batch,
        "change_words": batch_actions.Change.of(the_batch).words(calendars),
        "counts": counts,
        "total": sum(counts.values()),
        "state": state,
        "page": batch_actions.progress_page(the_batch, state, request.GET.get("page")),
        # Settled once no action waits for WeCom's answer and no meeting is on its way again
        # (a Retry from a failed row): until then the page follows the worker.
        "settled": counts[batch_actions.WAITING] == 0 and not batch_actions.in_hand(the_batch),
        "back": _list_url(the_batch),
    }
    template = "meetings/batch_progress.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#progress"
    return render(request, template, context)


@can_edit
@require_GET
def batch_list(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(batch_actions.confirmed(), 25).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    totals = batch_actions.batch_counts(page.object_list)
    calendars = dict(Calendar.objects.values_list("cal_id", "summary"))
    changes = {item.pk: batch_actions.Change.of(item) for item in page.object_list}
    names = presenters.person_labels(c.userid for c in changes.values() if c.userid)
    # Put on each batch for the template, which reads them as the batch's own.
    for item in page.object_list:
        item.counts = totals[item.pk]  # type: ignore[attr-defined]
        item.words = changes[item.pk].words(calendars, names)  # type: ignore[attr-defined]
    return render(request, "meetings/batches.html", {"page": page})


def _list_url(the_batch):
    url = reverse("meetings:list")
    query = the_batch.filter_query
    if query and url_has_allowed_host_and_scheme(f"?{query}", allowed_hosts=None):
        url += f"?{query}"
    return url
