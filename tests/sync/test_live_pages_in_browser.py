"""Pages that keep up with the worker, in a real Chromium with the real Celery worker and the
sandbox as WeCom: the meeting's page follows its sync without a reload, a failure reaches the
navigation's count and is retried from the list row, and a change waiting for its next try
can be sent at once.

Things are found by id, class, href and data attributes; the visible words are checked in the
language of the page."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from meetings.actions import account as account_actions
from meetings.actions import meeting as meeting_actions
from meetings.models import Meeting, SyncState
from tests.fixtures.browser import log_in

from .conftest import edit, import_new

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"
SYNC_WAIT = 30_000
WORDS = {
    "zh-CN": {"attention": "需要处理", "retry": "重试", "retry_now": "立即重试"},
    "en-US": {"attention": "Needs attention", "retry": "Retry", "retry_now": "Retry now"},
}


@pytest.fixture(params=["zh-CN", "en-US"])
def tab(request, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale=request.param)
    context.set_default_timeout(15_000)
    page = context.new_page()
    user = get_user_model().objects.create_user("xiao.li", password=PASSWORD)
    account_actions.grant_role(user, "administrator")
    log_in(page, "xiao.li", PASSWORD)
    page.words = WORDS[request.param]
    yield page
    context.close()


def mark_loaded(page):
    """A flag that a reload would wipe: the page updated itself if it is still there."""
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__notReloaded === true")


def badge(page, meeting):
    return page.locator(f"#sync-badge-{meeting.pk}")


def test_the_meetings_page_shows_its_id_once_wecom_has_created_it(tab, worker, sandbox):
    page = tab
    start = int(timezone.now().timestamp()) + 86400
    body = {
        "title": "新建的会",
        "meeting_start": start,
        "meeting_duration": 1800,
        "invitees": {"userid": ["zhangsan", "lisi"]},
    }
    meeting = meeting_actions.create_meeting(body, admin_userid="zhangsan", actor=None)
    page.goto(f"/meetings/{meeting.pk}/")
    mark_loaded(page)
    expect(badge(page, meeting)).to_have_attribute(
        "data-sync-state", SyncState.SYNCED, timeout=SYNC_WAIT
    )
    meeting.refresh_from_db()
    assert meeting.meetingid
    expect(page.locator("#meeting-live dd", has_text=meeting.meetingid)).to_be_visible()
    assert_not_reloaded(page)
    # Settled: the page asks for nothing more.
    expect(page.locator("#meeting-live")).to_have_attribute("hx-trigger", "sync-started from:body")


def test_a_failure_reaches_the_navigation_and_is_retried_from_the_list(tab, worker, sandbox):
    page = tab
    meeting = import_new(sandbox, title="周会")
    other = import_new(sandbox, title="不相干的会")
    page.goto(f"/meetings/{meeting.pk}/edit/")
    count = page.locator("#nav-attention .count")
    expect(count).to_have_text("0")

    sandbox.fault(path="meeting/update", kind="errcode", value=400031, times=1)
    page.fill("[name='title']", "周会（改）")
    page.click("button.primary[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    mark_loaded(page)

    expect(badge(page, meeting)).to_have_attribute(
        "data-sync-state", SyncState.FAILED, timeout=SYNC_WAIT
    )
    expect(page.locator("#meeting-live h1")).to_have_text("周会（改）")
    expect(count).to_have_text("1")
    assert_not_reloaded(page)

    page.click("#nav-attention")
    page.wait_for_url("**/?sync=attention")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("周会（改）")
    expect(page.locator(f"#sync-badge-{other.pk}")).to_have_count(0)

    retry = rows.first.locator("form.sync-retry button")
    expect(retry).to_have_text(page.words["retry"])
    mark_loaded(page)
    retry.click()
    expect(badge(page, meeting)).to_have_attribute(
        "data-sync-state", SyncState.SYNCED, timeout=SYNC_WAIT
    )
    expect(page.locator("#nav-attention .count")).to_have_text("0")
    expect(page.locator("#nav-attention")).to_contain_text(page.words["attention"])
    assert_not_reloaded(page)
    assert sandbox.meeting(meeting.meetingid)["title"] == "周会（改）"


def test_retry_now_sends_a_change_waiting_for_its_next_try(tab, worker, sandbox, settings):
    page = tab
    settings.SYNC_BACKOFF_BASE = 300
    settings.SYNC_BACKOFF_MAX = 600
    meeting = import_new(sandbox, title="晨会")
    sandbox.fault(path="meeting/update", kind="errcode", value=-1, times=1)
    edit(meeting, location="2楼")
    page.goto(f"/meetings/{meeting.pk}/")
    expect(badge(page, meeting)).to_have_attribute(
        "data-sync-state", SyncState.RETRYING, timeout=SYNC_WAIT
    )
    now = page.locator(f"#sync-badge-{meeting.pk} form.sync-retry button")
    expect(now).to_have_text(page.words["retry_now"])
    now.click()
    expect(badge(page, meeting)).to_have_attribute(
        "data-sync-state", SyncState.SYNCED, timeout=SYNC_WAIT
    )
    assert sandbox.meeting(meeting.meetingid)["location"] == "2楼"
    assert Meeting.objects.get(pk=meeting.pk).sync_state == SyncState.SYNCED


def test_an_import_from_a_slow_wecom_runs_in_the_background(tab, worker, sandbox, settings):
    page = tab
    settings.SYNC_BACKOFF_BASE = 3
    slow = sandbox.create_meeting(title="慢慢导入")
    # WeCom is busy, then slow: the import tries again a little later, and waits.
    sandbox.fault(path="meeting/get_info", kind="errcode", value=-1, times=1)
    sandbox.fault(path="meeting/get_info", kind="delay", value=2, times=1)
    page.goto("/import/")
    page.fill("[name='meetingids']", slow)
    page.click("main button.primary[type=submit]")
    page.wait_for_url("**/import/*/")
    mark_loaded(page)
    row = page.locator(f".import-row[data-meetingid='{slow}']")
    # The page is there before WeCom has answered, and follows until it has.
    expect(row).not_to_have_attribute("data-state", "imported")
    expect(row).to_have_attribute("data-state", "imported", timeout=SYNC_WAIT)
    assert [r["fault"] for r in sandbox.requests("meeting/get_info")][:2] == ["errcode", "delay"]
    meeting = Meeting.objects.get(meetingid=slow)
    expect(row.locator(f"a[href='/meetings/{meeting.pk}/']")).to_have_text("慢慢导入")
    assert_not_reloaded(page)
    # Settled: the list stops asking.
    expect(page.locator("#import-progress")).not_to_have_attribute("hx-trigger", "every 1s")
