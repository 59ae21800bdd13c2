"""An office administrator's day in Chromium, without the worker: people by name, the agenda
of occurrences, and every page at phone width.

Things are found by id, class, href and data attributes; visible words are checked in the
page's language, both of them."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings import agenda
from meetings.models import Calendar, Meeting, Person
from tests.fixtures.browser import log_in
from tests.meetings.factories import make_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WORDS = {
    "zh-CN": {"unknown": "未在通讯录中", "agenda": "议程", "today": "今天"},
    "en-US": {"unknown": "not in the directory", "agenda": "Agenda", "today": "Today"},
}


@pytest.fixture(params=["zh-CN", "en-US"])
def language(request):
    return request.param


def open_tab(browser, live_server, admin_user, admin_password, locale, **options):
    context = browser.new_context(base_url=live_server.url, locale=locale, **options)
    context.set_default_timeout(10_000)
    return log_in(context.new_page(), admin_user.username, admin_password)


@pytest.fixture
def tab(browser, live_server, admin_user, admin_password, language):
    page = open_tab(browser, live_server, admin_user, admin_password, language)
    page.words = WORDS[language]
    yield page
    page.context.close()


def unix(day, hour, minute=0):
    return int(timezone.make_aware(datetime.combine(day, time(hour, minute))).timestamp())


def monday(weeks_ahead=0):
    return agenda.week_start(timezone.localdate()) + timedelta(weeks=weeks_ahead)


def weekly_series(first_day, count, title):
    meeting = make_meeting(
        title=title,
        meeting_start=unix(first_day, 9),
        meeting_duration=1800,
        reminders={"is_repeat": 1, "repeat_type": 1},
        admin_userid="zhangsan",
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        sub_meetings=[
            {
                "sub_meetingid": f"sub{n}",
                "start": unix(first_day + timedelta(weeks=n), 9),
                "end": unix(first_day + timedelta(weeks=n), 9, 30),
                "deleted": False,
            }
            for n in range(count)
        ]
    )
    return meeting


@pytest.fixture
def directory():
    for userid, name in (("zhangsan", "张三"), ("lisi", "李四")):
        Person.objects.create(userid=userid, name=name, source=Person.Source.CSV)


def test_people_are_shown_by_name_with_the_userid_beside(tab, directory):
    page = tab
    meeting = make_meeting(title="预算评审", admin_userid="zhangsan", invitees=["lisi", "ghost"])
    page.goto("/")
    row = page.locator("table.list tbody tr", has_text="预算评审")
    expect(row.locator(".organiser .person-name")).to_have_text("张三")
    expect(row.locator(".organiser .person-userid")).to_have_text("(zhangsan)")

    page.goto(f"/meetings/{meeting.pk}/")
    expect(page.locator(".person-name", has_text="李四")).to_be_visible()
    stranger = page.locator(".person.unknown", has_text="ghost")
    expect(stranger).to_be_visible()
    expect(stranger).to_have_attribute("title", page.words["unknown"])


def test_the_list_finds_a_meeting_by_a_persons_name_and_by_its_meeting_code(tab, directory):
    page = tab
    soon = unix(timezone.localdate() + timedelta(days=3), 10)
    make_meeting(title="预算评审", admin_userid="zhangsan", invitees=["lisi"], meeting_start=soon)
    coded = make_meeting(
        title="季度复盘", admin_userid="zhangsan", invitees=["wangwu"], meeting_start=soon
    )
    Meeting.objects.filter(pk=coded.pk).update(meeting_code="123456789")
    page.goto("/")

    page.fill("input[name=q]", "李四")
    page.locator("form.filters button[type=submit]").click()
    titles = page.locator("table.list tbody tr td:nth-child(3) a")
    expect(titles).to_have_text(["预算评审"])

    # As WeCom's clients show it, with spaces.
    page.fill("input[name=q]", "123 456 789")
    page.locator("form.filters button[type=submit]").click()
    expect(titles).to_have_text(["季度复盘"])


def test_a_series_is_found_on_the_day_of_its_third_occurrence_and_weeks_move_by_htmx(tab):
    page = tab
    series = weekly_series(monday(-2) + timedelta(days=2), 5, "周例会")
    page.goto("/")
    page.click("nav a[href='/agenda/']")
    page.wait_for_url("**/agenda/")
    expect(page.locator("#agenda h1")).to_contain_text(page.words["agenda"])
    today = page.locator(".agenda-day.today")
    expect(today.locator(".badge.today")).to_have_text(page.words["today"])
    wednesday = (monday() + timedelta(days=2)).isoformat()
    third = page.locator(f"#day-{wednesday} a[href='/meetings/{series.pk}/#occurrence-sub2']")
    expect(third).to_have_text("周例会")

    page.evaluate("window.__notReloaded = true")
    page.click(".agenda-nav a[rel=next]")
    page.wait_for_url(f"**/agenda/?span=week&date={monday(1).isoformat()}")
    expect(page.locator(f"a[href='/meetings/{series.pk}/#occurrence-sub3']")).to_be_visible()
    assert page.evaluate("window.__notReloaded === true")
    page.go_back()
    expect(page.locator(f"a[href='/meetings/{series.pk}/#occurrence-sub2']")).to_be_visible()

    third_link = page.locator(f"a[href='/meetings/{series.pk}/#occurrence-sub2']")
    third_link.click()
    page.wait_for_url(f"**/meetings/{series.pk}/#occurrence-sub2")
    expect(page.locator("#occurrence-sub2")).to_be_visible()


def test_the_agenda_works_without_javascript(browser, live_server, admin_user, admin_password):
    page = open_tab(
        browser, live_server, admin_user, admin_password, "zh-CN", java_script_enabled=False
    )
    series = weekly_series(monday(-1), 4, "无脚本周会")
    page.goto("/agenda/")
    page.click(".agenda-nav a[rel=next]")
    page.wait_for_url(f"**date={monday(1).isoformat()}")
    expect(page.locator(f"a[href='/meetings/{series.pk}/#occurrence-sub2']")).to_be_visible()
    page.goto(f"/agenda/?span=day&date={monday(1).isoformat()}")
    expect(page.locator(".agenda-day")).to_have_count(1)
    page.context.close()


def fits_the_phone(page):
    """No sideways scrolling, and no text squeezed into a column a character or two wide."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"
    # Squeezed text: so many lines that each holds only a character or two.
    squeezed = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
              .filter(e => e.offsetParent !== null && e.innerText.trim().length >= 4)
              .filter(e => {
                const n = e.innerText.trim().length;
                const line = parseFloat(getComputedStyle(e).lineHeight) || 20;
                const lines = Math.round(e.getBoundingClientRect().height / line);
                return lines > 2 && lines * 2 >= n;
              })
              .map(e => e.tagName + ':' + e.innerText.trim().slice(0, 20))""",
        "main td, main dd, main a, main h1, main li, main .person, main label, main p",
    )
    if squeezed:
        page.screenshot(path="/tmp/day/squeezed.png", full_page=True)
    assert squeezed == [], f"{page.url}: {squeezed}"


def test_every_page_fits_a_phone(
    browser, live_server, admin_user, admin_password, language, directory
):
    page = open_tab(browser, live_server, admin_user, admin_password, language, viewport=PHONE)
    long_title = "第三季度全体销售与市场部门联合预算评审及下一年度规划讨论会议" * 2
    meeting = make_meeting(
        title=long_title,
        admin_userid="zhangsan",
        invitees=["lisi", "a.very.long.userid.that.does.not.break.easily@example"],
        settings={"hosts": ["lisi"]},
    )
    weekly_series(monday(), 3, long_title)
    Calendar.objects.create(
        cal_id="wcCALENDAR" + "x" * 40,
        summary="销售部日历",
        admins=["zhangsan", "lisi"],
        description="一个很长的描述" * 10,
    )
    for url in (
        "/",
        f"/meetings/{meeting.pk}/",
        "/agenda/",
        "/agenda/?span=day",
        "/calendars/",
        f"/meetings/{meeting.pk}/edit/",
        "/meetings/new/",
        "/import/",
    ):
        page.goto(url)
        fits_the_phone(page)

    # The navigation folds away behind its toggle, and opens with it.
    nav = page.locator(".topbar nav")
    expect(nav).to_be_hidden()
    page.click(".nav-toggle-label")
    expect(nav.locator("a[href='/agenda/']")).to_be_visible()
    fits_the_phone(page)
    page.context.close()


def test_a_fields_message_appears_on_leaving_it_and_the_banner_links_to_it(tab):
    page = tab
    meeting = make_meeting(title="周会")
    page.goto(f"/meetings/{meeting.pk}/edit/")
    password = page.locator("#field-settings-password")
    page.fill("[name='settings-password']", "12a")
    page.press("[name='settings-password']", "Tab")
    expect(password.locator(".error")).to_be_visible()
    expect(password).to_have_class(re.compile("has-error"))
    # It stays while another field is filled and its fieldset redrawn; the next field is
    # typed in once the redraw has landed, as a person would, who sees it first.
    with page.expect_response(f"**/meetings/{meeting.pk}/edit/"):
        page.check("[name='settings-enable_waiting_room']")
    expect(page.locator("#field-settings-enable_waiting_room input")).to_be_checked()
    expect(password.locator(".error")).to_be_visible()
    page.fill("[name='settings-password']", "1234")
    page.press("[name='settings-password']", "Tab")
    expect(password.locator(".error")).to_have_count(0)

    page.fill("[name='title']", "")
    page.fill("[name='settings-password']", "9")
    page.click("button.primary[type=submit]")
    links = page.locator(".errors .error-links a")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "#field-title")
    links.nth(1).click()
    page.wait_for_url("**#field-settings-password")
    expect(control_block(page, "settings-password").locator(".error")).to_be_in_viewport()


def control_block(page, name):
    return page.locator(f"#field-{name}")


def test_turning_a_meeting_recurring_starts_weekly_on_its_weekday_for_a_visible_count(tab):
    page = tab
    wednesday = monday(1) + timedelta(days=2)
    meeting = make_meeting(title="周会", meeting_start=unix(wednesday, 10))
    page.goto(f"/meetings/{meeting.pk}/edit/")
    page.check("[name='reminders-is_repeat']")
    expect(page.locator("[name='reminders-repeat_type']")).to_have_value("1")
    expect(page.locator("[name='reminders-repeat_until_type']")).to_have_value("1")
    expect(page.locator("[name='reminders-repeat_until_count']")).to_have_value("10")
    expect(page.locator(".preview li")).to_have_count(10)

    page.check("[name='reminders-is_custom_repeat']")
    expect(page.locator("[name='reminders-repeat_day_of_week']")).to_have_count(7)
    expect(page.locator("[name='reminders-repeat_day_of_week'][value='3']")).to_be_checked()
    expect(page.locator("[name='reminders-repeat_day_of_week']:checked")).to_have_count(1)


def test_people_fields_are_chips_removed_with_a_cross_and_hosts_offer_the_invitees_first(
    tab, directory
):
    page = tab
    Person.objects.create(userid="lisi2", name="李四二", source=Person.Source.CSV)
    meeting = make_meeting(invitees=["lisi", "ghost"])
    page.goto(f"/meetings/{meeting.pk}/edit/")
    chips = page.locator("#people-invitees .chip")
    expect(chips).to_have_count(2)

    page.locator("#people-search-invitees").fill("zhangsan")
    page.locator("#people-results-invitees button[data-userid='zhangsan']").click()
    expect(chips).to_have_count(3)
    expect(page.locator("#people-invitees .chip[data-userid='zhangsan']")).to_contain_text("张三")

    page.locator("#people-invitees .chip[data-userid='ghost'] .chip-remove").click()
    expect(chips).to_have_count(2)
    expect(page.locator("[name='invitees']")).to_have_value("lisi, zhangsan")
    expect(page.locator("#changes del")).to_contain_text("ghost")

    # A userid the directory does not know is added as typed.
    page.locator("#people-search-invitees").fill("new.colleague")
    page.locator("#people-results-invitees .add-userid button").click()
    expect(page.locator("#people-invitees .chip[data-userid='new.colleague']")).to_be_visible()

    # The hosts' picker offers the invitees first, marked, before the rest of the directory.
    page.locator("#people-search-settings-hosts").fill("李四")
    results = page.locator("#people-results-settings-hosts button.people-pick")
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_have_attribute("data-userid", "lisi")
    expect(results.nth(0).locator(".flag.invited")).to_be_visible()
    expect(results.nth(1)).to_have_attribute("data-userid", "lisi2")
    results.nth(0).click()
    expect(page.locator("#people-settings-hosts .chip[data-userid='lisi']")).to_be_visible()
