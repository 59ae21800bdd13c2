import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from meetings import payloads
from meetings.actions import meeting as meeting_actions
from meetings.models import Calendar, Status
from meetings.presenters import local_span
from tests.meetings.factories import (
    as_post,
    field_html,
    flash,
    form_data,
    local_unix,
    make_meeting,
    office_client,
)

pytestmark = pytest.mark.django_db
__all__ = ["office_client"]

WEDNESDAY = 2


@pytest.fixture
def editor(office_client):
    """The logged-in client, reading the pages in English so that messages can be compared."""
    office_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return office_client


def edit_url(meeting):
    return reverse("meetings:edit", args=[meeting.pk])


def save(client, meeting, data=None, **changes):
    data = form_data(meeting, **changes) if data is None else data
    return client.post(edit_url(meeting), as_post(data))


def redraw(client, meeting, part, **changes):
    """What htmx asks for when a control changes: the named part, drawn from the form."""
    data = form_data(meeting, _render=part, **changes)
    return client.post(edit_url(meeting), as_post(data), HTTP_HX_REQUEST="true")


def names(response):
    return set(re.findall(r'name="([^"]+)"', response.content.decode()))


def reload(meeting):
    return type(meeting).objects.select_related("settings", "reminders").get(pk=meeting.pk)


# --- the form and its names ------------------------------------------------------------


def test_it_names_each_control_as_wecom_does_with_the_saved_values(editor):
    meeting = make_meeting(
        title="Design review",
        meeting_start=local_unix(days_ahead=9, hour=15, minute=30),
        meeting_duration=2700,
        settings={"password": "2468"},
    )
    response = editor.get(edit_url(meeting))
    assert response.status_code == 200
    assert {
        "version",
        "title",
        "meeting_start",
        "meeting_duration",
        "description",
        "location",
        "cal_id",
        "invitees",
        "settings-hosts",
        "settings-remind_scope",
        "settings-password",
        "settings-allow_unmute_self",
        "reminders-is_repeat",
        "reminders-remind_before",
    } <= names(response)
    start = timezone.localtime(meeting.start).strftime("%Y-%m-%dT15:30")
    assert f'type="datetime-local" name="meeting_start" value="{start}"' in (
        response.content.decode()
    )
    assert 'name="meeting_duration" value="45"' in response.content.decode()
    # Whoever may edit sees the password they are editing.
    assert 'value="2468"' in field_html(response, "settings-password")


def test_it_offers_the_apps_calendars_no_calendar_and_an_unknown_current_one(editor):
    Calendar.objects.create(cal_id="wcKNOWN", summary="Team calendar")
    meeting = make_meeting(cal_id="wcSOMEONEELSE")
    select = field_html(editor.get(edit_url(meeting)), "cal_id")
    assert '<option value="">No calendar</option>' in select
    assert '<option value="wcKNOWN">Team calendar</option>' in select
    assert '<option value="wcSOMEONEELSE" selected>' in select


def test_it_keeps_a_calendar_that_is_not_the_apps_and_refuses_one_made_up(editor):
    Calendar.objects.create(cal_id="wcKNOWN", summary="Team calendar")
    meeting = make_meeting(cal_id="wcSOMEONEELSE", title="Old title")
    # Saving another field keeps the calendar the meeting has, though the app lists it not.
    kept = save(editor, meeting, title="New title")
    assert kept.status_code == 302
    assert reload(meeting).cal_id == "wcSOMEONEELSE"
    made_up = save(editor, reload(meeting), cal_id="wcMADEUP")
    assert made_up.status_code == 200
    assert "Select a valid choice" in field_html(made_up, "cal_id")
    assert reload(meeting).cal_id == "wcSOMEONEELSE"


def test_it_names_the_calendars_in_the_changes(editor):
    Calendar.objects.create(cal_id="wcKNOWN", summary="Team calendar")
    meeting = make_meeting()
    panel = redraw(editor, meeting, "changes", cal_id="wcKNOWN").content.decode()
    assert "<ins>Team calendar</ins>" in panel


# --- fields shown and hidden -----------------------------------------------------------


def test_it_shows_ring_users_only_when_chosen_people_ring(editor):
    meeting = make_meeting()
    chosen = redraw(editor, meeting, "people", **{"settings-remind_scope": 4})
    assert chosen.status_code == 200
    assert "settings-ring_users" in names(chosen)
    # Only the fieldset comes back, with the changes panel out of band.
    assert "<html" not in chosen.content.decode()
    assert 'id="fs-people"' in chosen.content.decode()
    assert 'hx-swap-oob="true"' in chosen.content.decode()
    hosts_only = redraw(editor, meeting, "people", **{"settings-remind_scope": 2})
    assert "settings-ring_users" not in names(hosts_only)
    assert "settings-hosts" in names(hosts_only)


@pytest.mark.parametrize(
    "record, shown",
    [("cloud", True), ("local", False), ("none", False)],
)
def test_it_shows_the_cloud_recording_options_only_for_cloud_recording(editor, record, shown):
    response = redraw(editor, make_meeting(), "settings", **{"settings-auto_record_type": record})
    cloud_only = {"settings-attendee_join_auto_record", "settings-enable_host_pause_auto_record"}
    assert (cloud_only <= names(response)) is shown
    assert (cloud_only & names(response) == set()) is not shown


def test_it_asks_about_muting_everyone_only_when_people_may_not_unmute(editor):
    meeting = make_meeting()
    may_not = redraw(editor, meeting, "settings", **{"settings-allow_unmute_self": None})
    assert "settings-mute_all" in names(may_not)
    may = redraw(editor, meeting, "settings", **{"settings-allow_unmute_self": "on"})
    assert "settings-mute_all" not in names(may)


def test_it_shows_the_host_key_and_watermark_style_only_when_switched_on(editor):
    meeting = make_meeting()
    on = redraw(
        editor,
        meeting,
        "settings",
        **{"settings-enable_host_key": "on", "settings-enable_screen_watermark": "on"},
    )
    assert {"settings-host_key", "settings-watermark_type"} <= names(on)
    off = redraw(
        editor,
        meeting,
        "settings",
        **{"settings-enable_host_key": None, "settings-enable_screen_watermark": None},
    )
    assert {"settings-host_key", "settings-watermark_type"} & names(off) == set()


REPEAT_FIELDS = {
    "reminders-repeat_type",
    "reminders-is_custom_repeat",
    "reminders-repeat_interval",
    "reminders-repeat_day_of_week",
    "reminders-repeat_day_of_month",
    "reminders-repeat_until_type",
    "reminders-repeat_until",
    "reminders-repeat_until_count",
}


@pytest.mark.parametrize(
    "controls, shown",
    [
        ({"reminders-is_repeat": None}, set()),
        (
            {"reminders-is_repeat": "on", "reminders-is_custom_repeat": None},
            {
                "reminders-repeat_type",
                "reminders-is_custom_repeat",
                "reminders-repeat_until_type",
                # A meeting made recurring ends after a number of meetings at first.
                "reminders-repeat_until_count",
            },
        ),
        (
            {
                "reminders-is_repeat": "on",
                "reminders-is_custom_repeat": "on",
                "reminders-repeat_type": 1,
            },
            {
                "reminders-repeat_type",
                "reminders-is_custom_repeat",
                "reminders-repeat_interval",
                "reminders-repeat_day_of_week",
                "reminders-repeat_until_type",
                # A meeting made recurring ends after a number of meetings at first.
                "reminders-repeat_until_count",
            },
        ),
        (
            {
                "reminders-is_repeat": "on",
                "reminders-is_custom_repeat": "on",
                "reminders-repeat_type": 2,
                "reminders-repeat_until_type": 1,
            },
            {
                "reminders-repeat_type",
                "reminders-is_custom_repeat",
                "reminders-repeat_interval",
                "reminders-repeat_day_of_month",
                "reminders-repeat_until_type",
                "reminders-repeat_until_count",
            },
        ),
    ],
    ids=["once", "plain-repeat", "custom-weekly", "custom-monthly-by-count"],
)
def test_it_shows_the_recurrence_fields_that_apply(editor, controls, shown):
    response = redraw(editor, make_meeting(), "recurrence", **controls)
    assert names(response) & REPEAT_FIELDS == shown
    assert {"reminders-is_repeat", "reminders-remind_before"} <= names(response)


def test_it_offers_only_daily_weekly_and_monthly_for_a_custom_repeat(editor):
    meeting = make_meeting()
    custom = redraw(
        editor,
        meeting,
        "recurrence",
        **{"reminders-is_repeat": "on", "reminders-is_custom_repeat": "on"},
    )
    options = re.findall(r'<option value="(\d+)"', field_html(custom, "reminders-repeat_type"))
    assert options == ["0", "1", "2"]
    plain = redraw(editor, meeting, "recurrence", **{"reminders-is_repeat": "on"})
    options = re.findall(r'<option value="(\d+)"', field_html(plain, "reminders-repeat_type"))
    assert options == ["0", "1", "2", "7"]


# --- redraws keep what was typed -------------------------------------------------------


def test_it_keeps_every_typed_value_on_a_redraw(editor):
    meeting = make_meeting()
    typed = {
        "title": "Typed title",
        "location": "Room 5",
        "invitees": "lisi, wangwu\nzhaoliu",
        "settings-password": "12a",
        "settings-remind_scope": 4,
        "settings-ring_users": "zhaoliu",
        "reminders-is_repeat": "on",
        "reminders-repeat_until_type": 1,
        "reminders-repeat_until_count": "12",
    }
    page = redraw(editor, meeting, "changes", **typed)
    assert page.status_code == 200
    full = editor.post(edit_url(meeting), as_post(form_data(meeting, _render="changes", **typed)))
    html = full.content.decode()
    assert 'value="Typed title"' in html and 'value="Room 5"' in html
    assert "lisi, wangwu\nzhaoliu</textarea>" in html
    assert 'value="12a"' in html
    assert 'value="12"' in field_html(full, "reminders-repeat_until_count")
    # A redraw is not a save, and shows no error while the administrator is still typing.
    assert reload(meeting).version == 1
    assert 'class="error"' not in html
    partial = redraw(editor, meeting, "settings", **typed)
    assert 'value="12a"' in field_html(partial, "settings-password")


def test_it_brings_back_the_saved_value_of_a_field_shown_again(editor):
    meeting = make_meeting(
        settings={"auto_record_type": "none", "enable_host_pause_auto_record": True},
        reminders={"is_repeat": 0, "repeat_type": 1, "repeat_until_type": 1},
    )
    meeting.reminders.repeat_until_count = 7
    meeting.reminders.save()
    data = form_data(
        meeting,
        _render="settings",
        rendered=[],
        **{"settings-auto_record_type": "cloud", "reminders-is_repeat": "on"},
    )
    response = editor.post(edit_url(meeting), as_post(data), HTTP_HX_REQUEST="true")
    # Not on the page before, so not sent: its saved value stands, not "off".
    assert "checked" in field_html(response, "settings-enable_host_pause_auto_record")
    data["_render"] = "recurrence"
    response = editor.post(edit_url(meeting), as_post(data), HTTP_HX_REQUEST="true")
    assert '<option value="1" selected>' in field_html(response, "reminders-repeat_type")
    assert 'value="7"' in field_html(response, "reminders-repeat_until_count")


# --- the preview -----------------------------------------------------------------------


def preview_dates(response):
    preview = re.search(r'<div class="preview".*?</div>', response.content.decode(), re.S)
    assert preview, "no preview"
    return re.findall(r"<li>(.*?)</li>", preview.group(0))


def test_it_previews_the_typed_recurrence(editor):
    meeting = make_meeting(meeting_start=local_unix(days_ahead=7, hour=9, weekday=WEDNESDAY))
    daily = {
        "reminders-is_repeat": "on",
        "reminders-repeat_type": 0,
        "reminders-repeat_until_type": 1,
        "reminders-repeat_until_count": 3,
    }
    three = redraw(editor, meeting, "recurrence", **daily)
    assert len(preview_dates(three)) == 3
    assert "3 meetings in all, the last on" in three.content.decode()
    weekly = redraw(editor, meeting, "recurrence", **{**daily, "reminders-repeat_type": 1})
    assert preview_dates(weekly) != preview_dates(three)
    assert all("(Wednesday)" in date for date in preview_dates(weekly))


def test_it_shows_ten_dates_and_says_when_wecoms_cap_cuts_the_series(editor):
    meeting = make_meeting()
    response = redraw(
        editor,
        meeting,
        "recurrence",
        **{
            "reminders-is_repeat": "on",
            "reminders-repeat_type": 2,
            "reminders-repeat_until_type": 0,
            "reminders-repeat_until": "",
        },
    )
    assert len(preview_dates(response)) == 10
    assert "50 meetings in all" in response.content.decode()
    assert "WeCom's limit of 50 meetings cuts this series short." in response.content.decode()


def test_it_says_when_the_starts_own_weekday_was_added(editor):
    meeting = make_meeting(meeting_start=local_unix(days_ahead=7, hour=9, weekday=WEDNESDAY))
    response = redraw(
        editor,
        meeting,
        "recurrence",
        **{
            "reminders-is_repeat": "on",
            "reminders-is_custom_repeat": "on",
            "reminders-repeat_type": 1,
            "reminders-repeat_interval": 1,
            "reminders-repeat_day_of_week": [5],
        },
    )
    block = field_html(response, "reminders-repeat_day_of_week")
    assert "Wednesday was added: WeCom always includes the start&#x27;s own weekday." in block
    # The added weekday is shown ticked, as WeCom will hold it, beside what was ticked.
    assert 'value="3" id="id_reminders-repeat_day_of_week_2" checked' in block
    assert 'value="5" id="id_reminders-repeat_day_of_week_4" checked' in block
    assert any("(Wednesday)" in date for date in preview_dates(response))


def test_it_says_when_the_starts_own_day_of_the_month_was_added(editor):
    meeting = make_meeting(meeting_start=local_unix(days_ahead=10))
    day = timezone.localtime(meeting.start).day
    other = 1 if day != 1 else 2
    response = redraw(
        editor,
        meeting,
        "recurrence",
        **{
            "reminders-is_repeat": "on",
            "reminders-is_custom_repeat": "on",
            "reminders-repeat_type": 2,
            "reminders-repeat_interval": 1,
            "reminders-repeat_day_of_month": [other],
        },
    )
    block = field_html(response, "reminders-repeat_day_of_month")
    assert f"Day {day} was added" in block


# --- the changes panel -----------------------------------------------------------------


def test_it_lists_each_change_old_to_new_and_masks_secrets(editor):
    meeting = make_meeting(title="Old title", settings={"password": "1111"})
    response = redraw(
        editor,
        meeting,
        "changes",
        title="New title",
        **{"settings-password": "987654", "settings-enable_waiting_room": "on"},
    )
    panel = response.content.decode()
    assert "<del>Old title</del> → <ins>New title</ins>" in panel
    assert "<del>No</del> → <ins>Yes</ins>" in panel
    assert "<del>••••</del> → <ins>••••</ins>" in panel
    assert "987654" not in panel and "1111" not in panel


def test_it_shows_no_changes_for_an_untouched_form(editor):
    response = redraw(editor, make_meeting(), "changes")
    assert "No changes yet." in response.content.decode()


def test_it_lists_no_ring_list_that_begins_to_apply_with_nobody_in_it(editor):
    # Ringing chosen people, none chosen yet: the scope changed, the list did not.
    meeting = make_meeting(settings={"remind_scope": 2})
    panel = redraw(editor, meeting, "changes", **{"settings-remind_scope": 4}).content.decode()
    assert "<del>Ring the hosts only</del> → <ins>Ring chosen people</ins>" in panel
    assert "Ring these people" not in panel


# --- saving ----------------------------------------------------------------------------


def test_it_puts_each_problem_beside_its_field_and_keeps_what_was_typed(editor):
    meeting = make_meeting(invitees=["lisi"])
    response = save(
        editor,
        meeting,
        title="  ",
        location="Typed place",
        **{"settings-password": "12a", "settings-hosts": "outsider"},
    )
    assert response.status_code == 200
    password = field_html(response, "settings-password")
    assert 'class="field has-error"' in password
    assert "The password must be 4 to 6 digits." in password
    assert 'value="12a"' in password
    assert "The title cannot be empty." in field_html(response, "title")
    assert "outsider is a host but is not invited" in field_html(response, "settings-hosts")
    assert 'value="Typed place"' in field_html(response, "location")
    assert reload(meeting).version == 1


def test_it_refuses_a_start_in_the_past_beside_the_start(editor):
    meeting = make_meeting()
    response = save(editor, meeting, meeting_start="2020-01-01T10:00")
    assert "The start must be in the future." in field_html(response, "meeting_start")


def test_it_saves_a_valid_edit_and_lists_what_changed(editor):
    meeting = make_meeting(title="Before", invitees=["lisi"])
    response = save(
        editor,
        meeting,
        title="After",
        meeting_start="2031-06-02T09:30",
        meeting_duration=90,
        invitees="lisi, wangwu\nzhaoliu  sunqi",
        **{
            "settings-password": "135790",
            "settings-remind_scope": 4,
            "settings-ring_users": "wangwu",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    [message] = flash(response)
    assert message.startswith("Saved. Changed: Title, Start, Duration, Invitees,")
    assert "Meeting password" in message and "135790" not in message
    saved = reload(meeting)
    assert saved.version == 2
    assert saved.title == "After"
    assert timezone.localtime(saved.start) == timezone.make_aware(datetime(2031, 6, 2, 9, 30))
    assert saved.duration == 5400
    assert saved.invitees == ["lisi", "wangwu", "zhaoliu", "sunqi"]
    assert saved.settings.password == "135790"
    assert saved.settings.remind_scope == 4
    assert saved.ring_users == ["wangwu"]


def test_it_saves_the_repeat_end_as_the_end_of_the_local_day(editor):
    meeting = make_meeting(meeting_start=local_unix(days_ahead=7))
    save(
        editor,
        meeting,
        **{
            "reminders-is_repeat": "on",
            "reminders-repeat_type": 0,
            "reminders-repeat_until_type": 0,
            "reminders-repeat_until": "2031-06-30",
        },
    )
    until = timezone.localtime(reload(meeting).reminders.repeat_until)
    assert (until.date().isoformat(), until.hour, until.minute) == ("2031-06-30", 23, 59)


def test_it_ignores_the_value_of_a_field_that_does_not_apply(editor):
    meeting = make_meeting(invitees=["lisi", "wangwu"])
    save(
        editor,
        meeting,
        **{"settings-remind_scope": 2, "settings-ring_users": "wangwu, not a userid!"},
    )
    saved = reload(meeting)
    assert saved.settings.remind_scope == 2
    assert saved.ring_users == []


def test_it_says_nothing_changed_and_keeps_the_version(editor):
    # Seconds the form cannot show must not read as a change.
    meeting = make_meeting(
        meeting_start=local_unix(days_ahead=5) + 17,
        meeting_duration=3630,
        reminders={
            "is_repeat": 1,
            "repeat_type": 0,
            "repeat_until_type": 0,
            "repeat_until": local_unix(days_ahead=20, hour=12),
        },
    )
    response = save(editor, meeting)
    assert response.status_code == 302
    assert flash(response) == ["Nothing changed."]
    assert reload(meeting).version == 1


def test_it_reads_the_browsers_line_breaks_as_the_saved_ones(editor):
    meeting = make_meeting(description="Agenda:\n1. Budget\n2. Hiring")
    response = save(editor, meeting, description="Agenda:\r\n1. Budget\r\n2. Hiring")
    assert flash(response) == ["Nothing changed."]


def test_it_refuses_to_edit_a_meeting_that_has_started(editor):
    meeting = make_meeting(status=Status.IN_PROGRESS, title="Running")
    detail = reverse("meetings:detail", args=[meeting.pk])
    response = editor.get(edit_url(meeting))
    assert response.status_code == 302 and response["Location"] == detail
    reason = "This meeting has started, so WeCom no longer accepts changes to it."
    # Said once, by the meeting's page, not again in a message above it.
    assert editor.get(detail).content.decode().count(reason) == 1
    response = save(editor, meeting, title="Changed anyway")
    assert response["Location"] == detail
    assert flash(response) == ["Your changes were not saved."]
    assert reload(meeting).title == "Running"


def test_it_reports_a_save_by_someone_else_and_keeps_what_was_typed(editor):
    meeting = make_meeting(title="Original", location="Room 1", description="Agenda")
    loaded = form_data(meeting, title="Mine", description="Agenda, mine")
    # A second administrator saves between this one's loading and saving.
    meeting_actions.edit_meeting(
        meeting,
        _body_with(meeting, title="Theirs", location="Room 2"),
        actor=None,
        loaded_version=1,
    )
    response = save(editor, meeting, loaded)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this meeting after you opened it" in html
    # Changed on both sides: what was typed, their value beside it.
    title = field_html(response, "title")
    assert 'value="Mine"' in title
    assert "Saved by someone else: Theirs" in title
    # Changed by them alone: their value, so that saving again keeps it.
    location = field_html(response, "location")
    assert 'value="Room 2"' in location
    assert "Saved by someone else" not in location
    # Changed here alone: what was typed, nothing beside it.
    description = field_html(response, "description")
    assert "Agenda, mine" in description
    assert "Saved by someone else" not in description
    assert 'name="version" value="2"' in html
    assert reload(meeting).title == "Theirs"


def test_it_refuses_a_version_below_any_a_meeting_has_and_saves_nothing(editor):
    """A save by someone else is told by counting the versions since the one loaded: one far
    below zero would have that count run for ever."""
    meeting = make_meeting(title="Original")
    data = form_data(meeting, title="Mine")
    data["version"] = "-1"

    response = save(editor, meeting, data)

    assert response.status_code == 200
    assert "Version: Ensure this value is greater than or equal to 0." in (
        response.content.decode()
    )
    assert reload(meeting).title == "Original"


def test_it_brings_in_a_time_only_someone_else_changed(editor):
    meeting = make_meeting(title="Original", duration=7200)
    loaded = form_data(meeting, title="Mine")
    meeting_actions.edit_meeting(
        meeting, _body_with(meeting, meeting_duration=5400), actor=None, loaded_version=1
    )

    response = save(editor, meeting, loaded)

    duration = field_html(response, "meeting_duration")
    assert 'value="90"' in duration
    assert "Saved by someone else" not in duration


def test_it_shows_every_difference_when_the_record_cannot_say_who_changed_what(editor):
    meeting = make_meeting(title="Original", location="Room 1")
    loaded = form_data(meeting, title="Mine")
    # A version the record has no event for (a change written outside the actions).
    meeting.location = "Room 2"
    meeting.version = 2
    meeting.save()

    response = save(editor, meeting, loaded)

    location = field_html(response, "location")
    assert 'value="Room 1"' in location
    assert "Saved by someone else: Room 2" in location


def test_it_saves_over_someone_elses_edit_once_shown_it(editor):
    meeting = make_meeting(title="Original")
    loaded = form_data(meeting, title="Mine")
    meeting_actions.edit_meeting(
        meeting, _body_with(meeting, title="Theirs"), actor=None, loaded_version=1
    )
    save(editor, meeting, loaded)
    loaded["version"] = "2"
    response = save(editor, meeting, loaded)
    assert response.status_code == 302
    assert reload(meeting).title == "Mine"


def test_it_redirects_an_htmx_save_with_hx_redirect(editor):
    meeting = make_meeting()
    response = editor.post(
        edit_url(meeting), as_post(form_data(meeting, title="Via htmx")), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("meetings:detail", args=[meeting.pk])


def _body_with(meeting, **fields):
    return {**payloads.desired_body(meeting), **fields}


def test_it_lists_only_what_a_reader_sees_change_when_a_meeting_becomes_recurring(editor):
    meeting = make_meeting()
    response = redraw(
        editor,
        meeting,
        "changes",
        **{"reminders-is_repeat": "on", "settings-enable_host_key": "on"},
    )
    panel = response.content.decode()
    # The host key WeCom is to choose, and a custom repeat not chosen, are no change.
    assert "<del>not set</del> → <ins>not set</ins>" not in panel
    assert "<del>No</del> → <ins>No</ins>" not in panel
    assert "<del>—</del> → <ins>Weekly</ins>" in panel


def test_no_cache_keeps_a_copy_of_the_page_that_shows_the_password(editor):
    meeting = make_meeting(settings={"password": "482913"})
    response = editor.get(edit_url(meeting))
    assert "482913" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_moving_a_series_to_other_days_says_which_cancelled_meeting_comes_back(editor):
    start = local_unix(days_ahead=7, hour=10)
    meeting = make_meeting(meeting_start=start, reminders={"is_repeat": 1, "repeat_type": 1})
    cancelled = {"sub_meetingid": "s2", "start": start + 7 * 86400, "end": start + 7 * 86400 + 3600}
    meeting.sub_meetings = [
        {"sub_meetingid": "s1", "start": start, "end": start + 3600, "deleted": False},
        {**cancelled, "deleted": True},
    ]
    meeting.save(update_fields=["sub_meetings"])
    with translation.override("en"):
        when = local_span(cancelled["start"], cancelled["end"])

    def typed_start(unix):
        return timezone.localtime(payloads.from_unix(unix)).strftime("%Y-%m-%dT%H:%M")

    later_that_day = redraw(editor, meeting, "changes", meeting_start=typed_start(start + 7200))
    assert "is cancelled, but the new schedule" not in later_that_day.content.decode()

    next_day = redraw(editor, meeting, "changes", meeting_start=typed_start(start + 86400))
    page = next_day.content.decode()
    assert f"The meeting of {when} is cancelled, but the new schedule has no meeting" in page
