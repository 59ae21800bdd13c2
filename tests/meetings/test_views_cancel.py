import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from meetings.models import AuditEvent, Meeting, Status, SyncState
from meetings.presenters import local_datetime, local_span
from tests.meetings.factories import flash, local_unix, make_meeting, office_client

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

WEEKLY = {"is_repeat": 1, "repeat_type": 1}


@pytest.fixture
def admin(office_client):
    """The logged-in client, reading the pages in English so that messages can be compared."""
    office_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return office_client


def cancel_url(meeting, sub_meetingid=None):
    url = reverse("meetings:cancel", args=[meeting.pk])
    return f"{url}?sub_meetingid={sub_meetingid}" if sub_meetingid else url


def detail_url(meeting):
    return reverse("meetings:detail", args=[meeting.pk])


def occurrence(sub_meetingid, days_ahead, deleted=False):
    # As get_info lists them: whether the occurrence exists or was deleted (sub_meetings[]
    # .status 0/1); whether it is over follows from its times.
    start = local_unix(days_ahead=days_ahead, hour=10)
    return {"sub_meetingid": sub_meetingid, "start": start, "end": start + 3600, "deleted": deleted}


def weekly_meeting(**fields):
    """A weekly meeting whose occurrences WeCom has listed: one past, two to come."""
    meeting = make_meeting(
        title="Weekly sync",
        meeting_start=local_unix(days_ahead=7, hour=10),
        reminders=WEEKLY,
        **fields,
    )
    meeting.sub_meetings = [
        occurrence("sub-1", -7),
        occurrence("sub-2", 14),
        occurrence("sub-3", 21),
    ]
    meeting.save(update_fields=["sub_meetings"])
    return meeting


def reload(meeting):
    return Meeting.objects.get(pk=meeting.pk)


# --- the confirmation page -------------------------------------------------------------


def test_it_asks_before_cancelling_the_whole_meeting(admin):
    meeting = make_meeting(title="Budget review", meeting_start=local_unix(days_ahead=9, hour=15))
    response = admin.get(cancel_url(meeting))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cancel “Budget review”?" in page
    assert "15:00 (" in page and "– 16:00" in page
    assert "WeCom tells the invitees that it is cancelled. This cannot be undone here." in page
    assert 'class="danger"' in page
    assert 'name="sub_meetingid"' not in page
    assert f'href="{detail_url(meeting)}"' in page
    # Nothing is decided by looking.
    assert not reload(meeting).cancel_requested


def test_it_asks_before_cancelling_one_occurrence(admin):
    meeting = weekly_meeting()
    response = admin.get(cancel_url(meeting, "sub-2"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cancel one occurrence of “Weekly sync”?" in page
    assert "Only this occurrence is cancelled; the others stay as they are." in page
    assert '<input type="hidden" name="sub_meetingid" value="sub-2">' in page
    second = meeting.sub_meetings[1]
    assert local_span(second["start"], second["end"]) in page


@pytest.mark.parametrize(
    "sub_meetingid, reason",
    [
        (
            "sub-404",
            "WeCom no longer lists this occurrence (the series may have moved). "
            "Choose it again from the occurrences listed now.",
        ),
        ("sub-1", "Only an occurrence still to come can be cancelled."),
    ],
    ids=["unknown", "ended"],
)
def test_it_sends_an_occurrence_that_cannot_be_cancelled_back_with_the_reason(
    admin, sub_meetingid, reason
):
    meeting = weekly_meeting()
    response = admin.get(cancel_url(meeting, sub_meetingid))
    assert response.status_code == 302
    assert response["Location"] == detail_url(meeting)
    assert flash(response) == [reason]


def test_it_sends_a_meeting_that_is_no_longer_scheduled_back_with_the_reason(admin):
    meeting = make_meeting(status=Status.CANCELLED)
    response = admin.get(cancel_url(meeting))
    assert response["Location"] == detail_url(meeting)
    # Said once, by the meeting's page, not again in a message above it.
    page = admin.get(response["Location"]).content.decode()
    assert page.count("This meeting was cancelled, so WeCom no longer accepts changes to it.") == 1


# --- cancelling ------------------------------------------------------------------------


def test_it_cancels_the_whole_meeting(admin):
    meeting = make_meeting()
    response = admin.post(cancel_url(meeting))
    assert response.status_code == 302
    assert response["Location"] == detail_url(meeting)
    assert flash(response) == ["The meeting will be cancelled in WeCom shortly."]
    saved = reload(meeting)
    assert saved.cancel_requested
    assert saved.sync_state == SyncState.PENDING
    event = AuditEvent.objects.get(action=AuditEvent.Action.CANCEL)
    # Decided here, done only once WeCom holds it: the worker settles it.
    assert event.outcome == AuditEvent.Outcome.PENDING
    assert event.actor_username == "office"


def test_it_cancels_one_occurrence(admin):
    meeting = weekly_meeting()
    response = admin.post(reverse("meetings:cancel", args=[meeting.pk]), {"sub_meetingid": "sub-3"})
    assert response["Location"] == detail_url(meeting)
    [message] = flash(response)
    assert message.startswith("The occurrence of ")
    assert message.endswith(" will be cancelled in WeCom shortly.")
    saved = reload(meeting)
    assert saved.cancel_sub_meetingids == ["sub-3"]
    assert not saved.cancel_requested
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CANCEL).count() == 1


def test_it_refuses_to_cancel_a_cancelled_meeting_with_the_reason(admin):
    meeting = make_meeting(status=Status.CANCELLED)
    response = admin.post(cancel_url(meeting))
    assert response["Location"] == detail_url(meeting)
    assert flash(response) == ["Nothing was cancelled."]
    page = admin.get(detail_url(meeting)).content.decode()
    assert page.count("This meeting was cancelled, so WeCom no longer accepts changes to it.") == 1
    refused = AuditEvent.objects.get(action=AuditEvent.Action.CANCEL)
    assert refused.outcome == AuditEvent.Outcome.REFUSED


def test_it_refuses_to_cancel_an_occurrence_twice(admin):
    meeting = weekly_meeting()
    url = reverse("meetings:cancel", args=[meeting.pk])
    admin.post(url, {"sub_meetingid": "sub-2"})
    response = admin.post(url, {"sub_meetingid": "sub-2"})
    assert flash(response)[-1] == "Only an occurrence still to come can be cancelled."
    assert reload(meeting).cancel_sub_meetingids == ["sub-2"]


# --- what the pages show afterwards ----------------------------------------------------


def test_it_says_a_meeting_is_being_cancelled_and_no_longer_offers_changes(admin):
    meeting = make_meeting(title="Going away")
    admin.post(cancel_url(meeting))
    page = admin.get(detail_url(meeting)).content.decode()
    reason = "This meeting is being cancelled in WeCom, so it can no longer be changed."
    assert reason in page
    assert "<dd>Being cancelled</dd>" in page
    assert cancel_url(meeting) not in page
    assert reverse("meetings:edit", args=[meeting.pk]) not in page
    edit = admin.get(reverse("meetings:edit", args=[meeting.pk]))
    assert edit["Location"] == detail_url(meeting)
    assert admin.get(edit["Location"]).content.decode().count(reason) == 1
    listing = admin.get(reverse("meetings:list")).content.decode()
    row = listing[listing.index("Going away") :]
    assert "Being cancelled" in row[: row.index("</tr>")]


def test_it_offers_edit_and_cancel_for_a_scheduled_meeting(admin):
    meeting = make_meeting()
    page = admin.get(detail_url(meeting)).content.decode()
    assert f'href="{cancel_url(meeting)}"' in page
    assert "Cancel meeting" in page
    # Not a recurring meeting: no occurrences to list.
    assert "Occurrences" not in page


def test_it_lists_the_occurrences_with_a_cancel_link_for_each_still_to_come(admin):
    meeting = weekly_meeting()
    page = admin.get(detail_url(meeting)).content.decode()
    assert "<h2>Occurrences</h2>" in page
    assert page.count("Cancel this occurrence") == 2
    assert cancel_url(meeting, "sub-1") not in page
    assert cancel_url(meeting, "sub-2") in page
    assert "Ended" in page

    admin.post(reverse("meetings:cancel", args=[meeting.pk]), {"sub_meetingid": "sub-2"})
    page = admin.get(detail_url(meeting)).content.decode()
    assert cancel_url(meeting, "sub-2") not in page
    assert cancel_url(meeting, "sub-3") in page
    assert "cancellation requested" in page

    admin.post(cancel_url(meeting))
    page = admin.get(detail_url(meeting)).content.decode()
    assert "Cancel this occurrence" not in page
    assert "<h2>Occurrences</h2>" in page


def test_it_says_when_wecom_has_not_listed_the_occurrences_yet(admin):
    meeting = make_meeting(reminders=WEEKLY)
    page = admin.get(detail_url(meeting)).content.decode()
    assert "The occurrences appear here once WeCom has listed them." in page
    # Meanwhile the dates the rule gives.
    assert "Next meetings" in page


def test_it_lists_no_next_meeting_that_is_cancelled(admin):
    meeting = weekly_meeting()
    with translation.override("en"):
        cancelled = local_datetime(meeting.sub_meetings[1]["start"])
    admin.post(reverse("meetings:cancel", args=[meeting.pk]), {"sub_meetingid": "sub-2"})
    admin.get(detail_url(meeting))  # the message that says it will be cancelled
    page = admin.get(detail_url(meeting)).content.decode()
    # The occurrences WeCom listed, each once, the cancelled one marked so.
    assert "Next meetings" not in page
    assert page.count(cancelled) == 1

    admin.post(cancel_url(meeting))
    page = admin.get(detail_url(meeting)).content.decode()
    assert "Next meetings" not in page


def test_it_reads_the_occurrences_without_a_query_each(admin):
    meeting = weekly_meeting()
    admin.get(detail_url(meeting))
    with CaptureQueriesContext(connection) as three:
        admin.get(detail_url(meeting))
    meeting.sub_meetings = [occurrence(f"sub-{n}", 7 * n) for n in range(1, 30)]
    meeting.save(update_fields=["sub_meetings"])
    with CaptureQueriesContext(connection) as many:
        page = admin.get(detail_url(meeting)).content.decode()
    assert page.count("Cancel this occurrence") == 29
    assert len(many) == len(three)


def test_it_shows_a_meeting_not_yet_in_wecom(admin):
    meeting = make_meeting()
    Meeting.objects.filter(pk=meeting.pk).update(meetingid=None, sync_state=SyncState.PENDING)
    page = admin.get(detail_url(meeting)).content.decode()
    assert "Not created in WeCom yet" in page
    assert "None" not in page
    assert 'data-sync-state="pending"' in page
