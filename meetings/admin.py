"""The auditors' view: audit events, sync attempts and meetings, read-only for everyone.

Nobody adds, changes or deletes anything here, superusers included: the record is written by
the actions alone (and the database refuses the rest anyway, see migration 0003). Superusers
also administer users here; their group and flag changes are recorded as role changes.
"""

import csv
import json

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import actions, audit, sync
from .models import AuditEvent, Meeting, MeetingSettings, Reminders, SyncAttempt
from .templatetags.meeting_words import label


class ReadOnly:
    """Nobody adds, changes or deletes here, superusers included: the admin is for review."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    actions = None


class ReadOnlyInline(ReadOnly):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


def _words(value):
    if value in (None, ""):
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _field_name(path):
    try:
        return str(label(path))
    except (FieldDoesNotExist, KeyError, ValueError):
        return path


def changes_table(changes):
    if not changes:
        return "—"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                _field_name(row.get("field", "")),
                _words(row.get("old")),
                "→",
                _("changed") if row.get("secret") else _words(row.get("new")),
            )
            for row in changes
        ),
    )
    return format_html(
        '<table class="audit-changes"><thead><tr><th>{}</th><th>{}</th><th></th><th>{}</th>'
        "</tr></thead><tbody>{}</tbody></table>",
        _("Field"), _("Old"), _("New"), rows,
    )


EXPORT_COLUMNS = (
    "at", "actor_username", "action", "meetingid", "title", "version", "outcome", "source_ip",
    "changes", "detail",
)


class _Echo:
    def write(self, value):
        return value


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_username", "action", "meeting_column", "outcome", "source_ip")
    list_filter = (
        "action",
        ("actor_username", admin.AllValuesFieldListFilter),
        "outcome",
        "at",
    )
    date_hierarchy = "at"
    # The meeting's own ID too: events written before WeCom gave it one (its creation) are
    # found with the rest of its story.
    search_fields = ("meetingid", "meeting__meetingid", "title", "actor_username")
    # Every column is a copy on the event itself: one query per page, whatever its length.
    list_select_related = ()
    list_per_page = 50
    fields = (
        "at", "actor_username", "action", "meeting_column", "version", "outcome",
        "source_ip", "changes_table", "detail", "attempts_list",
    )
    readonly_fields = fields

    @admin.display(description=_("meeting"), ordering="meetingid")
    def meeting_column(self, event):
        if not event.meetingid:
            return "—"
        return f"{event.title} ({event.meetingid})" if event.title else event.meetingid

    @admin.display(description=_("changes"))
    def changes_table(self, event):
        return changes_table(event.changes)

    @admin.display(description=_("sync attempts it caused"))
    def attempts_list(self, event):
        attempts = list(event.attempts.order_by("started_at", "pk"))
        if not attempts:
            return "—"
        return format_html_join(
            "",
            '<div><a href="{}">{} {} · {} · errcode {}</a></div>',
            (
                (
                    reverse("admin:meetings_syncattempt_change", args=[a.pk]),
                    f"{a.started_at:%Y-%m-%d %H:%M:%S}", a.path, a.get_outcome_display(),
                    _words(a.errcode),
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
        """The change list as filtered and searched, as CSV, streamed row by row."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
            events = changelist.get_queryset(request).iterator(chunk_size=1000)
        except IncorrectLookupParameters:
            # A filter no field takes: answered as the change list answers it.
            url = reverse("admin:meetings_auditevent_changelist")
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff"  # so that Excel reads the Chinese titles as UTF-8
            yield writer.writerow(EXPORT_COLUMNS)
            for event in events:
                yield writer.writerow([
                    event.at.isoformat(), event.actor_username, event.action, event.meetingid,
                    event.title, _words(event.version), event.outcome, event.source_ip or "",
                    json.dumps(event.changes, ensure_ascii=False), event.detail,
                ])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        return response


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at", "meetingid", "version", "path", "outcome", "errcode", "duration_ms",
        "event_column",
    )
    list_filter = ("outcome", "path", "started_at")
    date_hierarchy = "started_at"
    search_fields = ("meetingid", "meeting__meetingid", "errmsg")
    list_select_related = ("event",)
    list_per_page = 50
    fields = (
        "started_at", "meetingid", "version", "path", "outcome", "errcode", "errmsg",
        "duration_ms", "event_column", "request_json",
    )
    readonly_fields = fields

    @admin.display(description=_("caused by"))
    def event_column(self, attempt):
        event = attempt.event
        if event is None:
            return "—"
        return format_html(
            '<a href="{}">{} · {} · {}</a>',
            reverse("admin:meetings_auditevent_change", args=[event.pk]),
            event.get_action_display(), event.actor_username, f"{event.at:%Y-%m-%d %H:%M:%S}",
        )

    @admin.display(description=_("request"))
    def request_json(self, attempt):
        return format_html(
            "<pre>{}</pre>", json.dumps(attempt.request, ensure_ascii=False, indent=2)
        )


class SettingsInline(ReadOnlyInline, admin.StackedInline):
    model = MeetingSettings
    # The password and the host key are for the edit page only; here only whether they are set.
    exclude = ("password", "host_key")
    readonly_fields = ("password_set", "host_key_set")

    @admin.display(description=_("meeting password"))
    def password_set(self, settings):
        return _("set") if settings.password else _("not set")

    @admin.display(description=_("host key value"))
    def host_key_set(self, settings):
        return _("set") if settings.host_key else _("not set")

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in MeetingSettings._meta.fields if f.name not in self.exclude]
        return [*names, *self.readonly_fields]


class RemindersInline(ReadOnlyInline, admin.StackedInline):
    model = Reminders

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Reminders._meta.fields]


class EventInline(ReadOnlyInline, admin.TabularInline):
    model = AuditEvent
    fk_name = "meeting"
    fields = ("at", "actor_username", "action", "outcome", "changes_table")
    readonly_fields = fields
    ordering = ("-at", "-pk")
    show_change_link = True

    @admin.display(description=_("changes"))
    def changes_table(self, event):
        return changes_table(event.changes)


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("meetingid", "title", "start", "status", "sync_state", "version")
    list_filter = ("status", "sync_state")
    search_fields = ("meetingid", "title")
    date_hierarchy = "start"
    # WeCom's confirmed state and the conflicting values hold the password and the host key:
    # they are shown through the redacting columns below instead.
    exclude = ("lease_owner", "lease_expires", "synced_state", "conflict")
    inlines = (SettingsInline, RemindersInline, EventInline)

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in Meeting._meta.fields if f.name not in self.exclude]
        return [*names, "synced_state_redacted", "conflict_redacted"]

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


# --- users: superusers give and take roles here, and each change is recorded ----------------

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(UserAdmin):
    FLAGS = ("is_staff", "is_superuser", "is_active")

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            before = User.objects.filter(pk=obj.pk).values(*self.FLAGS).first() or {}
        with audit.acting(request.user, audit.client_ip(request)):
            super().save_model(request, obj, form, change)
            flipped = [
                (name, before.get(name), getattr(obj, name))
                for name in self.FLAGS
                if before.get(name, False) != getattr(obj, name)
            ]
            actions.record_role_change(obj, flags=flipped)

    def save_related(self, request, form, formsets, change):
        # The group changes arrive as signals; this names who made them.
        with audit.acting(request.user, audit.client_ip(request)):
            super().save_related(request, form, formsets, change)
