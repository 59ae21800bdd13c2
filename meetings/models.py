"""Meetings and calendars as WeCom knows them, plus what the sync needs.

The typed columns hold the *desired* state: what the administrators decided. `synced_state`
holds the last state WeCom confirmed, in WeCom's own JSON shape, so the worker can tell a
change made here from one made in WeCom. Structural rules of the update page are database
constraints too, so that nothing that bypasses the form stores an impossible meeting.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection, models, router
from django.db.models import Q
from django.db.models.functions import Coalesce, Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .fields import (
    DURATION_MAX,
    DURATION_MIN,
    HOST_KEY_REGEX,
    PASSWORD_REGEX,
    USERID_REGEX,
    choices,
)
from .fields import FIELDS as BODY

models.CharField.register_lookup(Length)


def participant_rows(meeting_id: str) -> str:
    """The SQL of a meeting's lists of userids as (role, userid, position) rows, each list in
    its order; `meeting_id` is the SQL that names the meeting. Written out for the readers
    of every request and every sync (`Meeting.load_userids`, `rows.userid_pairs`): the ORM took
    twice as long to build this query as the database took to answer it."""
    # Only the model's own table name goes into the text.
    table = connection.ops.quote_name(Participant._meta.db_table)
    return (
        f"SELECT role, userid, position FROM {table} "  # noqa: S608
        f"WHERE meeting_id = {meeting_id} ORDER BY role, position"
    )


class Status(models.IntegerChoices):
    SCHEDULED = 1, _("Scheduled")
    IN_PROGRESS = 2, _("In progress")
    ENDED = 3, _("Ended")
    CANCELLED = 4, _("Cancelled")
    EXPIRED = 5, _("Expired")

    @classmethod
    def label_of(cls, value):
        """The label of a status WeCom reported, or the number of one it added later."""
        return cls(value).label if value in cls.values else str(value)


class Calendar(models.Model):
    cal_id = models.CharField(_("calendar ID"), max_length=64, unique=True)
    summary = models.CharField(_("name"), max_length=128)
    color = models.CharField(_("colour"), max_length=7, default="#0055FF")
    description = models.CharField(_("description"), max_length=512, blank=True)
    admins = models.JSONField(_("administrators"), default=list, blank=True)
    shares = models.JSONField(_("shared with"), default=list, blank=True)

    class Meta:
        ordering = ["summary"]
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        constraints = [
            models.CheckConstraint(
                condition=Q(cal_id__length__gte=1), name="calendar_cal_id_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9A-Fa-f]{6}$"), name="calendar_color_rgb"
            ),
        ]

    def __str__(self):
        return self.summary


class LastOccurrence(models.Func):
    """The unix start of the last occurrence in a sub_meetings list (WeCom lists them in
    order of start), or NULL: a column the database computes, so that "still meets on or
    after a day" is an indexed comparison whoever wrote the list."""

    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="json_extract(%(expressions)s, '$[#-1].start')"
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="((%(expressions)s -> -1) ->> 'start')::bigint"
        )


class SyncState(models.TextChoices):
    SYNCED = "synced", _("Synced")
    PENDING = "pending", _("Waiting to sync")
    SYNCING = "syncing", _("Syncing")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")
    CONFLICT = "conflict", _("Conflict")


class Meeting(models.Model):
    # WeCom's ID, None until the worker has created a meeting made here (NULLs are distinct
    # to the unique index, so any number of meetings can be on their way).
    meetingid = models.CharField(_("meeting ID"), max_length=64, unique=True, null=True, blank=True)
    # The 会议号 every WeCom client shows; indexed, as administrators search by it.
    meeting_code = models.CharField(_("meeting code"), max_length=32, blank=True, db_index=True)
    meeting_link = models.URLField(_("meeting link"), max_length=512, blank=True)
    admin_userid = models.CharField(_("organiser"), max_length=64)
    title = models.CharField(_("title"), max_length=255)
    start = models.DateTimeField(_("start"), db_index=True)
    duration = models.PositiveIntegerField(_("duration (seconds)"))
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=36, blank=True)
    cal_id = models.CharField(_("calendar ID"), max_length=64, blank=True)
    status = models.PositiveSmallIntegerField(
        _("status"), choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )

    # A cancellation decided here, of the whole meeting or of some occurrences (their WeCom
    # sub_meetingids): part of the desired state, carried out by the worker like an edit.
    cancel_requested = models.BooleanField(_("cancellation requested"), default=False)
    cancel_sub_meetingids = models.JSONField(_("occurrences to cancel"), default=list, blank=True)
    # The occurrences of a recurring meeting as get_info last listed them (at import, after
    # every write and every pull): [{"sub_meetingid": …, "start": unix, "end": unix,
    # "deleted": bool}]. WeCom names an occurrence by its start, so a series that moves
    # renames them; the cancels above follow their occurrence by date (sync.plan).
    sub_meetings = models.JSONField(_("occurrences"), default=list, blank=True)
    last_occurrence = models.GeneratedField(
        expression=LastOccurrence("sub_meetings"),
        output_field=models.BigIntegerField(null=True),
        db_persist=True,
        db_index=True,
        verbose_name=_("last occurrence"),
    )

    # The desired version grows with every saved edit; WeCom has it once synced_version
    # catches up. synced_state is WeCom's last confirmed answer in update-body shape.
    version = models.PositiveIntegerField(_("version"), default=1)
    synced_version = models.PositiveIntegerField(_("synced version"), default=0)
    synced_state = models.JSONField(_("state confirmed by WeCom"), null=True, blank=True)
    sync_state = models.CharField(
        _("sync state"),
        max_length=16,
        choices=SyncState.choices,
        default=SyncState.PENDING,
        db_index=True,
    )
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # Why the last try failed, in the site's language for the record, and the field it
    # concerns; `sync_problem` holds the same as a code with parameters (meetings.problems),
    # which the pages render in the reader's language.
    sync_error = models.TextField(_("sync problem"), blank=True)
    sync_problem = models.JSONField(_("sync problem (code)"), null=True, blank=True)
    # A read of WeCom asked for (a callback said the meeting changed there). It is no new
    # desired version: a read that finds nothing new leaves open edit forms valid.
    pull_requested = models.BooleanField(_("read from WeCom requested"), default=False)
    sync_error_field = models.CharField(_("field concerned"), max_length=64, blank=True)
    sync_errcode = models.IntegerField(_("WeCom errcode"), null=True, blank=True)
    sync_tries = models.PositiveSmallIntegerField(_("tries for this version"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), null=True, blank=True)
    # A worker's claim on the meeting; it lapses on its own so a dead worker holds nothing.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires = models.DateTimeField(null=True, blank=True)
    # Fields changed both here and in WeCom: {field: {"mine": …, "wecom": …}}.
    conflict = models.JSONField(_("conflicting fields"), default=dict, blank=True)
    excess_users = models.JSONField(
        _("invitees without a meeting account"), default=list, blank=True
    )
    # The last save here, and the first since WeCom was last up to date: the sync waits for
    # saves to settle from the one, but never long after the other (meetings.settle).
    saved_at = models.DateTimeField(_("last saved"), null=True, blank=True)
    unsynced_since = models.DateTimeField(_("unsynced since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        # The web UI's edit right, apart from Django's change_meeting: the admin never edits
        # meetings, so nobody needs that one.
        permissions = [("edit_meeting", _("Can edit meetings and settle their sync"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__gte=DURATION_MIN) & Q(duration__lte=DURATION_MAX),
                name="meeting_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(title__length__gte=1), name="meeting_title_not_empty"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="meeting_status"),
            models.CheckConstraint(
                condition=Q(synced_version__lte=models.F("version")),
                name="meeting_synced_not_ahead",
            ),
        ]

    def __str__(self):
        meetingid = self.meetingid or _("not yet in WeCom")
        return f"{self.title} ({meetingid})"

    @property
    def end(self):
        return self.start + timedelta(seconds=self.duration)

    @property
    def in_wecom(self):
        """Whether WeCom has created the meeting yet (it has, once it gave it an ID)."""
        return self.meetingid is not None

    @property
    def is_editable(self):
        return self.status == Status.SCHEDULED and not self.cancel_requested

    def occurrence(self, sub_meetingid):
        """The occurrence WeCom listed under this sub_meetingid, or None."""
        return next((o for o in self.sub_meetings if o["sub_meetingid"] == sub_meetingid), None)

    @staticmethod
    def occurrence_status(occurrence, now=None):
        """An occurrence's status in the meeting's words. get_info flags only whether it
        exists (sub_meetings[].status 0) or was deleted (1); its times say the rest."""
        if occurrence.get("deleted"):
            return Status.CANCELLED
        now = (now or timezone.now()).timestamp()
        if now < occurrence["start"]:
            return Status.SCHEDULED
        return Status.IN_PROGRESS if now < occurrence["end"] else Status.ENDED

    def can_cancel(self, occurrence):
        """Whether this occurrence is still to come and not already being cancelled."""
        return (
            self.is_editable
            and self.occurrence_status(occurrence) == Status.SCHEDULED
            and occurrence["sub_meetingid"] not in self.cancel_sub_meetingids
        )

    def userids(self, role):
        """The ordered userids of one role, using the lists `load_userids` read or a
        prefetched list when there is one."""
        if self.pk is None:
            return []
        loaded = getattr(self, "_userids", None)
        if loaded is not None:
            return list(loaded.get(role, ()))
        return [p.userid for p in self.participants.all() if p.role == role]

    def load_userids(self, pairs=None):
        """Read every list of userids in one query of plain values, or take them from
        `pairs` when the meeting's query read them (`rows.whole_meeting`): a page over a meeting
        with hundreds of invitees would otherwise spend most of its time building a model
        object per participant."""
        loaded: dict[str, list[str]] = {}
        if pairs is None:
            with connection.cursor() as cursor:
                cursor.execute(participant_rows("%s"), [self.pk])
                pairs = cursor.fetchall()
        # Rows read here carry their position too; the order already says it.
        for role, userid, *_position in pairs:
            loaded.setdefault(role, []).append(userid)
        self._userids = loaded
        return self

    @property
    def invitees(self):
        return self.userids(Participant.Role.INVITEE)

    @property
    def hosts(self):
        return self.userids(Participant.Role.HOST)

    @property
    def ring_users(self):
        return self.userids(Participant.Role.RING_USER)


class Participant(models.Model):
    """One userid in one of a meeting's lists, in its place: rows rather than a JSON list so
    that "meetings where lisi is invited" is an indexed query on every database."""

    class Role(models.TextChoices):
        INVITEE = "invitee", _("Invitee")
        HOST = "host", _("Host")
        RING_USER = "ring_user", _("Rings")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(max_length=16, choices=Role.choices)
    userid = models.CharField(max_length=64, db_index=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["meeting", "role", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "role", "userid"], name="participant_once_per_role"
            ),
            models.CheckConstraint(
                condition=Q(userid__regex=USERID_REGEX),
                name="participant_userid_format",
            ),
        ]

    def __str__(self):
        return f"{self.userid} ({self.role})"


class MeetingSettings(models.Model):
    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, primary_key=True, related_name="settings"
    )
    password = models.CharField(_("meeting password"), max_length=6, blank=True)
    enable_waiting_room = models.BooleanField(_("waiting room"), default=False)
    allow_enter_before_host = models.BooleanField(_("may join before the host"), default=True)
    enable_enter_mute = models.PositiveSmallIntegerField(
        _("mute on entry"), choices=choices("settings.enable_enter_mute"), default=2
    )
    allow_unmute_self = models.BooleanField(_("participants may unmute themselves"), default=True)
    mute_all = models.BooleanField(_("mute everyone"), default=False)
    allow_external_user = models.BooleanField(
        _("people outside the company may join"), default=True
    )
    enable_screen_watermark = models.BooleanField(_("screen watermark"), default=False)
    watermark_type = models.PositiveSmallIntegerField(
        _("watermark style"), choices=choices("settings.watermark_type"), default=0
    )
    auto_record_type = models.CharField(
        _("automatic recording"),
        max_length=8,
        choices=choices("settings.auto_record_type"),
        default="none",
    )
    attendee_join_auto_record = models.BooleanField(
        _("start cloud recording when a participant joins"), default=False
    )
    enable_host_pause_auto_record = models.BooleanField(
        _("host may pause or stop cloud recording"), default=True
    )
    enable_enroll = models.BooleanField(_("registration"), default=False)
    enable_host_key = models.BooleanField(_("host key"), default=False)
    host_key = models.CharField(_("host key value"), max_length=6, blank=True)
    remind_scope = models.PositiveSmallIntegerField(
        pgettext_lazy("ring reminder", "ring at start"),
        choices=choices("settings.remind_scope"),
        default=2,
    )

    class Meta:
        verbose_name = _("meeting settings")
        verbose_name_plural = _("meeting settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(password="") | Q(password__regex=PASSWORD_REGEX),
                name="settings_password_digits",
            ),
            models.CheckConstraint(
                condition=Q(host_key="") | Q(host_key__regex=HOST_KEY_REGEX),
                name="settings_host_key_digits",
            ),
            models.CheckConstraint(
                condition=Q(enable_enter_mute__in=BODY["settings.enable_enter_mute"].values),
                name="settings_enter_mute",
            ),
            models.CheckConstraint(
                condition=Q(watermark_type__in=BODY["settings.watermark_type"].values),
                name="settings_watermark",
            ),
            models.CheckConstraint(
                condition=Q(auto_record_type__in=BODY["settings.auto_record_type"].values),
                name="settings_auto_record_type",
            ),
            models.CheckConstraint(
                condition=Q(remind_scope__gte=1) & Q(remind_scope__lte=4),
                name="settings_remind_scope_range",
            ),
            models.CheckConstraint(
                condition=Q(allow_unmute_self=True) | Q(mute_all=True),
                name="settings_no_self_unmute_needs_mute_all",
            ),
        ]

    def __str__(self):
        return str(self.meeting)


class Reminders(models.Model):
    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, primary_key=True, related_name="reminders"
    )
    is_repeat = models.BooleanField(_("recurring meeting"), default=False)
    repeat_type = models.PositiveSmallIntegerField(
        _("repeats"), choices=choices("reminders.repeat_type"), default=0
    )
    is_custom_repeat = models.BooleanField(_("custom repeat"), default=False)
    repeat_interval = models.PositiveSmallIntegerField(_("every"), null=True, blank=True)
    repeat_day_of_week = models.JSONField(_("on weekdays"), default=list, blank=True)
    repeat_day_of_month = models.JSONField(_("on days of the month"), default=list, blank=True)
    repeat_until_type = models.PositiveSmallIntegerField(
        _("ends"), choices=choices("reminders.repeat_until_type"), default=0
    )
    repeat_until = models.DateTimeField(_("end date"), null=True, blank=True)
    repeat_until_count = models.PositiveSmallIntegerField(
        _("number of meetings"), null=True, blank=True
    )
    remind_before = models.JSONField(_("remind"), default=list, blank=True)

    class Meta:
        verbose_name = _("recurrence and reminders")
        verbose_name_plural = _("recurrence and reminders")
        constraints = [
            models.CheckConstraint(
                condition=Q(repeat_type__in=BODY["reminders.repeat_type"].values),
                name="reminders_repeat_type",
            ),
            models.CheckConstraint(
                condition=Q(is_custom_repeat=False) | Q(repeat_type__in=[0, 1, 2]),
                name="reminders_custom_repeat_type",
            ),
            models.CheckConstraint(
                condition=Q(repeat_until_type__in=BODY["reminders.repeat_until_type"].values),
                name="reminders_repeat_until_type",
            ),
            models.CheckConstraint(
                condition=Q(repeat_interval__isnull=True) | Q(repeat_interval__gte=1),
                name="reminders_interval_positive",
            ),
            models.CheckConstraint(
                condition=Q(repeat_until_count__isnull=True)
                | (Q(repeat_until_count__gte=1) & Q(repeat_until_count__lte=200)),
                name="reminders_count_range",
            ),
        ]

    def __str__(self):
        return str(self.meeting)


class SyncAttempt(models.Model):
    """One call made to WeCom for one meeting: what was sent (without secrets) and what came
    back. Attempts are a record, so deleting a meeting never deletes them."""

    class Outcome(models.TextChoices):
        OK = "ok", _("Accepted")
        RETRY = "retry", _("Will retry")
        FAILED = "failed", _("Failed")
        CONFLICT = "conflict", _("Conflict")
        NOTHING = "nothing", _("Nothing to send")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.DO_NOTHING, db_constraint=False, related_name="attempts"
    )
    meetingid = models.CharField(_("meeting ID"), max_length=64, db_index=True)
    version = models.PositiveIntegerField(_("version"))
    path = models.CharField(_("call"), max_length=64)
    started_at = models.DateTimeField(_("started"), db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    request = models.JSONField(_("request"), default=dict, blank=True)
    errcode = models.IntegerField(_("errcode"), null=True, blank=True)
    errmsg = models.TextField(_("errmsg"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    # The person's action whose version this call carried (see audit.causing_event).
    event = models.ForeignKey(
        "AuditEvent",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="attempts",
        verbose_name=_("caused by"),
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("sync attempt")
        verbose_name_plural = _("sync attempts")

    def __str__(self):
        return f"{self.meetingid} v{self.version} {self.path}: {self.get_outcome_display()}"


class Notice(models.Model):
    """An app message an administrator must get (meetings.notify): written in the transaction
    of the settlement that calls for it, so that a broker that is down or a worker that dies
    loses nothing; the worker marks it from WeCom's answer, and the sweep queues again what
    is still pending once it is due."""

    class State(models.TextChoices):
        PENDING = "pending", _("To send")
        SENT = "sent", _("Taken by WeCom")
        FAILED = "failed", _("Not delivered")
        SKIPPED = "skipped", _("No longer news, or nobody to tell")

    # The newest sync_result event that settled the person's action as failed or conflict.
    event = models.ForeignKey(
        "AuditEvent",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("settlement"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    # Tries of message/send that reached WeCom, kept here so that a message queued again by
    # the sweep goes on counting (meetings.sync.policy).
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # While pending: when the sweep is to queue it again, should no worker have answered.
    due_at = models.DateTimeField(_("due"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("app message")
        verbose_name_plural = _("app messages")
        indexes = [models.Index(fields=["state", "due_at"], name="notice_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sent", "failed", "skipped"]),
                name="notice_state",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.state}"


def effective(event: str, column: str) -> str:
    """`AuditEventQuerySet.with_outcome`'s effective_outcome in SQL (with "outcome"), of the
    event under the alias `event`, for the written-out query of each sync's ending
    (`audit.causes`): the `column` of its newest settlement, its own when none settled it."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    return (
        f"COALESCE((SELECT newest.{column} FROM {table} newest "  # noqa: S608
        f"WHERE newest.settles_id = {event}.id ORDER BY newest.at DESC, newest.id DESC "
        f"LIMIT 1), {event}.{column})"
    )


class AuditEventQuerySet(models.QuerySet):
    def with_outcome(self):
        """Each event with `effective_outcome`: that of its newest settlement (a sync_result
        event pointing at it), its own when it has none. This says how an action ended, and
        `effective_outcome` below says it in written-out SQL: a test holds them together."""
        newest = (
            AuditEvent.objects.filter(settles=models.OuterRef("pk"))
            .order_by("-at", "-pk")
            .values("outcome")[:1]
        )
        return self.annotate(
            effective_outcome=Coalesce(models.Subquery(newest), models.F("outcome"))
        )


class AuditEvent(models.Model):
    """Who did what to which meeting, when, from where, and how it ended: one row per action,
    written by the action itself in its own transaction. The database refuses to change or
    delete these rows (migration 0003), and nothing cascades into them: an actor or a meeting
    that goes keeps its name and ID here."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        EDIT = "edit", _("Edit")
        CANCEL = "cancel", _("Cancel")
        IMPORT = "import", _("Import")
        RETRY = "retry", _("Retry sync")
        RESOLVE_CONFLICT = "resolve_conflict", _("Settle conflict")
        CALENDAR = "calendar", _("Calendar change")
        LOGIN = "login", _("Log in")
        LOGIN_FAILED = "login_failed", _("Failed log in")
        LOGOUT = "logout", _("Log out")
        ROLE_CHANGE = "role_change", _("Role change")
        # Written by the worker when WeCom's answer settles an earlier event (`settles`).
        SYNC_RESULT = "sync_result", _("Sync result")

    class Outcome(models.TextChoices):
        OK = "ok", _("Done")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")
        # An action that WeCom has still to confirm; a later sync_result event settles it.
        PENDING = "pending", _("Pending")
        CONFLICT = "conflict", _("Conflict")
        # An action whose every change met a conflict that an administrator settled by
        # keeping WeCom's value: never sent, never done.
        OVERRIDDEN = "overridden", _("Overridden")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Copied, so the record still names the person after their account is gone; "system"
    # for a command or the worker.
    actor_username = models.CharField(_("actor"), max_length=150, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("meeting"),
    )
    meetingid = models.CharField(_("meeting ID"), max_length=64, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=255, blank=True)
    # The meeting's version once the action was done: what links sync attempts to it.
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # [{"field": "settings.password", "old": "••••", "new": "••••", "secret": true}, …]
    changes = models.JSONField(_("changes"), default=list, blank=True)
    source_ip = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.OK, db_index=True
    )
    detail = models.TextField(_("detail"), blank=True)
    # The record is append-only, so a pending action is never rewritten: its outcome is that
    # of the newest sync_result event pointing at it here.
    settles = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="settlements",
        verbose_name=_("settles"),
    )
    # The hash chain (meetings.chain): each event's hash covers its content and
    # the hash of the event before it, so a row changed, removed or slipped in by someone who
    # can write the table directly shows up in `manage.py verify_audit`. Nullable so that
    # SQLite adds the columns in place instead of rebuilding the table and its triggers.
    prev_hash = models.CharField(  # noqa: DJ001
        _("hash of the previous event"), max_length=64, null=True, blank=True, editable=False
    )
    hash = models.CharField(  # noqa: DJ001
        _("hash"), max_length=64, null=True, blank=True, editable=False
    )
    # The batch change this action was part of (None for a single edit); part of the hash
    # only when set, so the events chained before it keep theirs.
    batch = models.ForeignKey(
        "Batch",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("batch change"),
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["meeting", "-at"], name="auditevent_meeting_at")]

    def __str__(self):
        # The page title of an event in the admin: in the zone every other time is shown in.
        local = timezone.localtime(self.at)
        return (
            f"{local:%Y-%m-%d %H:%M:%S} {timezone.get_current_timezone_name()} "
            f"{self.actor_username} {self.get_action_display()} {self.meetingid}"
        ).rstrip()

    def save(self, *args, **kwargs):
        # Every new event joins the hash chain, however it is written (the actions, the
        # worker's settlements, a shell): sealing takes the chain's lock, so concurrent
        # writers append one after the other. bulk_create would skip this: do not use it here.
        if self._state.adding:
            from .chain import sealed

            with sealed(self, using=kwargs.get("using") or router.db_for_write(AuditEvent)):
                return super().save(*args, **kwargs)
        return super().save(*args, **kwargs)


class Person(models.Model):
    """One member of the company's WeCom directory, so that the pickers can show names.

    Filled from the admin console's member export, from the sandbox's demo directory, and
    with the bare userids seen in imported meetings (no name until an export supplies one)."""

    class Source(models.TextChoices):
        CSV = "csv", _("Directory export")
        MEETING = "meeting", _("Seen in a meeting")
        SANDBOX = "sandbox", _("Sandbox directory")

    userid = models.CharField(_("userid"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    department = models.CharField(_("department"), max_length=255, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)

    class Meta:
        ordering = ["userid"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(userid__regex=USERID_REGEX),
                name="person_userid_format",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.userid})" if self.name else self.userid


class Batch(models.Model):
    """One change chosen for many meetings at once. The meetings are fixed when they are
    chosen (with the version each had then), so the preview and the confirmation speak of the
    same meetings; confirming writes one action per meeting, each with its own audit event
    pointing here, and the worker syncs each meeting as it would after a single edit."""

    class Kind(models.TextChoices):
        SETTING = "setting", _("Change a setting")
        ADD_PERSON = "add_person", _("Add a person")
        REMOVE_PERSON = "remove_person", _("Remove a person")
        CALENDAR = "calendar", _("Move to a calendar")
        CANCEL = "cancel", _("Cancel the meetings")

    class State(models.TextChoices):
        DRAFT = "draft", _("Not confirmed")
        CONFIRMED = "confirmed", _("Confirmed")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_username = models.CharField(_("actor"), max_length=150)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices, blank=True)
    # The change's parameters: {"field": "settings.enable_waiting_room", "value": true},
    # {"role": "invitee", "userid": "lisi"}, {"cal_id": "…"}, or {} for a cancel.
    change = models.JSONField(_("change parameters"), default=dict, blank=True)
    # [[meeting pk, version when chosen], …] in the list's order.
    meetings = models.JSONField(_("meetings chosen"), default=list, blank=True)
    # The list's query string the meetings were chosen from, to go back to it.
    filter_query = models.TextField(_("chosen from"), blank=True)
    applied = models.PositiveIntegerField(_("meetings changed"), default=0)
    refused = models.PositiveIntegerField(_("meetings refused"), default=0)
    unchanged = models.PositiveIntegerField(_("meetings already so"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("batch change")
        verbose_name_plural = _("batch changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["draft", "confirmed"]), name="batch_state"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def size(self):
        return len(self.meetings)


class Account(models.Model):
    """What this app knows of a person beyond their login: where WeCom reaches them. The
    worker sends them an app message when a change of theirs stops in the sync (failed, or a
    conflict), and keeps here what WeCom answered about their userid."""

    class Refusal(models.TextChoices):
        INVALID = (
            "invalid",
            _("WeCom does not know this userid, or the app may not send to this member."),
        )
        UNLICENSED = (
            "unlicensed",
            _(
                "This member has no WeCom interface licence, so the app's messages do not reach "
                "them."
            ),
        )

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="account",
        verbose_name=_("user"),
    )
    wecom_userid = models.CharField(
        _("WeCom userid"),
        max_length=64,
        blank=True,
        validators=[
            RegexValidator(
                USERID_REGEX,
                _("A WeCom userid is 1 to 64 letters, digits and _ - @ ."),
            )
        ],
        help_text=_(
            "The member this person is in WeCom (通讯录 → 账号): the app's messages "
            "about their changes go there."
        ),
    )
    # What WeCom last answered about wecom_userid when a message was sent to it: "" when it
    # was delivered (or nothing was sent yet).
    wecom_refusal = models.CharField(
        _("WeCom's answer"),
        max_length=16,
        choices=Refusal.choices,
        blank=True,
    )
    wecom_refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(wecom_userid="") | Q(wecom_userid__regex=USERID_REGEX),
                name="account_wecom_userid_format",
            ),
        ]

    def __str__(self):
        return self.wecom_userid or str(self.user)
