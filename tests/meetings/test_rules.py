from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import translation

from meetings import rules
from meetings.rules import Problem, check_meeting

NOW = 1_760_000_000  # 2025-10-09 08:53:20 UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def found(problems):
    return {(p.field, p.code) for p in problems}


def check(body, **options):
    options.setdefault("now", NOW)
    options.setdefault("invitee_cap", 100)
    return check_meeting(body, **options)


def at(*args, tz=SHANGHAI):
    return int(datetime(*args, tzinfo=tz).timestamp())


def a_valid_body():
    return {
        "title": "周例会",
        "meeting_start": NOW + 3600,
        "meeting_duration": 3600,
        "description": "Weekly sync",
        "location": "广州媒体港",
        "cal_id": "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA",
        "invitees": {"userid": ["lisi", "wangwu", "zhangsan"]},
        "settings": {
            "password": "1234",
            "enable_waiting_room": False,
            "allow_enter_before_host": True,
            "enable_enter_mute": 1,
            "allow_unmute_self": False,
            "mute_all": True,
            "allow_external_user": False,
            "enable_screen_watermark": True,
            "watermark_type": 1,
            "auto_record_type": "cloud",
            "attendee_join_auto_record": False,
            "enable_host_pause_auto_record": True,
            "enable_enroll": True,
            "enable_host_key": True,
            "host_key": "123456",
            "hosts": {"userid": ["lisi"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["wangwu"]},
        },
        "reminders": {
            "is_repeat": 1,
            "repeat_type": 1,
            "is_custom_repeat": 1,
            "repeat_interval": 2,
            "repeat_day_of_week": [1, 3],
            "repeat_until_type": 1,
            "repeat_until_count": 10,
            "remind_before": [0, 900],
        },
    }


def test_it_accepts_a_complete_valid_body():
    assert check(a_valid_body()) == []


def test_it_accepts_an_empty_body():
    assert check({}) == []


def test_it_refuses_a_body_that_is_not_a_dict():
    assert found(check(["title"])) == {("__all__", "invalid_type")}


def test_it_treats_none_as_absent():
    assert check({"title": None, "settings": None, "reminders": None}) == []


# --- title, time, texts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "codes"),
    [
        ("a", set()),
        ("x" * 255, set()),
        ("会" * 255, set()),
        ("  " + "x" * 255 + "  ", set()),
        ("x" * 256, {("title", "too_long")}),
        ("", {("title", "blank")}),
        (" \t\u3000", {("title", "blank")}),
        (42, {("title", "invalid_type")}),
    ],
)
def test_it_checks_the_title_length_after_stripping(title, codes):
    assert found(check({"title": title})) == codes


def test_it_wants_the_start_in_the_future():
    duration = {"meeting_duration": 3600}
    assert check({"meeting_start": NOW + 1, **duration}) == []
    assert found(check({"meeting_start": NOW, **duration})) == {("meeting_start", "in_past")}
    assert found(check({"meeting_start": NOW - 60, **duration})) == {("meeting_start", "in_past")}


def test_it_refuses_a_start_beyond_uint32():
    problems = check({"meeting_start": 2**32, "meeting_duration": 3600})
    assert found(problems) == {("meeting_start", "out_of_range")}


@pytest.mark.parametrize("value", ["1760003600", 1760003600.0, True])
def test_it_refuses_a_start_that_is_not_an_int(value):
    problems = check({"meeting_start": value, "meeting_duration": 3600})
    assert found(problems) == {("meeting_start", "invalid_type")}


def test_it_wants_the_start_and_the_duration_together():
    assert found(check({"meeting_start": NOW + 60})) == {("meeting_duration", "missing_pair")}
    assert found(check({"meeting_duration": 3600})) == {("meeting_start", "missing_pair")}


@pytest.mark.parametrize(
    ("duration", "ok"),
    [(299, False), (300, True), (3600, True), (86399, True), (86400, False), (0, False)],
)
def test_it_checks_the_duration_range(duration, ok):
    problems = check({"meeting_start": NOW + 60, "meeting_duration": duration})
    assert found(problems) == (set() if ok else {("meeting_duration", "out_of_range")})


def test_it_refuses_a_duration_that_is_not_an_int():
    problems = check({"meeting_start": NOW + 60, "meeting_duration": "3600"})
    assert found(problems) == {("meeting_duration", "invalid_type")}


def test_it_counts_the_description_in_characters():
    assert check({"description": "描" * 500}) == []
    assert found(check({"description": "d" * 501})) == {("description", "too_long")}
    assert check({"description": ""}) == []


@pytest.mark.parametrize(
    ("location", "ok"),
    [
        ("广" * 18, True),
        ("广" * 19, False),
        ("a" * 36, True),
        ("a" * 37, False),
        ("广" * 17 + "ab", True),
        ("广" * 17 + "abc", False),
        ("Room 5 会议室 B", True),
        ("ＡＢ" * 9, True),  # full-width letters take two places like Chinese ones
        ("ＡＢ" * 9 + "x", False),
        ("", True),
    ],
)
def test_it_counts_a_chinese_character_as_two_in_the_location(location, ok):
    assert found(check({"location": location})) == (set() if ok else {("location", "too_long")})


def test_it_measures_the_location_width():
    assert rules.location_width("广州 media") == 2 + 2 + 6


def test_it_counts_the_cal_id_in_bytes():
    assert check({"cal_id": "c" * 64}) == []
    assert found(check({"cal_id": "c" * 65})) == {("cal_id", "too_long")}
    # 22 Chinese characters are 66 bytes in UTF-8.
    assert found(check({"cal_id": "历" * 22})) == {("cal_id", "too_long")}
    assert check({"cal_id": "历" * 21}) == []


@pytest.mark.parametrize("field", ["description", "location", "cal_id"])
def test_it_refuses_texts_of_the_wrong_type(field):
    assert found(check({field: ["x"]})) == {(field, "invalid_type")}


# --- userids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "userid", ["lisi", "Li.Si", "zhang_san-1", "a@b.c", "x" * 64, "0", "_lead", "-"]
)
def test_it_accepts_well_formed_userids(userid):
    assert check({"invitees": {"userid": [userid]}}) == []


@pytest.mark.parametrize("userid", ["", "x" * 65, "li si", "张三", "lisi!", "a/b", "lisi\n"])
def test_it_refuses_malformed_userids_naming_them(userid):
    problems = check({"invitees": {"userid": ["ok", userid]}})
    assert found(problems) == {("invitees", "invalid_userid")}
    with translation.override("en"):
        assert f"“{userid[:30]}" in str(problems[0].message)


def test_it_refuses_a_userid_that_is_not_text():
    problems = check({"invitees": {"userid": [7]}})
    assert found(problems) == {("invitees", "invalid_userid")}


@pytest.mark.parametrize("value", [["lisi"], {"userid": "lisi"}, "lisi", 3])
def test_it_refuses_invitees_of_the_wrong_shape(value):
    assert found(check({"invitees": value})) == {("invitees", "invalid_type")}


def test_it_accepts_an_empty_invitee_list():
    assert check({"invitees": {"userid": []}}) == []
    assert check({"invitees": {}}) == []


def test_it_checks_userids_of_hosts_and_ring_users():
    body = {
        "invitees": {"userid": ["lisi"]},
        "settings": {
            "hosts": {"userid": ["bad id"]},
            "remind_scope": 4,
            "ring_users": {"userid": ["also bad"]},
        },
    }
    assert found(check(body)) == {
        ("settings.hosts", "invalid_userid"),
        ("settings.ring_users", "invalid_userid"),
    }


def test_it_dedupes_userids_ignoring_case():
    assert rules.dedupe_userids(["lisi", "wangwu", "LiSi", "lisi"]) == (
        ["lisi", "wangwu"],
        ["LiSi", "lisi"],
    )


def test_it_does_not_refuse_repeated_invitees():
    assert check({"invitees": {"userid": ["lisi", "lisi", "LISI"]}}) == []


def test_it_caps_the_invitees():
    userids = [f"user{i}" for i in range(100)]
    assert check({"invitees": {"userid": userids}}) == []
    problems = check({"invitees": {"userid": [*userids, "user100"]}})
    assert found(problems) == {("invitees", "too_many")}


def test_it_counts_repeated_invitees_once_against_the_cap():
    userids = [f"user{i}" for i in range(100)]
    assert check({"invitees": {"userid": userids + userids}}) == []


def test_it_counts_the_administrator_against_the_cap():
    userids = [f"user{i}" for i in range(100)]
    body = {"invitees": {"userid": userids}}
    assert found(check(body, admin_userid="boss")) == {("invitees", "too_many")}
    assert check(body, admin_userid="user5") == []
    assert check(body, admin_userid="USER5") == []


def test_it_takes_an_explicit_invitee_cap():
    body = {"invitees": {"userid": ["a", "b", "c"]}}
    assert found(check(body, invitee_cap=2)) == {("invitees", "too_many")}
    assert check(body, invitee_cap=3) == []


@override_settings(WECOM_INVITEE_CAP=3)
def test_the_update_cap_limits_what_one_call_carries_not_the_meeting():
    # Past the update call's cap the list goes through set_invitees, up to 2000.
    assert rules.configured_invitee_cap() == 3
    body = {"invitees": {"userid": [f"user{i}" for i in range(2000)]}}
    assert check_meeting(body, now=NOW, admin_userid="user0") == []
    assert found(check_meeting(body, now=NOW, admin_userid="boss")) == {("invitees", "too_many")}


def test_it_falls_back_to_100_invitees_without_a_setting(settings):
    del settings.WECOM_INVITEE_CAP
    assert rules.configured_invitee_cap() == 100


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("", True),
        ("1234", True),
        ("123456", True),
        ("123", False),
        ("1234567", False),
        ("12a4", False),
        ("١٢٣٤", False),  # Arabic-Indic digits are digits to Python, not to WeCom
        ("1234\n", False),
    ],
)
def test_it_wants_a_password_of_4_to_6_digits(password, ok):
    problems = check({"settings": {"password": password}})
    assert found(problems) == (set() if ok else {("settings.password", "invalid_format")})


def test_it_explains_the_password_rule_in_english():
    (problem,) = check({"settings": {"password": "12"}})
    with translation.override("en"):
        assert str(problem.message) == "The password must be 4 to 6 digits."


def test_it_refuses_a_password_that_is_not_text():
    assert found(check({"settings": {"password": 1234}})) == {("settings.password", "invalid_type")}


@pytest.mark.parametrize(
    ("host_key", "ok"), [("123456", True), ("", True), ("12345", False), ("1234567", False)]
)
def test_it_wants_a_host_key_of_6_digits_when_enabled(host_key, ok):
    problems = check({"settings": {"enable_host_key": True, "host_key": host_key}})
    assert found(problems) == (set() if ok else {("settings.host_key", "invalid_format")})


@pytest.mark.parametrize("enabled", [False, None])
def test_it_ignores_the_host_key_when_not_enabled(enabled):
    assert check({"settings": {"enable_host_key": enabled, "host_key": "nonsense"}}) == []


@pytest.mark.parametrize(("value", "ok"), [(0, True), (1, True), (2, True), (3, False)])
def test_it_checks_enable_enter_mute(value, ok):
    problems = check({"settings": {"enable_enter_mute": value}})
    assert found(problems) == (set() if ok else {("settings.enable_enter_mute", "invalid_choice")})


def test_it_checks_the_watermark_type_only_with_the_watermark():
    on = {"enable_screen_watermark": True}
    assert check({"settings": {**on, "watermark_type": 0}}) == []
    assert check({"settings": {**on, "watermark_type": 1}}) == []
    assert found(check({"settings": {**on, "watermark_type": 2}})) == {
        ("settings.watermark_type", "invalid_choice")
    }
    assert check({"settings": {"enable_screen_watermark": False, "watermark_type": 2}}) == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [("none", True), ("local", True), ("cloud", True), ("Cloud", False), ("", False)],
)
def test_it_checks_auto_record_type(value, ok):
    problems = check({"settings": {"auto_record_type": value}})
    assert found(problems) == (set() if ok else {("settings.auto_record_type", "invalid_choice")})


@pytest.mark.parametrize("record", ["none", "local", None])
def test_it_ignores_the_cloud_recording_options_without_cloud_recording(record):
    settings = {"attendee_join_auto_record": "junk", "enable_host_pause_auto_record": 5}
    if record:
        settings["auto_record_type"] = record
    assert check({"settings": settings}) == []


def test_it_checks_the_cloud_recording_options_with_cloud_recording():
    settings = {
        "auto_record_type": "cloud",
        "attendee_join_auto_record": "yes",
        "enable_host_pause_auto_record": True,
    }
    assert found(check({"settings": settings})) == {
        ("settings.attendee_join_auto_record", "invalid_type")
    }


@pytest.mark.parametrize("flag", rules.SETTINGS_FLAGS)
def test_it_wants_flags_to_be_booleans(flag):
    settings = {
        "auto_record_type": "cloud",
        "allow_unmute_self": False,
        "mute_all": True,
        flag: 1,
    }
    assert (f"settings.{flag}", "invalid_type") in found(check({"settings": settings}))


def test_it_wants_mute_all_when_participants_may_not_unmute():
    refused = {("settings.mute_all", "mute_all_required")}
    assert check({"settings": {"allow_unmute_self": False, "mute_all": True}}) == []
    assert found(check({"settings": {"allow_unmute_self": False, "mute_all": False}})) == refused
    assert found(check({"settings": {"allow_unmute_self": False}})) == refused
    assert check({"settings": {"allow_unmute_self": True, "mute_all": False}}) == []
    assert check({"settings": {"mute_all": False}}) == []


def test_it_wants_at_most_10_hosts():
    invitees = [f"user{i}" for i in range(20)]
    body = {"invitees": {"userid": invitees}, "settings": {"hosts": {"userid": invitees[:10]}}}
    assert check(body) == []
    body["settings"]["hosts"]["userid"] = invitees[:11]
    assert found(check(body)) == {("settings.hosts", "too_many")}


def test_it_wants_every_host_invited():
    body = {"invitees": {"userid": ["lisi"]}, "settings": {"hosts": {"userid": ["LISI", "zhao"]}}}
    problems = check(body)
    assert found(problems) == {("settings.hosts", "not_invited")}
    with translation.override("en"):
        assert "zhao" in str(problems[0].message)


def test_it_counts_the_administrator_as_invited():
    body = {"invitees": {"userid": ["lisi"]}, "settings": {"hosts": {"userid": ["boss"]}}}
    assert check(body, admin_userid="boss") == []
    assert found(check(body)) == {("settings.hosts", "not_invited")}


def test_it_cannot_check_hosts_against_invitees_the_body_leaves_out():
    assert check({"settings": {"hosts": {"userid": ["anyone"]}}}) == []


@pytest.mark.parametrize(("scope", "ok"), [(0, False), (1, True), (4, True), (5, False)])
def test_it_checks_remind_scope(scope, ok):
    problems = check({"settings": {"remind_scope": scope}})
    assert found(problems) == (set() if ok else {("settings.remind_scope", "invalid_choice")})


def test_it_checks_ring_users_only_for_scope_4():
    ring = {"userid": ["stranger"]}
    body = {"invitees": {"userid": ["lisi"]}, "settings": {"remind_scope": 4, "ring_users": ring}}
    assert found(check(body)) == {("settings.ring_users", "not_invited")}
    body["settings"]["remind_scope"] = 3
    assert check(body) == []


def test_it_allows_scope_4_with_nobody_to_ring():
    assert check({"settings": {"remind_scope": 4, "ring_users": {"userid": []}}}) == []


def test_it_refuses_settings_that_are_not_a_dict():
    assert found(check({"settings": []})) == {("settings", "invalid_type")}


# --- reminders -------------------------------------------------------------------------


def repeating(**fields):
    return {"reminders": {"is_repeat": 1, **fields}}


@pytest.mark.parametrize(("value", "ok"), [(0, True), (1, True), (2, False), (True, False)])
def test_it_checks_is_repeat(value, ok):
    problems = check({"reminders": {"is_repeat": value}})
    assert (problems == []) is ok


@pytest.mark.parametrize(
    ("repeat_type", "ok"), [(0, True), (1, True), (2, True), (7, True), (3, False), (-1, False)]
)
def test_it_checks_repeat_type(repeat_type, ok):
    problems = check(repeating(repeat_type=repeat_type))
    assert found(problems) == (set() if ok else {("reminders.repeat_type", "invalid_choice")})


def test_it_ignores_the_repeat_fields_of_a_meeting_that_does_not_repeat():
    body = {"reminders": {"is_repeat": 0, "repeat_type": 9, "repeat_interval": -1}}
    assert check(body) == []


def test_it_limits_a_custom_repeat_to_daily_weekly_and_monthly():
    problems = check(repeating(is_custom_repeat=1, repeat_type=7, repeat_interval=1))
    assert found(problems) == {("reminders.repeat_type", "not_custom")}


def test_it_wants_an_interval_for_a_custom_repeat():
    problems = check(repeating(is_custom_repeat=1))
    assert found(problems) == {("reminders.repeat_interval", "required")}
    assert check(repeating(is_custom_repeat=1, repeat_interval=1)) == []


@pytest.mark.parametrize(("interval", "ok"), [(0, False), (1, True), (99, True), (100, False)])
def test_it_bounds_the_interval(interval, ok):
    problems = check(repeating(is_custom_repeat=1, repeat_interval=interval))
    assert found(problems) == (set() if ok else {("reminders.repeat_interval", "out_of_range")})


def test_it_ignores_the_interval_without_a_custom_repeat():
    assert check(repeating(is_custom_repeat=0, repeat_interval=0)) == []


def test_it_checks_the_weekdays_of_a_custom_weekly_repeat():
    custom_weekly = {"is_custom_repeat": 1, "repeat_type": 1, "repeat_interval": 1}
    assert check(repeating(**custom_weekly, repeat_day_of_week=[1, 7])) == []
    assert check(repeating(**custom_weekly, repeat_day_of_week=[])) == []
    problems = check(repeating(**custom_weekly, repeat_day_of_week=[0, 3, 8, "1"]))
    assert [p.code for p in problems] == ["out_of_range"] * 3
    assert {p.field for p in problems} == {"reminders.repeat_day_of_week"}


def test_it_ignores_weekdays_unless_the_repeat_is_custom_weekly():
    assert check(repeating(repeat_type=1, repeat_day_of_week=[9])) == []
    assert (
        check(
            repeating(is_custom_repeat=1, repeat_interval=1, repeat_type=2, repeat_day_of_week=[9])
        )
        == []
    )


def test_it_checks_the_days_of_a_custom_monthly_repeat():
    custom_monthly = {"is_custom_repeat": 1, "repeat_type": 2, "repeat_interval": 1}
    assert check(repeating(**custom_monthly, repeat_day_of_month=[1, 31])) == []
    problems = check(repeating(**custom_monthly, repeat_day_of_month=[0, 32]))
    assert found(problems) == {("reminders.repeat_day_of_month", "out_of_range")}
    assert len(problems) == 2
    assert check(repeating(repeat_type=2, repeat_day_of_month=[40])) == []


def test_it_refuses_day_lists_that_are_not_lists():
    custom_weekly = {"is_custom_repeat": 1, "repeat_type": 1, "repeat_interval": 1}
    problems = check(repeating(**custom_weekly, repeat_day_of_week=3))
    assert found(problems) == {("reminders.repeat_day_of_week", "invalid_type")}


@pytest.mark.parametrize(("value", "ok"), [(0, True), (1, True), (2, False), ("1", False)])
def test_it_checks_repeat_until_type(value, ok):
    problems = check(repeating(repeat_until_type=value, repeat_until_count=5))
    expected = "invalid_choice" if _is_number(value) else "invalid_type"
    assert found(problems) == (set() if ok else {("reminders.repeat_until_type", expected)})


def _is_number(value):
    return isinstance(value, int)


def test_it_wants_the_end_date_after_the_start():
    start = NOW + 86400
    body = {"meeting_start": start, "meeting_duration": 3600}
    assert check({**body, **repeating(repeat_until=start + 1)}) == []
    assert found(check({**body, **repeating(repeat_until=start)})) == {
        ("reminders.repeat_until", "before_start")
    }


def test_it_wants_the_end_date_in_the_future_when_the_start_is_unchanged():
    assert check(repeating(repeat_until=NOW + 1)) == []
    assert found(check(repeating(repeat_until=NOW))) == {("reminders.repeat_until", "in_past")}


def test_it_reads_an_end_date_of_0_as_unset():
    assert check(repeating(repeat_until=0)) == []


def test_it_ignores_the_end_date_when_the_repeat_ends_by_count():
    assert check(repeating(repeat_until_type=1, repeat_until_count=3, repeat_until=5)) == []


def test_it_wants_a_count_when_the_repeat_ends_by_count():
    problems = check(repeating(repeat_until_type=1))
    assert found(problems) == {("reminders.repeat_until_count", "required")}


@pytest.mark.parametrize(
    ("repeat_type", "count", "ok"),
    [
        (0, 0, False),
        (0, 1, True),
        (0, 200, True),
        (0, 201, False),
        (1, 200, True),
        (7, 200, True),
        (7, 201, False),
        (2, 50, True),
        (2, 51, False),
    ],
)
def test_it_caps_the_count(repeat_type, count, ok):
    problems = check(
        repeating(repeat_type=repeat_type, repeat_until_type=1, repeat_until_count=count)
    )
    assert found(problems) == (set() if ok else {("reminders.repeat_until_count", "out_of_range")})


def test_it_ignores_the_count_when_the_repeat_ends_by_date():
    assert check(repeating(repeat_until_type=0, repeat_until_count=999)) == []


@pytest.mark.parametrize(
    ("remind_before", "bad"),
    [
        ([], 0),
        ([0, 300, 900, 3600, 86400], 0),
        ([600], 1),
        ([0, 60, "300"], 2),
    ],
)
def test_it_checks_remind_before(remind_before, bad):
    problems = check({"reminders": {"remind_before": remind_before}})
    assert len(problems) == bad
    assert {p.code for p in problems} <= {"invalid_choice"}


def test_it_checks_remind_before_on_a_meeting_that_does_not_repeat():
    problems = check({"reminders": {"is_repeat": 0, "remind_before": [1]}})
    assert found(problems) == {("reminders.remind_before", "invalid_choice")}


def test_it_refuses_reminders_that_are_not_a_dict():
    assert found(check({"reminders": "daily"})) == {("reminders", "invalid_type")}


# --- problems and messages -------------------------------------------------------------


def test_it_gives_problems_with_known_fields_and_codes():
    body = {
        "title": "",
        "meeting_start": NOW,
        "meeting_duration": 10,
        "location": "x" * 40,
        "invitees": {"userid": ["bad id"]},
        "settings": {"password": "1", "remind_scope": 9},
        "reminders": {"is_repeat": 1, "repeat_type": 5, "remind_before": [7]},
    }
    problems = check(body)
    assert [p.field for p in problems] == [
        "title",
        "meeting_start",
        "meeting_duration",
        "location",
        "invitees",
        "settings.password",
        "settings.remind_scope",
        "reminders.repeat_type",
        "reminders.remind_before",
    ]
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.field in rules.FIELDS
        assert problem.code in rules.CODES


def test_it_translates_messages_when_shown_not_when_made():
    (problem,) = check({"title": "x" * 300})
    with translation.override("en"):
        english = str(problem.message)
    assert english == "The title can have at most 255 characters; it has 300."
    with translation.override("zh-hans"):
        assert str(problem.message)  # whatever the catalogue says, formatting works


def test_it_compares_messages_with_text_and_each_other():
    (problem,) = check({"settings": {"password": "x"}})
    (again,) = check({"settings": {"password": "12"}})
    assert problem == again
    assert hash(problem) == hash(again)
    with translation.override("en"):
        assert problem.message == "The password must be 4 to 6 digits."


def test_it_shortens_long_values_in_messages():
    (problem,) = check({"invitees": {"userid": ["!" * 500]}})
    with translation.override("en"):
        assert len(str(problem.message)) < 200


# --- applicability and prune -----------------------------------------------------------


def test_it_lists_the_settings_that_always_apply():
    assert rules.applicable_settings({}) == set(rules.SETTINGS_FIELDS) - {
        "mute_all",
        "watermark_type",
        "attendee_join_auto_record",
        "enable_host_pause_auto_record",
        "host_key",
        "ring_users",
    }


@pytest.mark.parametrize(
    ("control", "dependants"),
    [
        ({"allow_unmute_self": False}, {"mute_all"}),
        ({"enable_screen_watermark": True}, {"watermark_type"}),
        (
            {"auto_record_type": "cloud"},
            {"attendee_join_auto_record", "enable_host_pause_auto_record"},
        ),
        ({"enable_host_key": True}, {"host_key"}),
        ({"remind_scope": 4}, {"ring_users"}),
    ],
)
def test_it_makes_settings_apply_with_their_control(control, dependants):
    base = rules.applicable_settings({})
    assert rules.applicable_settings(control) - base == dependants


@pytest.mark.parametrize(
    "control",
    [
        {"allow_unmute_self": True},
        {"allow_unmute_self": 0},
        {"enable_screen_watermark": 1},
        {"auto_record_type": "local"},
        {"enable_host_key": "true"},
        {"remind_scope": 3},
        {"remind_scope": 4.0},
        {"remind_scope": "4"},
    ],
)
def test_it_keeps_dependent_settings_hidden_without_their_exact_control(control):
    assert rules.applicable_settings(control) == rules.applicable_settings({})


def test_it_applies_only_is_repeat_and_remind_before_to_a_one_off_meeting():
    assert rules.applicable_reminders({}) == {"is_repeat", "remind_before"}
    assert rules.applicable_reminders({"is_repeat": 0, "is_custom_repeat": 1}) == {
        "is_repeat",
        "remind_before",
    }
    assert rules.applicable_reminders("junk") == {"is_repeat", "remind_before"}


@pytest.mark.parametrize(
    ("reminders", "expected"),
    [
        ({}, {"repeat_type", "is_custom_repeat", "repeat_until_type", "repeat_until"}),
        (
            {"repeat_until_type": 1},
            {"repeat_type", "is_custom_repeat", "repeat_until_type", "repeat_until_count"},
        ),
        ({"repeat_until_type": 3}, {"repeat_type", "is_custom_repeat", "repeat_until_type"}),
        (
            {"is_custom_repeat": 1},
            {
                "repeat_type",
                "is_custom_repeat",
                "repeat_until_type",
                "repeat_until",
                "repeat_interval",
            },
        ),
        (
            {"is_custom_repeat": 1, "repeat_type": 1},
            {
                "repeat_type",
                "is_custom_repeat",
                "repeat_until_type",
                "repeat_until",
                "repeat_interval",
                "repeat_day_of_week",
            },
        ),
        (
            {"is_custom_repeat": 1, "repeat_type": 2, "repeat_until_type": 1},
            {
                "repeat_type",
                "is_custom_repeat",
                "repeat_until_type",
                "repeat_until_count",
                "repeat_interval",
                "repeat_day_of_month",
            },
        ),
        (
            {"is_custom_repeat": 0, "repeat_type": 2, "repeat_until_type": None},
            {"repeat_type", "is_custom_repeat", "repeat_until_type", "repeat_until"},
        ),
    ],
)
def test_it_makes_repeat_fields_apply_with_their_controls(reminders, expected):
    applicable = rules.applicable_reminders({"is_repeat": 1, **reminders})
    assert applicable == expected | {"is_repeat", "remind_before"}


def test_it_prunes_what_does_not_apply():
    body = a_valid_body()
    body["meetingid"] = "hy123"
    body["settings"].update(
        allow_unmute_self=True,
        enable_screen_watermark=False,
        auto_record_type="local",
        enable_host_key=False,
        remind_scope=2,
        need_password=True,  # get_info says it, update does not take it
    )
    body["reminders"].update(is_custom_repeat=0, repeat_until_type=0, repeat_until=None)
    pruned = rules.prune(body)
    assert pruned["meetingid"] == "hy123"
    assert set(pruned["settings"]) == rules.applicable_settings({}) & set(body["settings"])
    for hidden in (
        "mute_all",
        "watermark_type",
        "host_key",
        "ring_users",
        "need_password",
        "attendee_join_auto_record",
        "enable_host_pause_auto_record",
    ):
        assert hidden not in pruned["settings"]
    assert pruned["reminders"] == {
        "is_repeat": 1,
        "repeat_type": 1,
        "is_custom_repeat": 0,
        "repeat_until_type": 0,
        "remind_before": [0, 900],
    }


def test_it_prunes_every_repeat_field_of_a_one_off_meeting():
    reminders = {**a_valid_body()["reminders"], "is_repeat": 0}
    assert rules.prune({"reminders": reminders}) == {
        "reminders": {"is_repeat": 0, "remind_before": [0, 900]}
    }


def test_it_keeps_what_applies_when_pruning():
    body = a_valid_body()
    assert rules.prune(body) == body


def test_it_prunes_repeated_userids():
    body = {
        "invitees": {"userid": ["lisi", "wangwu", "LISI"]},
        "settings": {"hosts": {"userid": ["lisi", "lisi"]}},
    }
    assert rules.prune(body) == {
        "invitees": {"userid": ["lisi", "wangwu"]},
        "settings": {"hosts": {"userid": ["lisi"]}},
    }


def test_it_prunes_without_changing_its_argument():
    body = a_valid_body()
    body["settings"]["remind_scope"] = 1
    before = repr(body)
    rules.prune(body)
    assert repr(body) == before


def test_it_prunes_none_values():
    assert rules.prune({"title": None, "reminders": {"is_repeat": None}}) == {"reminders": {}}


def test_it_leaves_wrong_types_to_the_checks_when_pruning():
    assert rules.prune("junk") == "junk"
    assert rules.prune({"settings": [1], "invitees": "x"}) == {"settings": [1], "invitees": "x"}


# --- complete_reminders ----------------------------------------------------------------


def custom(repeat_type, **fields):
    return {
        "is_repeat": 1,
        "is_custom_repeat": 1,
        "repeat_interval": 1,
        "repeat_type": repeat_type,
        **fields,
    }


def test_it_adds_the_start_weekday_to_a_custom_weekly_repeat():
    wednesday = at(2025, 10, 15, 9, 0)
    reminders, added = rules.complete_reminders(
        custom(1, repeat_day_of_week=[5, 1]), wednesday, SHANGHAI
    )
    assert reminders["repeat_day_of_week"] == [1, 3, 5]
    assert added == {"repeat_day_of_week": 3}


def test_it_sorts_the_weekdays_when_the_start_day_is_there():
    wednesday = at(2025, 10, 15, 9, 0)
    reminders, added = rules.complete_reminders(
        custom(1, repeat_day_of_week=[5, 3, 3]), wednesday, SHANGHAI
    )
    assert reminders["repeat_day_of_week"] == [3, 5]
    assert added == {}


def test_it_creates_the_weekday_list_when_missing():
    sunday = at(2025, 10, 19, 9, 0)
    reminders, added = rules.complete_reminders(custom(1), sunday, SHANGHAI)
    assert reminders["repeat_day_of_week"] == [7]
    assert added == {"repeat_day_of_week": 7}


def test_it_takes_the_weekday_in_the_given_zone():
    # 2025-10-15 01:00 in Shanghai is still Tuesday in UTC.
    start = at(2025, 10, 15, 1, 0)
    assert rules.complete_reminders(custom(1), start, SHANGHAI)[1] == {"repeat_day_of_week": 3}
    assert rules.complete_reminders(custom(1), start, ZoneInfo("UTC"))[1] == {
        "repeat_day_of_week": 2
    }


def test_it_adds_the_start_day_to_a_custom_monthly_repeat():
    start = at(2025, 10, 31, 9, 0)
    reminders, added = rules.complete_reminders(
        custom(2, repeat_day_of_month=[15, 1]), start, SHANGHAI
    )
    assert reminders["repeat_day_of_month"] == [1, 15, 31]
    assert added == {"repeat_day_of_month": 31}


@pytest.mark.parametrize(
    "reminders",
    [
        {"is_repeat": 1, "repeat_type": 1, "repeat_day_of_week": [1]},
        {"is_repeat": 0, "is_custom_repeat": 1, "repeat_type": 1},
        custom(0),
        custom(1, repeat_day_of_week=["x"]),
        custom(1, repeat_day_of_week="1,2"),
    ],
)
def test_it_completes_nothing_that_does_not_apply_or_is_malformed(reminders):
    completed, added = rules.complete_reminders(reminders, at(2025, 10, 15, 9), SHANGHAI)
    assert completed == reminders
    assert added == {}


def test_it_leaves_reminders_alone_without_a_usable_start():
    reminders = custom(1)
    assert rules.complete_reminders(reminders, "soon", SHANGHAI) == (reminders, {})
    assert rules.complete_reminders(reminders, 10**20, SHANGHAI) == (reminders, {})


def test_it_does_not_change_the_reminders_it_completes():
    reminders = custom(1, repeat_day_of_week=[1])
    rules.complete_reminders(reminders, at(2025, 10, 15, 9), SHANGHAI)
    assert reminders["repeat_day_of_week"] == [1]
