"""The edit page in a real Chromium: fields come and go as the controls change, the preview
follows the recurrence, and a refused save shows its message beside the field.

The page speaks Chinese by default and the catalogue may not translate everything yet, so
these tests find things by `name=` and by class, never by their visible text."""

import time

import pytest
from playwright.sync_api import expect

from meetings import payloads
from meetings.actions import meeting as meeting_actions
from meetings.models import Meeting
from tests.meetings.factories import local_unix, make_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEDNESDAY = 2


def control(page, name):
    return page.locator(f"[name='{name}']")


def open_editor(page, **meeting_fields):
    meeting = make_meeting(**meeting_fields)
    page.goto(f"/meetings/{meeting.pk}/edit/")
    expect(page.locator("form#meeting-form")).to_be_visible()
    return meeting


def test_it_shows_the_ring_users_only_while_chosen_people_ring(logged_in_page):
    page = logged_in_page
    open_editor(page, settings={"remind_scope": 2})
    ring_users = control(page, "settings-ring_users")
    expect(ring_users).to_have_count(0)

    page.select_option("[name='settings-remind_scope']", "4")
    expect(ring_users).to_be_visible()
    ring_users.fill("lisi")

    page.select_option("[name='settings-remind_scope']", "2")
    expect(ring_users).to_have_count(0)
    expect(control(page, "settings-hosts")).to_be_visible()


def test_it_shows_the_weekdays_of_a_custom_weekly_repeat_and_updates_the_preview(
    logged_in_page,
):
    page = logged_in_page
    open_editor(page, meeting_start=local_unix(days_ahead=7, hour=9, weekday=WEDNESDAY))
    expect(control(page, "reminders-repeat_type")).to_have_count(0)

    control(page, "reminders-is_repeat").check()
    expect(control(page, "reminders-is_custom_repeat")).to_be_visible()
    control(page, "reminders-is_custom_repeat").check()
    expect(control(page, "reminders-repeat_interval")).to_be_visible()
    page.select_option("[name='reminders-repeat_type']", "1")
    weekdays = control(page, "reminders-repeat_day_of_week")
    expect(weekdays).to_have_count(7)
    expect(control(page, "reminders-repeat_day_of_month")).to_have_count(0)

    dates = page.locator(".preview li")
    expect(dates).to_have_count(10)
    before = dates.all_inner_texts()
    page.locator("[name='reminders-repeat_day_of_week'][value='5']").check()
    expect(dates.first).to_be_visible()
    expect(page.locator(".preview li").nth(1)).not_to_have_text(before[1])
    assert page.locator(".preview li").all_inner_texts() != before


def test_a_box_ticked_while_a_redraw_is_on_its_way_stays_ticked(logged_in_page, monkeypatch):
    page = logged_in_page
    open_editor(page, meeting_start=local_unix(days_ahead=7, hour=9, weekday=WEDNESDAY))
    control(page, "reminders-is_repeat").check()
    control(page, "reminders-is_custom_repeat").check()
    expect(control(page, "reminders-repeat_interval")).to_be_visible()
    page.select_option("[name='reminders-repeat_type']", "1")
    expect(control(page, "reminders-repeat_day_of_week")).to_have_count(7)
    busy = page.locator("form#meeting-form.htmx-request")
    expect(busy).to_have_count(0)

    # A slow server: each redraw takes long enough for the administrator to tick a box of
    # the fieldset it is about to replace.
    from meetings import views

    slow = views._partial

    def _partial(*args, **kwargs):
        time.sleep(0.6)
        return slow(*args, **kwargs)

    monkeypatch.setattr(views, "_partial", _partial)
    control(page, "reminders-repeat_interval").fill("2")
    control(page, "reminders-repeat_interval").press("Tab")
    expect(busy).to_have_count(1)
    friday = page.locator("[name='reminders-repeat_day_of_week'][value='5']")
    friday.check()

    # The redraw of the interval lands, then the one asked for by the tick.
    expect(busy).to_have_count(0, timeout=10_000)
    expect(control(page, "reminders-repeat_interval")).to_have_value("2")
    expect(friday).to_be_checked()
    # The server drew the preview from the form with the tick in it.
    expect(page.locator(".preview li").filter(has_text="星期五").first).to_be_visible()


def test_it_shows_a_refused_password_beside_the_field_and_keeps_what_was_typed(
    logged_in_page,
):
    page = logged_in_page
    meeting = open_editor(page, title="Before")
    control(page, "title").fill("Typed title")
    control(page, "location").fill("Room 7")
    control(page, "settings-password").fill("12a")
    page.click("button.primary[type=submit]")

    password = page.locator(".field.has-error", has=control(page, "settings-password"))
    expect(password.locator(".error")).to_be_visible()
    expect(control(page, "settings-password")).to_have_value("12a")
    expect(control(page, "title")).to_have_value("Typed title")
    expect(control(page, "location")).to_have_value("Room 7")
    meeting.refresh_from_db()
    assert meeting.title == "Before"


def test_saving_after_a_colleague_saved_keeps_what_only_the_colleague_changed(logged_in_page):
    page = logged_in_page
    meeting = open_editor(page, title="Before", location="Room 1")
    # A colleague, in another tab, moves the meeting to another room meanwhile.
    meeting_actions.edit_meeting(
        meeting,
        {**payloads.desired_body(meeting), "location": "Room 2"},
        actor=None,
        loaded_version=meeting.version,
    )
    control(page, "title").fill("Typed title")
    page.click("button.primary[type=submit]")

    expect(page.locator(".errors[role=alert]")).to_be_visible()
    expect(control(page, "title")).to_have_value("Typed title")
    expect(control(page, "location")).to_have_value("Room 2")
    page.click("button.primary[type=submit]")

    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert (meeting.title, meeting.location) == ("Typed title", "Room 2")


def test_leaving_with_changes_not_saved_asks_first_and_saving_does_not(logged_in_page):
    page = logged_in_page
    meeting = open_editor(page, title="Before")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    control(page, "title").fill("Typed title")
    control(page, "title").press("Tab")
    expect(page.locator("#changes li.change")).to_have_count(1)

    page.click(f"a[href='/meetings/{meeting.pk}/']")
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(control(page, "title")).to_have_value("Typed title")

    page.click("button.primary[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    assert asked == ["beforeunload"]


def test_a_link_of_the_error_summary_puts_the_cursor_in_its_field(logged_in_page):
    page = logged_in_page
    open_editor(page)
    control(page, "settings-password").fill("12a")
    page.click("button.primary[type=submit]")

    page.locator(".error-links a[href='#field-settings-password']").click()

    expect(control(page, "settings-password")).to_be_focused()
