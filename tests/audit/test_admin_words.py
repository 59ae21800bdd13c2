"""Every page of the audit admin, in Chinese and in English, says actions, fields, outcomes and
details in the reader's language: no stored code ("role_change", "settings.auto_record_type",
"is_staff") and no message of ours left untranslated, outside the stored values shown as such
(`<code class="raw">`)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation

from meetings import audit, payloads, presenters, sync
from meetings.actions import account as account_actions
from meetings.actions import batch as batch_actions
from meetings.actions import calendar as calendar_actions
from meetings.actions import meeting as meeting_actions
from meetings.models import AuditEvent, Batch, Meeting, Status, SyncAttempt
from tests.meetings.factories import make_meeting
from tests.test_translations import TextNodes, catalogue  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
Action, Outcome = AuditEvent.Action, AuditEvent.Outcome


class ShownText(TextNodes):
    """The texts a person reads, less the stored values the admin shows as such."""

    def __init__(self):
        super().__init__()
        self._raw = 0

    def handle_starttag(self, tag, attrs):
        if tag == "code" and ("class", "raw") in attrs or self._raw and tag == "code":
            self._raw += 1
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "code" and self._raw:
            self._raw -= 1
        super().handle_endtag(tag)

    def handle_data(self, data):
        if not self._raw:
            super().handle_data(data)


def shown(html):
    parser = ShownText()
    parser.feed(html)
    # Django's search form writes its icon's alt text untranslated ("Search"): Django's own
    # text, on an image nobody reads; the button beside it is translated.
    return parser.texts - {"Search"}


@pytest.fixture
def record(people, sandbox):
    """One event of every kind the record holds."""
    admin = people["administrator"]
    meeting = make_meeting(title="周会", meetingid="hywords01", settings={"password": "1234"})
    body = payloads.desired_body(meeting)
    body["settings"]["auto_record_type"] = "cloud"
    body["settings"]["password"] = "5678"
    body["meeting_duration"] = 5400
    meeting_actions.edit_meeting(meeting, body, actor=admin, loaded_version=meeting.version)
    meeting_actions.create_meeting(payloads.desired_body(meeting), admin_userid="lisi", actor=admin)
    meeting_actions.cancel_meeting(make_meeting(title="取消的会"), actor=admin)
    audit.record(
        Action.IMPORT,
        meeting=meeting,
        detail=sync.TAKEN_IN,
        changes=[{"field": "status", "old": Status.SCHEDULED, "new": Status.ENDED}],
    )
    audit.record(Action.IMPORT, meeting=meeting, detail="new")
    audit.record(
        Action.CANCEL,
        actor=admin,
        meeting=meeting,
        detail="occurrence 1796796000",
        changes=[{"field": "occurrence", "old": "1796796000", "new": "cancelled"}],
    )
    audit.record(Action.RETRY, actor=admin, meeting=meeting, detail="failed: timeout")
    # Two edits the worker settled: one met a conflict, one WeCom holds.
    for outcome, detail in (
        (
            Outcome.CONFLICT,
            audit.with_fields(audit.CONFLICTED, ["title", "settings.enable_waiting_room"]),
        ),
        (Outcome.OK, audit.HELD % {"attempts": "#1, #2"}),
    ):
        edit = audit.record(Action.EDIT, actor=admin, meeting=meeting, outcome=Outcome.PENDING)
        audit.record(
            Action.SYNC_RESULT, meeting=meeting, settles=edit, outcome=outcome, detail=detail
        )
    audit.record(
        Action.RESOLVE_CONFLICT,
        actor=admin,
        meeting=meeting,
        outcome=Outcome.OK,
        changes=[{"field": "title", "old": "周会", "new": "例会"}],
        detail=audit.with_fields(audit.STILL_CONFLICTED, ["settings.enable_waiting_room"]),
    )
    pending = audit.record(Action.EDIT, actor=admin, meeting=meeting, outcome=Outcome.PENDING)
    SyncAttempt.objects.create(
        meeting=meeting,
        meetingid=meeting.meetingid,
        version=meeting.version,
        path="meeting/update",
        started_at=timezone.now(),
        duration_ms=12,
        errcode=400031,
        errmsg="meeting not exist",
        outcome=SyncAttempt.Outcome.FAILED,
        request={},
        event=pending,
    )
    audit.record(
        Action.SYNC_RESULT,
        meeting=meeting,
        settles=pending,
        outcome=Outcome.FAILED,
        detail="failed: meeting not exist",
    )
    calendar_actions.add_calendar(
        {
            "summary": "部门日历",
            "color": "#0000FF",
            "description": "",
            "admins": ["lisi"],
            "shares": [{"userid": "lisi", "permission": 1}],
        },
        actor=admin,
    )
    # A batch change that leaves a meeting out: zhaoliu cannot host a meeting without being
    # invited to it.
    left_out = make_meeting(title="站会")
    the_batch = batch_actions.choose(Meeting.objects.filter(pk=left_out.pk), actor=admin)
    batch_actions.set_change(
        the_batch, batch_actions.Change(Batch.Kind.ADD_PERSON, role="host", userid="zhaoliu")
    )
    batch_actions.confirm(the_batch, actor=admin)
    account_actions.record_login(admin)
    account_actions.record_logout(admin)
    account_actions.record_login_failed("nobody")
    people["auditor"].groups.add(Group.objects.get(name="会议管理员"))
    Group.objects.get(name="会议管理员").permissions.clear()
    admin.is_active = False
    admin.save()
    return meeting


def admin_pages(client, meeting):
    yield "index", client.get(reverse("admin:index"))
    events = reverse("admin:meetings_auditevent_changelist")
    yield "events", client.get(events)
    yield "events by outcome", client.get(events, {"outcome": "failed"})
    for event in AuditEvent.objects.all():
        yield (
            f"event {event.action} {event.detail}",
            client.get(reverse("admin:meetings_auditevent_change", args=[event.pk])),
        )
    yield "attempts", client.get(reverse("admin:meetings_syncattempt_changelist"))
    for attempt in SyncAttempt.objects.all():
        yield "attempt", client.get(reverse("admin:meetings_syncattempt_change", args=[attempt.pk]))
    yield "meetings", client.get(reverse("admin:meetings_meeting_changelist"))
    yield "meeting", client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))


def stored_codes():
    """What the record stores that a reader must never meet as such."""
    codes = {value for value in Action.values if "_" in value}
    fields = {row["field"] for e in AuditEvent.objects.all() for row in e.changes}
    fields |= {"settings.", "reminders.", "meeting_start", "meeting_duration"}
    details = {
        e.detail
        for e in AuditEvent.objects.exclude(detail="")
        if presenters.detail_words(e.detail) != e.detail
    }
    return codes, fields, details


def leaks(texts, codes, fields):
    found = set()
    for text in texts:
        found |= {code for code in codes if code in text}
        # A field's code, where it would stand as a label (its own text) or dotted in a text.
        found |= {f for f in fields if text == f or ("." in f and f in text)}
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_admin_page_speaks_the_readers_language(
    client_for,
    record,
    catalogue,  # noqa: F811 - the fixture imported above
    language,
):
    client = client_for("auditor", HTTP_ACCEPT_LANGUAGE=language)
    codes, fields, details = stored_codes()
    english = {e.msgid for e in catalogue if e.translated() and e.msgstr != e.msgid}
    # The role groups' names are data (the groups are called so), not our words.
    chinese = {e.msgstr for e in catalogue if e.translated() and e.msgstr != e.msgid} - {
        "会议管理员",
        "审计员",
    }
    pages = 0
    for name, response in admin_pages(client, record):
        assert response.status_code == 200, name
        texts = shown(response.content.decode())
        assert leaks(texts, codes, fields) == set(), name
        if language == "zh-hans":
            assert texts & english == set(), name
            assert {d for d in details if any(d in t for t in texts)} == set(), name
        else:
            assert texts & chinese == set(), name
        pages += 1
    assert pages >= 20


def test_every_detail_the_record_writes_in_its_own_words_has_chinese_ones(
    record,
    catalogue,  # noqa: F811 - the fixture imported above
):
    # A detail the admin would show as written: none of the record's (WeCom's errmsg is
    # shown within its own words: "failed: %(error)s").
    with translation.override("zh-hans"):
        as_written = {
            e.detail
            for e in AuditEvent.objects.exclude(detail="")
            if presenters.detail_words(e.detail) == e.detail
        }
    assert as_written == set()
    chinese = {e.msgid for e in catalogue if e.msgctxt == "audit detail" and e.translated()}
    assert set(presenters.DETAILS) - chinese == set()


def test_the_csv_headings_speak_the_readers_language(client_for, record):
    for language, heading in (("zh-hans", "操作（存储值）"), ("en", "action (as stored)")):
        response = client_for("auditor", HTTP_ACCEPT_LANGUAGE=language).get(
            reverse("admin:meetings_auditevent_export")
        )
        header = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
        assert heading in header.split(",")
