"""A new administrator's day, in a real Chromium, with the real Celery worker, the sandbox as
WeCom and its callbacks reaching the live server: create a recurring meeting with people
picked by name, change it, cancel one occurrence, see a change made in WeCom arrive, and
find the whole story in the audit record.

Things on the pages are found by `name=`, id, class and href, and by the directory's own
names, never by translated text."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from meetings import people
from meetings.actions import account as account_actions
from meetings.models import AuditEvent, Meeting, Person, Status, SyncState
from wecom.sandbox.state import DEFAULT_CALLBACK_AES_KEY, DEFAULT_CALLBACK_TOKEN

from .conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"
SYNC_WAIT = 30_000


def log_in(page, role, username):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    account_actions.grant_role(user, role)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def pick(page, field, query, userid):
    """Search the directory by name beside `field` and pick `userid` from the matches."""
    page.locator(f"#people-search-{field}").fill(query)
    match = page.locator(f"#people-results-{field} button[data-userid='{userid}']")
    expect(match).to_be_visible()
    match.click()


def expect_synced(page):
    expect(page.locator(".sync-badge").first).to_have_attribute(
        "data-sync-state", SyncState.SYNCED, timeout=SYNC_WAIT
    )


@pytest.fixture
def callbacks(sandbox, settings, live_server):
    """The sandbox calls the live server back, signed with the keys the app is set up with."""
    settings.WECOM_CALLBACK_TOKEN = DEFAULT_CALLBACK_TOKEN
    settings.WECOM_CALLBACK_AES_KEY = DEFAULT_CALLBACK_AES_KEY
    sandbox.configure(callback_url=f"{live_server.url}/wecom/callback/")


def test_a_new_administrators_day(page, browser, live_server, worker, sandbox, callbacks):
    people.upsert(people.sandbox_people(sandbox.url), Person.Source.SANDBOX)
    log_in(page, "administrator", "xiao.wang")

    # Morning: a new weekly meeting, four times, with people picked by name.
    page.goto("/")
    page.click("a[href='/meetings/new/']")
    page.wait_for_url("**/meetings/new/")
    page.fill("[name='title']", "产品周会")
    start = timezone.localtime() + timedelta(days=1)
    page.fill("[name='meeting_start']", start.strftime("%Y-%m-%dT10:00"))
    page.fill("[name='meeting_duration']", "60")
    pick(page, "admin_userid", "张", "zhangsan")
    expect(page.locator("[name='admin_userid']")).to_have_value("zhangsan")
    pick(page, "invitees", "李四", "lisi")
    pick(page, "invitees", "王", "wangwu")
    expect(page.locator("#people-invitees")).to_contain_text("王五")
    # Each of these redraws the recurrence fieldset; the next is made once it has been, as a
    # person would, who sees the new controls before using them.
    redrawn = "**/meetings/new/"
    with page.expect_response(redrawn):
        page.locator("[name='reminders-is_repeat']").check()
    with page.expect_response(redrawn):
        page.select_option("[name='reminders-repeat_type']", "1")
    with page.expect_response(redrawn):
        page.select_option("[name='reminders-repeat_until_type']", "1")
    page.fill("[name='reminders-repeat_until_count']", "4")
    page.locator("[name='reminders-repeat_until_count']").blur()
    expect(page.locator(".preview li")).to_have_count(4)
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/meetings/*/")

    meeting = Meeting.objects.get(title="产品周会")
    expect_synced(page)
    meeting.refresh_from_db()
    held = sandbox.meeting(meeting.meetingid)
    assert held["admin_userid"] == "zhangsan"
    assert set(held["invitees"]) == {"zhangsan", "lisi", "wangwu"}
    page.reload()
    occurrences = page.locator(".occurrences tbody tr")
    expect(occurrences).to_have_count(4)
    expect(page.locator("dd", has_text=meeting.meetingid)).to_be_visible()

    # Midday: the room changes.
    page.click(f"a[href='/meetings/{meeting.pk}/edit/']")
    page.fill("[name='location']", "3楼大会议室")
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    expect_synced(page)
    assert sandbox.meeting(meeting.meetingid)["location"] == "3楼大会议室"

    # Afternoon: the second week is called off, after a confirmation.
    page.reload()
    second = occurrences.nth(1)
    second.locator("a[href*='/cancel/']").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/cancel/?sub_meetingid=*")
    page.click("button.danger[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    expect_synced(page)
    page.reload()
    expect(occurrences).to_have_count(4)
    expect(second.locator("a[href*='/cancel/']")).to_have_count(0)
    expect(occurrences.nth(2).locator("a[href*='/cancel/']")).to_have_count(1)
    meeting.refresh_from_db()
    assert [o["deleted"] for o in meeting.sub_meetings] == [False, True, False, False]
    info = sandbox.call("meeting/get_info", {"meetingid": meeting.meetingid})
    # WeCom's own flag: 0 exists, 1 deleted (get_info page 93708).
    assert [s["status"] for s in info["sub_meetings"]] == [0, 1, 0, 0]

    # Evening: the organiser changes the description in the WeCom client; WeCom calls back.
    sandbox.patch_meeting(meeting.meetingid, description="请提前准备周报")
    wait_for(
        lambda: Meeting.objects.get(pk=meeting.pk).description == "请提前准备周报",
        timeout=30,
        message="the change made in WeCom to arrive",
    )
    page.reload()
    expect(page.locator("dd", has_text="请提前准备周报")).to_be_visible()
    expect_synced(page)
    meeting.refresh_from_db()
    assert meeting.status == Status.SCHEDULED

    # The auditor reads the day back: who did what, in order, and what WeCom changed.
    # Each action of hers is followed by the worker's word that WeCom holds it.
    story = list(
        AuditEvent.objects.with_outcome()
        .filter(meeting=meeting)
        .order_by("at", "pk")
        .values_list("action", "actor_username", "effective_outcome")
    )
    done, result = AuditEvent.Outcome.OK, AuditEvent.Action.SYNC_RESULT
    assert story == [
        (AuditEvent.Action.CREATE, "xiao.wang", done),
        (result, "system", done),
        (AuditEvent.Action.EDIT, "xiao.wang", done),
        (result, "system", done),
        (AuditEvent.Action.CANCEL, "xiao.wang", done),
        (result, "system", done),
        (AuditEvent.Action.IMPORT, "system", done),
    ]
    auditor_view = browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        audit_page = auditor_view.new_page()
        log_in(audit_page, "auditor", "li.audit")
        audit_page.goto(f"/admin/meetings/auditevent/?q={meeting.meetingid}")
        expect(audit_page.locator("#result_list tbody tr")).to_have_count(7)
        expect(audit_page.locator("#result_list")).to_contain_text("xiao.wang")
    finally:
        auditor_view.close()
