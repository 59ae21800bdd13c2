"""The sync's plan as plain functions: from the states to the calls, and from a fresh read to
what WeCom holds. No database, no HTTP."""

from zoneinfo import ZoneInfo

from meetings.sync import plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = "zhangsan"
# 2030-01-12 14:00 in Shanghai.
TWO_PM = 1894000000 - 1894000000 % 86400 + 6 * 3600 + 5 * 86400
WEEK = 7 * 86400

BASE = {
    "title": "周会",
    "meeting_start": 1_900_000_000,
    "meeting_duration": 3600,
    "invitees": {"userid": ["zhangsan", "lisi", "wangwu"]},
    "settings": {"enable_waiting_room": False, "remind_scope": 2},
    "reminders": {"is_repeat": 0},
}


def make(desired, confirmed=BASE, theirs=BASE, **options):
    options = {"admin_userid": ADMIN, "invitee_cap": 100, **options}
    return plan.make_plan(desired, confirmed, theirs, **options)


def series(start, count=4):
    return [
        {
            "sub_meetingid": str(start + n * WEEK),
            "start": start + n * WEEK,
            "end": start + n * WEEK + 3600,
            "deleted": False,
        }
        for n in range(count)
    ]


def test_it_plans_nothing_when_nothing_differs():
    assert make(BASE).empty


def test_it_sends_only_the_changed_field():
    the_plan = make({**BASE, "title": "新周会"})
    assert list(the_plan.calls("m1")) == [
        ("meeting/update", {"meetingid": "m1", "title": "新周会"})
    ]


def test_leaving_the_organiser_out_of_the_invitees_is_no_change():
    assert make({**BASE, "invitees": {"userid": ["lisi", "wangwu"]}}).empty


def test_removing_someone_sends_the_list_with_the_organiser():
    the_plan = make({**BASE, "invitees": {"userid": ["lisi"]}})
    assert the_plan.update == {"invitees": {"userid": ["zhangsan", "lisi"]}}


def test_a_base_without_the_organiser_is_no_change_made_in_wecom():
    confirmed = {**BASE, "invitees": {"userid": ["lisi", "wangwu"]}}
    the_plan = make({**BASE, "title": "新"}, confirmed=confirmed)
    assert not the_plan.taken and not the_plan.conflicts
    assert the_plan.update == {"title": "新"}


def test_order_and_case_of_userids_are_no_change():
    assert make({**BASE, "invitees": {"userid": ["WANGWU", "lisi", "zhangsan"]}}).empty


def test_a_series_end_wecom_filled_in_is_no_change_made_there():
    reminders = {"is_repeat": 1, "repeat_type": 1, "repeat_until_type": 0}
    desired = {**BASE, "reminders": reminders}
    theirs = {**BASE, "reminders": {**reminders, "repeat_until": 1_910_000_000}}
    the_plan = make(desired, confirmed=desired, theirs=theirs)
    assert the_plan.empty and not the_plan.taken


def test_a_field_changed_on_both_sides_is_a_conflict_and_nothing_is_sent():
    the_plan = make({**BASE, "title": "这边"}, theirs={**BASE, "title": "那边"})
    assert the_plan.conflicts == {"title": {"mine": "这边", "wecom": "那边"}}
    assert the_plan.empty


def test_cancels_go_first_then_set_invitees_then_the_update():
    many = [f"user{n}" for n in range(150)]
    the_plan = make(
        {**BASE, "title": "新", "invitees": {"userid": many}},
        cancels=["111"],
    )
    paths = [path for path, _body in the_plan.calls("m1")]
    assert paths == ["meeting/cancel", "meeting/set_invitees", "meeting/update"]
    _path, body = list(the_plan.calls("m1"))[1]
    assert body["invitees"][0] == {"userid": ADMIN}
    assert len(body["invitees"]) == 151


def test_a_host_left_out_of_a_long_list_is_taken_off_before_set_invitees():
    many = [f"user{n}" for n in range(150)]
    theirs = {
        **BASE,
        "invitees": {"userid": [ADMIN, *many]},
        "settings": {**BASE["settings"], "hosts": {"userid": ["user1", "user2"]}},
    }
    desired = {
        **theirs,
        "invitees": {"userid": [u for u in many if u != "user1"]},
        "settings": {**BASE["settings"], "hosts": {"userid": ["user2"]}},
    }
    calls = list(make(desired, confirmed=theirs, theirs=theirs).calls("m1"))
    assert [path for path, _body in calls] == [
        "meeting/update",
        "meeting/set_invitees",
        "meeting/update",
    ]
    assert calls[0][1] == {"meetingid": "m1", "settings": {"hosts": {"userid": ["user2"]}}}
    assert {"userid": "user1"} not in calls[1][1]["invitees"]


def test_a_long_list_keeping_every_host_needs_no_narrowing():
    many = [f"user{n}" for n in range(150)]
    the_plan = make({**BASE, "invitees": {"userid": many}})
    assert the_plan.narrow == {}


def test_verify_finds_what_wecom_did_not_keep():
    verdict = plan.verify({**BASE, "title": "新"}, BASE)
    assert verdict.missing == {"title": "周会"}
    assert not verdict.held


def test_verify_takes_a_field_get_info_leaves_out_as_held():
    intended = {**BASE, "settings": {**BASE["settings"], "password": "1234"}}
    verdict = plan.verify(intended, BASE)
    assert verdict.held
    assert verdict.confirmed["settings"]["password"] == "1234"


def test_occurrences_read_the_flag_as_exists_or_deleted():
    info = {
        "sub_meetings": [
            {"sub_meetingid": "1", "start_time": 10, "end_time": 20, "status": 0},
            {"sub_meetingid": "2", "start_time": 30, "end_time": 40, "status": 1},
        ]
    }
    assert [o["deleted"] for o in plan.occurrences(info)] == [False, True]


def test_a_cancel_follows_its_occurrence_to_the_new_time_of_the_same_date():
    old = series(TWO_PM)
    new = series(TWO_PM + 90 * 60)
    followed = plan.follow_cancels(old, new, [old[1]["sub_meetingid"]], SHANGHAI)
    assert followed.ids == [new[1]["sub_meetingid"]]
    assert followed.lost == []


def test_a_cancel_whose_date_is_gone_is_lost():
    old = series(TWO_PM)
    new = series(TWO_PM + 86400)
    followed = plan.follow_cancels(old, new, [old[1]["sub_meetingid"]], SHANGHAI)
    assert followed.ids == []
    assert followed.lost == [old[1]]


def test_a_cancel_already_done_follows_its_date_when_the_series_moves():
    old = series(TWO_PM)
    old[1]["deleted"] = True
    new = series(TWO_PM + 3600)
    followed = plan.follow_cancels(old, new, [old[1]["sub_meetingid"]], SHANGHAI)
    assert followed.ids == [new[1]["sub_meetingid"]]


def test_a_cancel_already_done_whose_date_is_gone_is_simply_dropped():
    old = series(TWO_PM)
    old[1]["deleted"] = True
    new = series(TWO_PM + 86400)
    followed = plan.follow_cancels(old, new, [old[1]["sub_meetingid"]], SHANGHAI)
    assert followed.ids == [] and followed.lost == []


def test_pending_cancels_leave_out_deleted_and_split_off_started_ones():
    occurrences = series(1000)
    occurrences[2]["deleted"] = True
    wanted = [o["sub_meetingid"] for o in occurrences]
    send, started = plan.pending_cancels(occurrences, wanted, now_unix=1000 + WEEK)
    assert send == [occurrences[3]["sub_meetingid"]]
    assert [o["sub_meetingid"] for o in started] == [
        occurrences[0]["sub_meetingid"],
        occurrences[1]["sub_meetingid"],
    ]
