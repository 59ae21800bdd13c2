from datetime import datetime

import pytest
from django.utils import timezone, translation

from meetings import rules
from meetings.forms import MeetingEditor, UseridsField
from meetings.models import Calendar
from tests.meetings.factories import form_data, local_unix, make_meeting

pytestmark = pytest.mark.django_db


def editor_for(meeting, **changes):
    return MeetingEditor(meeting, form_data(meeting, **changes), calendars=Calendar.objects.all())


def test_it_reads_userids_separated_by_commas_spaces_or_new_lines():
    field = UseridsField()
    assert field.clean("lisi, wangwu\nzhaoliu  sunqi，zhouba;wujiu\r\n") == [
        "lisi",
        "wangwu",
        "zhaoliu",
        "sunqi",
        "zhouba",
        "wujiu",
    ]
    assert field.clean("") == []


def test_it_builds_the_update_body_in_wecoms_types():
    meeting = make_meeting(invitees=["lisi"])
    editor = editor_for(
        meeting,
        meeting_start="2031-06-02T09:30",
        meeting_duration=45,
        invitees="lisi wangwu",
        **{
            "settings-enable_waiting_room": "on",
            "settings-remind_scope": 3,
            "reminders-is_repeat": "on",
            "reminders-repeat_type": 7,
            "reminders-repeat_until_type": 1,
            "reminders-repeat_until_count": 20,
            "reminders-remind_before": [0, 900],
        },
    )
    assert editor.is_valid(), editor.non_field_errors
    body = editor.body
    start = timezone.make_aware(datetime(2031, 6, 2, 9, 30))
    assert body["meeting_start"] == int(start.timestamp())
    assert body["meeting_duration"] == 2700
    assert body["invitees"] == {"userid": ["lisi", "wangwu"]}
    assert body["settings"]["enable_waiting_room"] is True
    assert body["settings"]["remind_scope"] == 3
    assert body["reminders"] == {
        "is_repeat": 1,
        "repeat_type": 7,
        "is_custom_repeat": 0,
        "repeat_until_type": 1,
        "repeat_until_count": 20,
        "remind_before": [0, 900],
    }


def test_it_leaves_out_what_does_not_apply_and_adds_the_starts_own_weekday():
    meeting = make_meeting(meeting_start=local_unix(days_ahead=7, weekday=0))
    editor = editor_for(
        meeting,
        **{
            "settings-remind_scope": 2,
            "settings-ring_users": "lisi",
            "reminders-is_repeat": "on",
            "reminders-is_custom_repeat": "on",
            "reminders-repeat_type": 1,
            "reminders-repeat_interval": 2,
            "reminders-repeat_day_of_week": [3],
            "reminders-repeat_day_of_month": [9],
        },
    )
    assert "ring_users" not in editor.body["settings"]
    assert editor.body["reminders"]["repeat_day_of_week"] == [1, 3]
    assert "repeat_day_of_month" not in editor.body["reminders"]


def test_it_ignores_what_cannot_be_read_in_a_field_that_is_not_shown():
    meeting = make_meeting()
    editor = editor_for(
        meeting, **{"reminders-is_repeat": None, "reminders-repeat_interval": "many"}
    )
    assert editor.is_valid()


def test_it_shows_what_cannot_be_read_beside_a_field_that_is_shown():
    meeting = make_meeting()
    editor = editor_for(meeting, meeting_duration="an hour")
    assert not editor.is_valid()
    assert editor.main.errors["meeting_duration"]
    # The rest still makes sense meanwhile: the saved duration stands in for the preview.
    assert editor.body["meeting_duration"] == meeting.duration


def test_it_names_a_problem_about_a_field_not_shown_at_the_top():
    editor = editor_for(make_meeting(), **{"settings-remind_scope": 2})
    problem = rules.Problem("settings.ring_users", "invalid_userid", rules.Message("Bad."))
    with translation.override("en"):
        editor._place([problem])
    assert [str(error) for error in editor.main.non_field_errors()] == ["Ring these people: Bad."]


def test_it_offers_every_1_when_a_custom_repeat_is_first_shown():
    editor = MeetingEditor(make_meeting())
    assert editor.reminders["repeat_interval"].value() == "1"
