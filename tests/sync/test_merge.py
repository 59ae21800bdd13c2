"""The three-way comparison and the request record, as plain functions (no database)."""

import pytest

from meetings import sync
from meetings.sync import policy

BASE = {
    "title": "周会",
    "meeting_start": 1_900_000_000,
    "meeting_duration": 3600,
    "invitees": {"userid": ["zhangsan", "lisi"]},
    "settings": {"password": "1234", "enable_waiting_room": False, "remind_scope": 2},
    "reminders": {"is_repeat": 0, "remind_before": [0]},
}


def changed(body, **changes):
    result = {**body}
    for key, value in changes.items():
        if key in ("settings", "reminders"):
            result[key] = {**body[key], **value}
        else:
            result[key] = value
    return result


def test_it_sends_only_what_changed_here():
    mine = changed(BASE, title="周会（改）")
    result = sync.merge(BASE, mine, BASE)
    assert not result.conflicts and not result.taken
    assert sync.to_send(result) == {"title": "周会（改）"}


def test_it_takes_in_a_field_changed_only_in_wecom():
    theirs = changed(BASE, title="WeCom 里改的")
    mine = changed(BASE, settings={"enable_waiting_room": True})
    result = sync.merge(BASE, mine, theirs)
    assert result.taken == {"title": "WeCom 里改的"}
    assert result.body["title"] == "WeCom 里改的"
    # Settings travel whole when any of them changed; the title WeCom has is not re-sent.
    assert sync.to_send(result) == {"settings": mine["settings"]}


def test_it_reports_a_conflict_when_both_sides_changed_a_field_differently():
    mine = changed(BASE, settings={"password": "5678"})
    theirs = changed(BASE, settings={"password": "9999"})
    result = sync.merge(BASE, mine, theirs)
    assert result.conflicts == {"settings.password": {"mine": "5678", "wecom": "9999"}}


def test_it_sees_no_conflict_when_both_sides_made_the_same_change():
    mine = changed(BASE, title="同一个标题")
    result = sync.merge(BASE, mine, changed(BASE, title="同一个标题"))
    assert not result.conflicts
    assert sync.to_send(result) == {}


def test_it_treats_the_start_and_the_duration_as_one_field():
    mine = changed(BASE, meeting_start=BASE["meeting_start"] + 3600)
    theirs = changed(BASE, meeting_duration=7200)
    result = sync.merge(BASE, mine, theirs)
    assert set(result.conflicts) == {"meeting_start"}
    assert result.conflicts["meeting_start"]["mine"]["meeting_start"] == mine["meeting_start"]


def test_it_sends_the_start_and_the_duration_together():
    mine = changed(BASE, meeting_duration=1800)
    result = sync.merge(BASE, mine, BASE)
    assert sync.to_send(result) == {
        "meeting_start": BASE["meeting_start"],
        "meeting_duration": 1800,
    }


def test_it_ignores_the_order_and_case_of_userids():
    theirs = changed(BASE, invitees={"userid": ["LiSi", "zhangsan"]})
    result = sync.merge(BASE, BASE, theirs)
    assert not result.taken
    assert sync.to_send(result) == {}


def test_it_takes_a_field_wecom_does_not_report_as_unchanged():
    theirs = changed(BASE)
    theirs["settings"] = {k: v for k, v in BASE["settings"].items() if k != "password"}
    mine = changed(BASE, title="新标题")
    result = sync.merge(BASE, mine, theirs)
    assert not result.taken and not result.conflicts
    assert sync.to_send(result) == {"title": "新标题"}


def test_it_sends_everything_that_differs_when_nothing_was_confirmed_yet():
    theirs = changed(BASE, title="WeCom 的标题")
    result = sync.merge(None, BASE, theirs)
    assert not result.taken and not result.conflicts
    assert sync.to_send(result) == {"title": "周会"}


def test_it_keeps_no_conflict_on_a_setting_that_no_longer_applies_here():
    base = changed(BASE, settings={"remind_scope": 4, "ring_users": {"userid": ["lisi"]}})
    mine = changed(BASE, settings={"remind_scope": 2})
    theirs = changed(base, settings={"ring_users": {"userid": ["zhangsan"]}})
    result = sync.merge(base, mine, theirs)
    assert not result.conflicts
    assert "ring_users" not in result.body["settings"]


def test_it_keeps_passwords_and_host_keys_out_of_the_record():
    body = {
        "meetingid": "hy1",
        "settings": {"password": "1234", "host_key": "123456", "enable_host_key": True},
    }
    redacted = sync.redact(body)
    assert redacted["settings"] == {"password": "***", "host_key": "***", "enable_host_key": True}
    assert body["settings"]["password"] == "1234"


@pytest.mark.parametrize("tries", [1, 2, 3, 6])
def test_it_backs_off_exponentially_with_jitter_and_a_cap(settings, tries):
    settings.SYNC_BACKOFF_BASE = 2
    settings.SYNC_BACKOFF_MAX = 20
    nominal = min(20, 2 * 2 ** (tries - 1))
    delays = [policy.backoff(tries) for _ in range(50)]
    assert all(nominal / 2 <= d <= nominal for d in delays)
    assert len(set(delays)) > 1


def test_it_does_not_take_its_own_unanswered_send_for_a_change_in_wecom():
    lost = {"meetingid": "hy1", "title": "第二版"}
    theirs = changed(BASE, title="第二版")
    mine = changed(BASE, title="第三版")
    result = sync.merge(BASE, mine, theirs, sent=[lost])
    assert not result.conflicts
    assert sync.to_send(result) == {"title": "第三版"}


def test_it_does_not_take_an_unanswered_secret_for_a_change_in_wecom():
    lost = sync.redact({"meetingid": "hy1", "settings": {**BASE["settings"], "password": "1111"}})
    theirs = changed(BASE, settings={"password": "1111"})
    mine = changed(BASE, settings={"password": "2222"})
    result = sync.merge(BASE, mine, theirs, sent=[lost])
    assert not result.conflicts
    assert sync.to_send(result)["settings"]["password"] == "2222"
