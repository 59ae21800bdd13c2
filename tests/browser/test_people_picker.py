"""The people pickers in a real Chromium: search the directory by name, pick a match, and the
userid joins the list with the name shown beside it.

Found by `name=`, id and class, and by the directory's own names, never by translated text."""

import pytest
from playwright.sync_api import expect

from meetings.models import Person
from tests.meetings.factories import make_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_adds_a_person_picked_by_name_to_the_invitees(logged_in_page):
    page = logged_in_page
    Person.objects.create(userid="lisi", name="李四", department="研发部", source="csv")
    Person.objects.create(userid="zhaoliu", name="赵六", department="市场部", source="csv")
    meeting = make_meeting(invitees=["lisi"])
    page.goto(f"/meetings/{meeting.pk}/edit/")
    names = page.locator("#people-invitees")
    expect(names).to_contain_text("李四")

    page.locator("#people-search-invitees").fill("赵")
    match = page.locator("#people-results-invitees button[data-userid='zhaoliu']")
    expect(match).to_contain_text("赵六")
    match.click()

    expect(page.locator("[name='invitees']")).to_have_value("lisi, zhaoliu")
    expect(names).to_contain_text("赵六")
    expect(names).to_contain_text("市场部")
    # The change reached the form's one listener: the changes panel names the new invitee.
    expect(page.locator("#changes ins")).to_contain_text("zhaoliu")
    # The search box is outside the form: it is neither posted nor left holding the query.
    expect(page.locator("#people-search-invitees")).to_have_value("")

    page.click("button.primary[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    meeting.refresh_from_db()
    assert meeting.invitees == ["lisi", "zhaoliu"]


def test_it_keeps_what_is_being_typed_while_the_people_fieldset_is_redrawn(logged_in_page):
    page = logged_in_page
    Person.objects.create(userid="wangwu", name="王五", department="研发部", source="csv")
    meeting = make_meeting(invitees=["lisi"])
    page.goto(f"/meetings/{meeting.pk}/edit/")

    page.locator("[name='invitees']").fill("lisi, wangwu")
    # Moving on fires the change; the redraw shows the name and keeps the text as typed.
    page.locator("[name='settings-hosts']").click()
    expect(page.locator("#people-invitees")).to_contain_text("王五")
    expect(page.locator("[name='invitees']")).to_have_value("lisi, wangwu")


def test_a_person_typed_by_name_shows_by_name_and_can_be_taken_out(logged_in_page):
    page = logged_in_page
    Person.objects.create(userid="wangwu", name="王五", department="研发部", source="csv")
    meeting = make_meeting(invitees=["lisi"])
    page.goto(f"/meetings/{meeting.pk}/edit/")

    page.locator("[name='invitees']").fill("lisi，王五")
    page.locator("[name='invitees']").press("Tab")
    chip = page.locator("#people-invitees li[data-userid='wangwu']")
    expect(chip).to_contain_text("王五")
    expect(chip).not_to_have_class("unknown")

    chip.locator(".chip-remove").click()
    expect(page.locator("[name='invitees']")).to_have_value("lisi")
    expect(chip).to_have_count(0)


def test_the_keyboard_picks_and_takes_out_people_without_losing_its_place(logged_in_page):
    page = logged_in_page
    Person.objects.create(userid="zhaoliu", name="赵六", department="市场部", source="csv")
    meeting = make_meeting(invitees=["lisi"])
    page.goto(f"/meetings/{meeting.pk}/edit/")
    search = page.locator("#people-search-invitees")

    search.focus()
    page.keyboard.type("赵")
    expect(page.locator("#people-results-invitees button[data-userid='zhaoliu']")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#people-results-invitees button[data-userid='zhaoliu']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[name='invitees']")).to_have_value("lisi, zhaoliu")
    expect(page.locator("#people-invitees li[data-userid='zhaoliu']")).to_be_visible()
    expect(search).to_be_focused()

    page.locator("#people-invitees li[data-userid='zhaoliu'] .chip-remove").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[name='invitees']")).to_have_value("lisi")
    expect(page.locator("#people-invitees li[data-userid='zhaoliu']")).to_have_count(0)
    expect(search).to_be_focused()

    # Enter in the search box picks the first match.
    page.keyboard.type("赵")
    expect(page.locator("#people-results-invitees button[data-userid='zhaoliu']")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("[name='invitees']")).to_have_value("lisi, zhaoliu")
    expect(search).to_be_focused()


def test_a_new_meetings_organiser_is_offered_first_to_ring(logged_in_page):
    page = logged_in_page
    Person.objects.create(userid="zhangsan", name="张三", department="产品部", source="csv")
    Person.objects.create(userid="lisi", name="李四", department="研发部", source="csv")
    page.goto("/meetings/new/")
    page.locator("[name='admin_userid']").fill("zhangsan")
    page.locator("[name='invitees']").fill("lisi")
    page.select_option("[name='settings-remind_scope']", "4")
    # Once the redraw has settled, as a person sees the new row before moving to it.
    expect(page.locator("[name='settings-ring_users']")).to_be_visible()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)

    # Focus lists who is invited: the organiser, whom saving invites, with the invitees. It
    # also leaves the select, whose fieldset is redrawn then: the matches stay.
    page.locator("#people-search-settings-ring_users").focus()
    results = page.locator("#people-results-settings-ring_users button.people-pick")
    expect(results).to_have_count(2)
    expect(page.locator("#people-results-settings-ring_users .flag.invited")).to_have_count(2)
    results.filter(has_text="张三").click()
    expect(page.locator("[name='settings-ring_users']")).to_have_value("zhangsan")
