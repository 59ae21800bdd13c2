"""The auditors' view: audit events, sync attempts and meetings, read-only for everyone.

Nobody adds, changes or deletes anything here, superusers included: the record is written by
the actions alone (and the database refuses the rest anyway, see migrations 0003 and 0008).
Superusers also administer users and groups here, with Django's own pages: every change of
who may do what is recorded by meetings.signals, with the person signed in here as the actor
(AuditAdminSite.admin_view names them).
"""

import csv
import json
from datetime import UTC

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import audit, payloads, presenters, sync
from .actions import account as account_actions
from .actions import batch as batch_actions
from .models import Account, AuditEvent, Calendar, Meeting, SyncAttempt


class ReadOnly:
    """Nobody adds, changes or deletes here, superusers included: the admin is for review."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LookupsInRange(admin.ModelAdmin):
    """A filter whose value the database cannot compare is one the list cannot use, answered
    as Django answers a lookup no field takes: back to the list, unfiltered (`?e=1`). Django
    turns a wrong value into that, but not one out of range: a date whose midnight falls in
    year 0 in UTC (`at__gte=0001-01-01`), a year no date has (`start__year=99999`, or 9999,
    whose next year the date hierarchy asks for). Such a value fails while the list is made,
    in Django's code or at its first query (the count), so the making of the list is guarded
    as a whole, for every filter at once: the export makes the same list."""

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class ReadOnlyAdmin(ReadOnly, LookupsInRange):
    actions = None


class ReadOnlyInline(ReadOnly):
    extra = 0
    max_num: int | None = 0
    can_delete = False
    show_change_link = False


def changes_table(changes, names=None):
    """An event's changes as the edit page says them, with the raw value (what WeCom, or the
    record, holds) beside each."""
    lines = presenters.change_lines(changes, names)
    if not lines:
        return "—"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>→</td><td>{}</td>"
        '<td><code class="raw">{} → {}</code></td></tr>',
        ((label, old, new, raw_old, raw_new) for label, old, new, raw_old, raw_new, _f in lines),
    )
    return format_html(
        '<table class="audit-changes"><thead><tr><th>{}</th><th>{}</th><th></th><th>{}</th>'
        "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
        _("Field"),
        _("Old"),
        _("New"),
        _("As stored"),
        rows,
    )


def with_outcomes(queryset):
    """Events with their effective outcome (that of their newest settlement, their own when
    none settled them), the settling event and WeCom's last answer to the attempts they
    caused."""
    newest = AuditEvent.objects.filter(settles=OuterRef("pk")).order_by("-at", "-pk")
    # The meeting's calls, not the app message that told the administrator (meetings.notify).
    answer = (
        SyncAttempt.objects.filter(event=OuterRef("pk"))
        .exclude(path="message/send")
        .order_by("-started_at", "-pk")
    )
    return queryset.with_outcome().annotate(
        settled_by=Subquery(newest.values("pk")[:1]),
        answer_errcode=Subquery(answer.values("errcode")[:1]),
        answer_errmsg=Subquery(answer.values("errmsg")[:1]),
    )


def outcome_words(code):
    try:
        return str(AuditEvent.Outcome(code).label)
    except ValueError:
        return code or "—"


class EffectiveOutcomeFilter(admin.SimpleListFilter):
    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return AuditEvent.Outcome.choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # How things stand: a settlement that a newer one of the same action replaced is
        # history (its action is listed by its outcome now), so that "pending" or "failed"
        # finds only what is still so.
        newest = AuditEvent.objects.filter(settles=OuterRef("settles")).order_by("-at", "-pk")
        return queryset.filter(effective_outcome=self.value()).filter(
            Q(settles__isnull=True) | Q(pk=Subquery(newest.values("pk")[:1]))
        )


class _Echo:
    def write(self, value):
        return value


# A cell a spreadsheet would read as a formula (or a DDE command) starts with one of these;
# a leading apostrophe makes it text, the way a person types such a value by hand.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def export_columns():
    """(heading, value of an event) for each CSV column: the readable value, then the raw
    one."""
    return (
        (_("event"), lambda e, n: e.pk),
        (_("time"), lambda e, n: presenters.zoned(e.at)),
        (_("time (UTC)"), lambda e, n: e.at.astimezone(UTC).isoformat()),
        (_("actor"), lambda e, n: e.actor_username),
        (_("action"), lambda e, n: e.get_action_display()),
        (_("action (as stored)"), lambda e, n: e.action),
        (_("meeting"), lambda e, n: e.title or (e.meeting.title if e.meeting else "")),
        (_("meeting ID"), lambda e, n: event_meetingid(e)),
        # The number people know the meeting by.
        (_("meeting code"), lambda e, n: e.meeting.meeting_code if e.meeting else ""),
        (_("version"), lambda e, n: presenters.raw_value(e.version)),
        (_("outcome"), lambda e, n: outcome_words(e.effective_outcome)),
        (_("outcome (as stored)"), lambda e, n: e.effective_outcome),
        (_("outcome when written"), lambda e, n: e.outcome),
        (_("settled by event"), lambda e, n: e.settled_by or ""),
        (_("settles event"), lambda e, n: e.settles_id or ""),
        (_("WeCom errcode"), lambda e, n: presenters.raw_value(e.answer_errcode)),
        (_("WeCom errmsg"), lambda e, n: e.answer_errmsg or ""),
        (_("source address"), lambda e, n: e.source_ip or ""),
        (
            _("changes"),
            lambda e, n: "; ".join(
                f"{label}: {old} → {new}"
                for label, old, new, *_raw in presenters.change_lines(e.changes, n)
            ),
        ),
        (_("changes (as stored)"), lambda e, n: json.dumps(e.changes, ensure_ascii=False)),
        (_("detail"), lambda e, n: presenters.detail_words(e.detail)),
        (_("detail (as stored)"), lambda e, n: e.detail),
        (_("batch change"), lambda e, n: e.batch_id or ""),
        (_("hash"), lambda e, n: e.hash or ""),
    )


def batch_words(batch):
    """A batch change as the record names it: its number, the change, who confirmed it."""
    return _("batch %(pk)s: %(change)s, by %(who)s") % {
        "pk": batch.pk,
        "change": batch_actions.Change.of(batch).words(),
        "who": batch.actor_username,
    }


def meeting_link(pk, title, meetingid):
    """A meeting as the record names it, its title and WeCom ID, linked to its admin page when
    its row is known (`pk`)."""
    if not title and not meetingid:
        return "—"
    shown = (
        format_html("{} ({})", title, meetingid or _("not yet created in WeCom"))
        if title
        else meetingid
    )
    if pk is None:
        return shown
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:meetings_meeting_change", args=[pk]), shown
    )


def event_meetingid(event):
    """The WeCom ID of the event's meeting: the event's own copy, or, for an event written
    before WeCom gave the meeting one (its creation), the meeting's now."""
    if event.meetingid:
        return event.meetingid
    return event.meeting.meetingid if event.meeting is not None else ""


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at_column",
        "actor_username",
        "action_column",
        "meeting_column",
        "outcome_column",
        "source_ip",
    )
    list_filter = (
        "action",
        ("actor_username", admin.AllValuesFieldListFilter),
        EffectiveOutcomeFilter,
        "at",
        # The actions of one batch change, together.
        ("batch", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "at"
    # The meeting's own ID too: events written before WeCom gave it one (its creation) are
    # found with the rest of its story. And its 会议号, the number people know it by. The
    # detail names the user or group a role change concerns. The meeting's title now as well
    # as the one each event wrote: one search finds a renamed meeting's whole story.
    search_fields = (
        "meetingid",
        "meeting__meetingid",
        "meeting__meeting_code",
        "title",
        "meeting__title",
        "actor_username",
        "detail",
    )
    # The meeting (for its WeCom ID once known) in the same query as the events.
    list_select_related = ("meeting",)
    list_per_page = 50
    fields = (
        "at_column",
        "actor_username",
        "action_column",
        "meeting_column",
        "version",
        "outcome_column",
        "source_ip",
        "changes_table",
        "detail_column",
        "settles_column",
        "attempts_list",
        "batch_column",
        "hash",
        "prev_hash",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return with_outcomes(super().get_queryset(request))

    @admin.display(description=_("time"), ordering="at")
    def at_column(self, event):
        return presenters.zoned(event.at)

    @admin.display(description=_("action"), ordering="action")
    def action_column(self, event):
        return event.get_action_display()

    @admin.display(description=_("meeting"), ordering="meetingid")
    def meeting_column(self, event):
        meeting = event.meeting
        return meeting_link(
            meeting and meeting.pk,
            event.title or (meeting.title if meeting else ""),
            event_meetingid(event),
        )

    @admin.display(description=_("outcome"), ordering="effective_outcome")
    def outcome_column(self, event):
        words = outcome_words(getattr(event, "effective_outcome", event.outcome))
        settled_by = getattr(event, "settled_by", None)
        if not settled_by:
            return words
        return format_html(
            '{} (<a href="{}">{}</a>)',
            words,
            reverse("admin:meetings_auditevent_change", args=[settled_by]),
            _("settled by event %(pk)s") % {"pk": settled_by},
        )

    @admin.display(description=_("changes"))
    def changes_table(self, event):
        return changes_table(event.changes)

    @admin.display(description=_("detail"))
    def detail_column(self, event):
        words = presenters.detail_words(event.detail)
        if words == (event.detail or "—"):
            return words
        return format_html('{} <code class="raw">{}</code>', words, event.detail)

    @admin.display(description=_("settles"))
    def settles_column(self, event):
        if not event.settles_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:meetings_auditevent_change", args=[event.settles_id]),
            _("event %(pk)s") % {"pk": event.settles_id},
        )

    @admin.display(description=_("batch change"))
    def batch_column(self, event):
        if not event.batch_id:
            return "—"
        url = reverse("admin:meetings_auditevent_changelist")
        return format_html(
            '<a href="{}?batch__id__exact={}">{}</a>',
            url,
            event.batch_id,
            batch_words(event.batch),
        )

    @admin.display(description=_("sync attempts it caused"))
    def attempts_list(self, event):
        attempts = list(event.attempts.order_by("started_at", "pk"))
        if not attempts:
            return "—"
        return format_html_join(
            "",
            '<div><a href="{}">{} {} · {} · errcode {} {}</a></div>',
            (
                (
                    reverse("admin:meetings_syncattempt_change", args=[a.pk]),
                    presenters.zoned(a.started_at),
                    a.path,
                    a.get_outcome_display(),
                    presenters.raw_value(a.errcode),
                    a.errmsg,
                )
                for a in attempts
            ),
        )

    def get_urls(self):
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="meetings_auditevent_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request):
        """The change list as filtered and searched, as CSV, streamed row by row: each value
        in words and as stored, times in the site's zone (named) and in UTC, the outcome as
        it stands now and WeCom's answer. No cell can start a formula."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
            events = (
                changelist.get_queryset(request).select_related("meeting").iterator(chunk_size=1000)
            )
        except IncorrectLookupParameters:
            # A filter no field takes: answered as the change list answers it.
            url = reverse("admin:meetings_auditevent_changelist")
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        writer = csv.writer(_Echo())
        columns = export_columns()
        names = presenters.NameBook()

        def lines():
            yield "\ufeff"  # so that Excel reads the Chinese titles as UTF-8
            yield writer.writerow([cell(heading) for heading, _value in columns])
            for event in events:
                yield writer.writerow([cell(value(event, names)) for _h, value in columns])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        return response


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ReadOnlyAdmin):
    list_display = (
        "started_column",
        "meeting_column",
        "version",
        "path",
        "outcome",
        "errcode",
        "duration_ms",
        "event_column",
    )
    list_filter = ("outcome", "path", "started_at")
    date_hierarchy = "started_at"
    search_fields = ("meetingid", "meeting__meetingid", "meeting__meeting_code", "errmsg")
    list_select_related = ("event",)
    list_per_page = 50
    fields = (
        "started_column",
        "meeting_column",
        "version",
        "path",
        "outcome",
        "errcode",
        "errmsg",
        "duration_ms",
        "event_column",
        "request_json",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # The meeting's title by a subquery, not a join: a call stays in the record, and in
        # this list, whatever became of its meeting's row.
        meeting = Meeting.objects.filter(pk=OuterRef("meeting_id"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                meeting_title=Subquery(meeting.values("title")[:1]),
                # A create is sent before WeCom names the meeting: the name it gave since.
                meeting_meetingid=Subquery(meeting.values("meetingid")[:1]),
            )
        )

    @admin.display(description=_("started"), ordering="started_at")
    def started_column(self, attempt):
        return presenters.zoned(attempt.started_at)

    @admin.display(description=_("meeting"), ordering="meetingid")
    def meeting_column(self, attempt):
        known = attempt.meeting_title is not None
        return meeting_link(
            attempt.meeting_id if known else None,
            attempt.meeting_title or "",
            attempt.meetingid or attempt.meeting_meetingid,
        )

    @admin.display(description=_("caused by"))
    def event_column(self, attempt):
        event = attempt.event
        if event is None:
            return "—"
        return format_html(
            '<a href="{}">{} · {} · {}</a>',
            reverse("admin:meetings_auditevent_change", args=[event.pk]),
            event.get_action_display(),
            event.actor_username,
            presenters.zoned(event.at),
        )

    @admin.display(description=_("request"))
    def request_json(self, attempt):
        return format_html(
            "<pre>{}</pre>", json.dumps(attempt.request, ensure_ascii=False, indent=2)
        )


class EventInline(ReadOnlyInline, admin.TabularInline):
    model = AuditEvent
    fk_name = "meeting"
    fields = ("at_column", "actor_username", "action_column", "outcome_column", "changes_table")
    readonly_fields = fields
    ordering = ("-at", "-pk")
    show_change_link = True

    def get_queryset(self, request):
        return with_outcomes(super().get_queryset(request))

    at_column = AuditEventAdmin.at_column
    action_column = AuditEventAdmin.action_column
    outcome_column = AuditEventAdmin.outcome_column
    changes_table = AuditEventAdmin.changes_table


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = (
        "meetingid",
        "meeting_code",
        "title",
        "start",
        "status",
        "sync_state",
        "version",
    )
    list_filter = ("status", "sync_state")
    search_fields = ("meetingid", "meeting_code", "title")
    date_hierarchy = "start"
    # WeCom's confirmed state and the conflicting values hold the password and the host key:
    # they are shown through the redacting columns below instead. What the meeting is (its
    # time, people, settings and recurrence) is shown as its page says it (`described`),
    # not as raw columns: the settings that do not apply left out, times and people in words.
    exclude = (
        "lease_owner",
        "lease_expires",
        "synced_state",
        "conflict",
        "admin_userid",
        "start",
        "duration",
        "description",
        "location",
        "cal_id",
    )
    inlines = (EventInline,)

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in Meeting._meta.fields if f.name not in self.exclude]
        return ["described", *names, "synced_state_redacted", "conflict_redacted"]

    @admin.display(description=_("the meeting, as its page shows it"))
    def described(self, meeting):
        calendars = dict(Calendar.objects.values_list("cal_id", "summary"))
        organiser, sections = presenters.described(
            meeting, payloads.desired_body(meeting), calendars
        )
        who = presenters.person_html(organiser) if meeting.admin_userid else "—"
        head = format_html('<dl class="described"><dt>{}</dt><dd>{}</dd></dl>', _("Organiser"), who)
        return head + format_html_join(
            "",
            '<h3>{}</h3><dl class="described">{}</dl>',
            (
                (legend, format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))
                for legend, rows in sections
            ),
        )

    @admin.display(description=_("state confirmed by WeCom"))
    def synced_state_redacted(self, meeting):
        return _json_block(sync.redact(meeting.synced_state or {}))

    @admin.display(description=_("conflicting fields"))
    def conflict_redacted(self, meeting):
        shown = {
            name: {side: audit.masked(name, value) for side, value in values.items()}
            for name, values in (meeting.conflict or {}).items()
        }
        return _json_block(shown)


def _json_block(value):
    if not value:
        return "—"
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2))


class UserChangeForm(auth_forms.UserChangeForm):
    """Django's user form with the person's WeCom userid (meetings.Account) beside it."""

    wecom_userid = forms.CharField(
        label=_("WeCom userid"),
        required=False,
        max_length=64,
        validators=Account._meta.get_field("wecom_userid").validators,
        help_text=Account._meta.get_field("wecom_userid").help_text,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account = Account.objects.filter(user_id=self.instance.pk).first()
        self.fields["wecom_userid"].initial = account.wecom_userid if account else ""


class UserAdmin(LookupsInRange, auth_admin.UserAdmin):
    """Django's user pages (superusers only), with the WeCom userid where the app's messages
    about the person's changes go, and what WeCom last answered about it. A change of it is
    recorded (meetings.signals)."""

    form = UserChangeForm
    fieldsets = (
        # Django's own are set; the stubs type the attribute as optional.
        *(auth_admin.UserAdmin.fieldsets or ()),
        (_("WeCom"), {"fields": ("wecom_userid", "wecom_answer")}),
    )
    readonly_fields = (*auth_admin.UserAdmin.readonly_fields, "wecom_answer")

    @admin.display(description=_("WeCom's answer"))
    def wecom_answer(self, user):
        account = Account.objects.filter(user_id=user.pk).first()
        if account is None or not account.wecom_refusal:
            return "—"
        when = presenters.zoned(account.wecom_refused_at)
        return f"{account.get_wecom_refusal_display()} ({when})"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Only when the page sent the field: a form posted without it changes nothing.
        if "wecom_userid" in form.data and "wecom_userid" in form.changed_data:
            account_actions.set_wecom_userid(obj, form.cleaned_data["wecom_userid"])


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserAdmin)
