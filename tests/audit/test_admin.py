"""The admin as auditors and superusers see it: read-only, filterable, exportable."""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import payloads
from meetings.actions import meeting as meeting_actions
from meetings.models import AuditEvent, Meeting, SyncAttempt
from tests.meetings.factories import make_meeting

pytestmark = pytest.mark.django_db


def edit(meeting, people, **changes):
    meeting.refresh_from_db()
    body = {**payloads.desired_body(meeting), **changes}
    return meeting_actions.edit_meeting(
        meeting, body, actor=people["administrator"], loaded_version=meeting.version
    ).meeting


@pytest.fixture
def edited(people):
    meeting = make_meeting(title="周会", meetingid="hyaudit01")
    edit(meeting, people, title="例会")
    return meeting


def test_it_offers_a_superuser_no_way_to_add_change_or_delete(client_for, edited):
    client = client_for("superuser")
    event = AuditEvent.objects.get(action="edit")
    changelist = reverse("admin:meetings_auditevent_changelist")

    page = client.get(changelist).content.decode()
    assert reverse("admin:meetings_auditevent_add") not in page
    assert 'name="action"' not in page
    assert client.get(reverse("admin:meetings_auditevent_add")).status_code == 403
    assert (
        client.get(reverse("admin:meetings_auditevent_delete", args=[event.pk])).status_code == 403
    )
    detail = reverse("admin:meetings_auditevent_change", args=[event.pk])
    response = client.post(detail, {"actor_username": "someone", "outcome": "failed"})
    assert response.status_code == 403
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    assert AuditEvent.objects.get(pk=event.pk).actor_username == "wang.admin"
    for name in ("syncattempt", "meeting"):
        assert client.get(reverse(f"admin:meetings_{name}_add")).status_code == 403


def test_it_shows_the_changes_as_an_old_to_new_table(client_for, edited):
    event = AuditEvent.objects.get(action="edit")

    page = (
        client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")
        .get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
        .content.decode()
    )

    assert '<table class="audit-changes">' in page
    assert "<td>周会</td><td>例会</td>" in page.replace("<td>→</td>", "")


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        ("482913", "", "<td>set</td><td>not set</td>"),
        ("", "482913", "<td>not set</td><td>set</td>"),
        ("482913", "771204", "<td>set</td><td>changed</td>"),
    ],
)
def test_it_says_whether_a_password_was_set_removed_or_changed(
    client_for, people, before, after, shown
):
    meeting = make_meeting(title="周会", settings={"password": before})
    edit(
        meeting, people, settings={**payloads.desired_body(meeting)["settings"], "password": after}
    )
    event = AuditEvent.objects.get(action="edit")

    page = (
        client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")
        .get(reverse("admin:meetings_auditevent_change", args=[event.pk]))
        .content.decode()
    )

    assert shown in page.replace("<td>→</td>", "")
    assert "482913" not in page and "771204" not in page


def test_it_lists_events_with_a_fixed_number_of_queries(client_for, edited, people):
    client = client_for("auditor")
    url = reverse("admin:meetings_auditevent_changelist")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for number in range(20):
        edit(edited, people, title=f"周会 {number}")
    assert queries() == few


def test_it_filters_and_searches_the_events(client_for, edited, people):
    other = make_meeting(title="季度复盘", meetingid="hyother02")
    edit(other, people, location="3楼")
    client = client_for("auditor")
    url = reverse("admin:meetings_auditevent_changelist")

    by_search = client.get(url, {"q": "hyother02"}).context["cl"].result_list
    by_action = client.get(url, {"action__exact": "edit"}).context["cl"].result_list
    by_actor = client.get(url, {"actor_username": "li.audit"}).context["cl"].result_list

    assert [e.meetingid for e in by_search] == ["hyother02"]
    assert {e.meetingid for e in by_action} == {"hyother02", "hyaudit01"}
    assert {e.action for e in by_actor} <= {"login", "role_change"}


def test_it_finds_a_renamed_meetings_earlier_events_by_its_title_now(client_for, people):
    meeting = make_meeting(title="周会", meetingid="hyrename01")
    edit(meeting, people, location="3楼")
    edit(Meeting.objects.get(pk=meeting.pk), people, title="产品例会")
    url = reverse("admin:meetings_auditevent_changelist")

    found = client_for("auditor").get(url, {"q": "产品例会"}).context["cl"].result_list

    assert [e.action for e in found if e.meetingid == "hyrename01"] == ["edit", "edit"]


def test_it_exports_the_filtered_list_as_csv(client_for, edited, people):
    Meeting.objects.filter(pk=edited.pk).update(meeting_code="330481782")
    client = client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("admin:meetings_auditevent_export")

    response = client.get(url, {"action__exact": "edit"})

    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["action"], r["action (as stored)"], r["meeting ID"], r["actor"]) for r in rows] == [
        ("Edit", "edit", "hyaudit01", "wang.admin")
    ]
    assert "例会" in rows[0]["changes"]
    assert rows[0]["meeting code"] == "330481782"


# Filters whose values the database cannot compare: a day whose midnight in Asia/Shanghai falls
# in year 0 in UTC, a year no date has, and 9999, whose next year the date hierarchy asks for.
OUT_OF_RANGE = [
    ("auditevent", {"at__gte": "0001-01-01"}),
    ("auditevent", {"at__year": "99999999999999999999"}),
    ("auditevent", {"at__year": "9999"}),
    ("auditevent", {"at__year": "9999", "at__month": "12", "at__day": "31"}),
    ("syncattempt", {"started_at__gte": "0001-01-01"}),
    ("meeting", {"start__year": "99999999999999999999"}),
    # A field no filter offers, which the admin lets a query string name all the same.
    ("meeting", {"lease_expires__lt": "0001-01-01"}),
]


def assert_filtered_or_sent_back(response, query, listing):
    """The admin's answer to a filter out of range: back to the list, as for a wrong filter
    (`?e=1`). Only PostgreSQL, whose timestamps reach back before year 1, can compare the
    first day's midnight in Asia/Shanghai, and then filters by it."""
    if response.status_code == 200:
        assert connection.vendor == "postgresql"
        assert "0001-01-01" in query.values()
    else:
        assert response.status_code == 302
        assert response["Location"] == f"{listing}?e=1"


@pytest.mark.parametrize(("model", "query"), OUT_OF_RANGE)
def test_a_filter_out_of_range_goes_back_to_the_list_as_a_wrong_one_does(
    client_for, edited, model, query
):
    url = reverse(f"admin:meetings_{model}_changelist")

    response = client_for("auditor").get(url, query)

    assert_filtered_or_sent_back(response, query, url)


@pytest.mark.parametrize("query", [{"at__year": "99999999999999999999"}, {"at__gte": "0001-01-01"}])
def test_an_export_filtered_out_of_range_goes_back_to_the_list(client_for, edited, query):
    response = client_for("auditor").get(reverse("admin:meetings_auditevent_export"), query)

    listing = reverse("admin:meetings_auditevent_changelist")
    assert_filtered_or_sent_back(response, query, listing)


def test_the_users_list_filtered_out_of_range_goes_back_to_the_list(client_for):
    url = reverse("admin:auth_user_changelist")
    query = {"last_login__gte": "0001-01-01"}

    response = client_for("superuser").get(url, query)

    assert_filtered_or_sent_back(response, query, url)


def test_a_group_or_role_beyond_the_databases_integers_is_said_beside_its_field(client_for):
    """The ids a form's ticked rows are looked up by: SQLite refuses such a number."""
    client = client_for("superuser", HTTP_ACCEPT_LANGUAGE="en")
    too_big = str(2**63)

    group = client.post(reverse("admin:auth_group_add"), {"name": "新组", "permissions": too_big})
    user = get_user_model().objects.get(username="li.audit")
    person = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {"username": user.username, "groups": too_big, "date_joined_0": "2026-01-01"},
    )

    for response, field in ((group, "permissions"), (person, "groups")):
        assert response.status_code == 200
        assert f"{too_big} is not one of the available choices" in str(
            response.context["adminform"].form.errors[field]
        )


def test_an_action_on_rows_beyond_the_databases_integers_changes_nothing(client_for):
    users = get_user_model().objects.count()
    client = client_for("superuser")
    chosen = {"action": "delete_selected", "_selected_action": str(2**63)}

    # Asked, then confirmed.
    for data in (chosen, chosen | {"post": "yes"}):
        response = client.post(reverse("admin:auth_user_changelist"), data)
        assert response.status_code < 500

    assert get_user_model().objects.count() == users


def test_it_links_the_export_from_the_list(client_for, edited):
    page = (
        client_for("auditor")
        .get(reverse("admin:meetings_auditevent_changelist"), {"action__exact": "edit"})
        .content.decode()
    )

    assert reverse("admin:meetings_auditevent_export") + "?action__exact=edit" in page


def test_it_shows_a_meeting_with_its_events_and_without_its_secrets(client_for, people):
    meeting = make_meeting(title="周会", settings={"password": "482913"})
    edit(meeting, people, title="例会")

    page = (
        client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")
        .get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
        .content.decode()
    )

    assert "wang.admin" in page and "例会" in page
    assert "482913" not in page


def test_it_shows_a_meeting_as_its_page_says_it(client_for, people):
    meeting = make_meeting(
        title="周会",
        settings={"password": "482913", "enable_screen_watermark": False},
        reminders={"remind_before": [0, 3600]},
    )

    page = (
        client_for("auditor", HTTP_ACCEPT_LANGUAGE="en")
        .get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
        .content.decode()
    )

    described = page.split('class="described"', 1)[1]
    assert "<dt>Duration</dt><dd>1 h</dd>" in described
    assert "<dt>Meeting password</dt><dd>set</dd>" in described
    assert "Does not repeat" in described
    assert "[0, 3600]" not in page
    # What does not apply is not shown: no watermark style with the watermark off, no
    # repeat type for a meeting that does not repeat.
    assert "Watermark style" not in page
    assert "Repeat every" not in page
    assert "482913" not in page
    chinese = (
        client_for("auditor")
        .get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
        .content.decode()
    )
    assert "会议（与会议页面所示相同）" in chinese
    # No "History" of admin changes, which a read-only record never has.
    assert reverse("admin:meetings_meeting_history", args=[meeting.pk]) not in chinese
    assert "css/admin.css" in chinese


def test_it_shows_an_attempt_with_the_event_that_caused_it(client_for, edited):
    event = AuditEvent.objects.get(action="edit")
    attempt = SyncAttempt.objects.create(
        meeting=edited,
        meetingid=edited.meetingid,
        version=2,
        path="meeting/update",
        started_at=event.at,
        duration_ms=40,
        errcode=0,
        errmsg="ok",
        outcome=SyncAttempt.Outcome.OK,
        request={"title": "例会"},
        event=event,
    )

    page = (
        client_for("auditor")
        .get(reverse("admin:meetings_syncattempt_change", args=[attempt.pk]))
        .content.decode()
    )

    assert reverse("admin:meetings_auditevent_change", args=[event.pk]) in page


def test_its_pages_name_the_products_icon(client_for):
    # Otherwise the browser asks for /favicon.ico on every admin page, each a 404 in the log.
    page = client_for("auditor").get(reverse("admin:meetings_auditevent_changelist"))
    assert '<link rel="icon" href="/static/favicon.svg"' in page.content.decode()


def a_call(meeting_pk, meetingid, path="meeting/update"):
    """A call WeCom accepted, for the meeting of that row."""
    return SyncAttempt.objects.create(
        meeting_id=meeting_pk,
        meetingid=meetingid,
        version=2,
        path=path,
        started_at=timezone.now(),
        duration_ms=40,
        errcode=0,
        errmsg="ok",
        outcome=SyncAttempt.Outcome.OK,
    )


def test_it_names_a_create_call_by_the_id_wecom_gave_the_meeting_and_in_chinese(client_for, edited):
    # A create goes out before WeCom names the meeting: the call's own meetingid is empty.
    create = a_call(edited.pk, "", path="meeting/create")

    page = client_for("auditor").get(reverse("admin:meetings_syncattempt_change", args=[create.pk]))

    html = page.content.decode()
    assert "例会 (hyaudit01)" in html
    assert "meeting/create: 已接受" in html


def test_it_finds_a_meeting_its_events_and_its_calls_by_the_meeting_code(
    client_for, people, edited
):
    # The 会议号 is the number people know a meeting by; the WeCom ID is not.
    Meeting.objects.filter(pk=edited.pk).update(meeting_code="330481782")
    other = make_meeting(title="月会", meetingid="hyaudit02")
    edit(other, people, title="季会")
    for meeting in (edited, other):
        a_call(meeting.pk, meeting.meetingid)
    client = client_for("auditor")

    for changelist in ("meeting", "auditevent", "syncattempt"):
        url = reverse(f"admin:meetings_{changelist}_changelist")
        page = client.get(url, {"q": "330481782"}).content.decode()
        assert "hyaudit01" in page, changelist
        assert "hyaudit02" not in page, changelist


def test_it_names_each_calls_meeting_by_its_title_linked_to_it(client_for, edited):
    # The second call's meeting row is gone: the call stays listed, by its meeting ID.
    a_call(edited.pk, edited.meetingid)
    a_call(edited.pk + 1000, "hygone01")

    page = client_for("auditor").get(reverse("admin:meetings_syncattempt_changelist"))

    html = page.content.decode()
    meeting_page = reverse("admin:meetings_meeting_change", args=[edited.pk])
    assert f'<a href="{meeting_page}">例会 (hyaudit01)</a>' in html
    assert '<td class="field-meeting_column">hygone01</td>' in html


def test_it_finds_a_role_change_by_the_person_it_concerns(client_for, people):
    from meetings.actions import account as account_actions

    newcomer = get_user_model().objects.create_user("new.hire")
    account_actions.grant_role(newcomer, "administrator", actor=people["superuser"])

    page = (
        client_for("auditor")
        .get(reverse("admin:meetings_auditevent_changelist"), {"q": "new.hire"})
        .content.decode()
    )

    assert AuditEvent.objects.filter(action="role_change").count() > 1
    found = re.findall(r'href="/admin/meetings/auditevent/(\d+)/change/', page)
    concerned = AuditEvent.objects.filter(detail__contains="new.hire")
    assert concerned and sorted(found) == sorted(str(e.pk) for e in concerned)
