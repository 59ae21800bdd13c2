"""Random bodies, random types included: the rules report, they never raise."""

from zoneinfo import ZoneInfo

from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings import fields, rules

NOW = 1_760_000_000
QUICK = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
userid = st.sampled_from(["lisi", "LiSi", "wangwu", "boss", "bad id", ""]) | st.text(
    alphabet="abcXYZ019_-@.!张 ", max_size=70
)
userid_object = st.fixed_dictionaries({}, optional={"userid": st.lists(userid | junk, max_size=12)})
small = st.integers(min_value=-2, max_value=260)
days = st.lists(small | junk, max_size=6)
around_now = st.integers(min_value=NOW - 10**6, max_value=NOW + 10**8)

SETTINGS = {
    "password": st.sampled_from(["", "1234", "123456", "12", "abcd"]),
    "enable_enter_mute": small,
    "watermark_type": small,
    "auto_record_type": st.sampled_from(["none", "local", "cloud", "CLOUD"]),
    "host_key": st.sampled_from(["", "123456", "12345"]),
    "hosts": userid_object,
    "remind_scope": small,
    "ring_users": userid_object,
    **{flag: st.booleans() for flag in rules.SETTINGS_FLAGS},
}
REMINDERS = {
    "is_repeat": st.integers(min_value=-1, max_value=2),
    "repeat_type": st.sampled_from([0, 1, 2, 7, 3]),
    "is_custom_repeat": st.integers(min_value=-1, max_value=2),
    "repeat_interval": small,
    "repeat_day_of_week": days,
    "repeat_day_of_month": days,
    "repeat_until_type": st.integers(min_value=-1, max_value=2),
    "repeat_until": around_now,
    "repeat_until_count": small,
    "remind_before": st.lists(st.sampled_from([0, 300, 900, 3600, 86400, 60]) | junk, max_size=4),
}


def loose(strategies):
    """Each known key maybe present, with a plausible value or with anything at all."""
    return (
        st.fixed_dictionaries(
            {}, optional={name: strategy | junk for name, strategy in strategies.items()}
        )
        | junk
    )


bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "title": st.text(max_size=300) | junk,
            "meeting_start": around_now | junk,
            "meeting_duration": st.integers(min_value=0, max_value=90000) | junk,
            "description": st.text(max_size=520) | junk,
            "location": st.text(max_size=40) | junk,
            "cal_id": st.text(max_size=70) | junk,
            "invitees": userid_object | junk,
            "settings": loose(SETTINGS),
            "reminders": loose(REMINDERS),
            "meetingid": junk,
        },
    )
    | junk
)


def run(body):
    return rules.check_meeting(body, now=NOW, invitee_cap=5, admin_userid="boss")


@QUICK
@given(bodies)
def test_it_reports_problems_with_known_fields_and_never_raises(body):
    problems = run(body)
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, rules.Problem)
        assert problem.field in rules.FIELDS
        assert problem.code in rules.CODES
        for language in ("en", "zh-hans"):
            with translation.override(language):
                assert str(problem.message)


@QUICK
@given(bodies)
def test_it_prunes_to_applicable_fields_without_changing_the_verdict(body):
    pruned = rules.prune(body)
    # In a list, as in the bodies' dicts, a NaN is compared by identity first: equal to itself.
    assert [rules.prune(pruned)] == [pruned]
    with translation.override("en"):
        assert run(pruned) == run(body)
    if not isinstance(pruned, dict):
        return
    if isinstance(pruned.get("settings"), dict):
        assert set(pruned["settings"]) <= rules.applicable_settings(pruned["settings"])
        assert None not in pruned["settings"].values()
    if isinstance(pruned.get("reminders"), dict):
        assert set(pruned["reminders"]) <= rules.applicable_reminders(pruned["reminders"])


@QUICK
@given(loose(REMINDERS), around_now | junk, st.sampled_from(["Asia/Shanghai", "Europe/Berlin"]))
def test_it_completes_reminders_without_raising(reminders, start, zone):
    completed, added = rules.complete_reminders(reminders, start, ZoneInfo(zone))
    for name, day in added.items():
        assert name in rules.applicable_reminders(reminders)
        assert day in completed[name]
    for name in ("repeat_day_of_week", "repeat_day_of_month"):
        if name in added:
            assert completed[name] == sorted(set(completed[name]))


@st.composite
def valid_bodies(draw):
    people = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_.@-]{0,20}", fullmatch=True), max_size=8))
    people = list(dict.fromkeys(people))
    unmute = draw(st.booleans())
    settings_ = {
        "password": draw(st.sampled_from(["", "1234", "12345", "123456"])),
        "allow_unmute_self": unmute,
        "auto_record_type": draw(
            st.sampled_from(fields.FIELDS["settings.auto_record_type"].values)
        ),
        "enable_host_key": draw(st.booleans()),
        "host_key": draw(st.sampled_from(["", "654321"])),
        "hosts": {"userid": people[:3]},
        "remind_scope": draw(st.integers(min_value=1, max_value=4)),
        "ring_users": {"userid": people[-2:]},
    }
    if not unmute:
        settings_["mute_all"] = True
    repeat_type = draw(st.sampled_from([0, 1, 2, 7]))
    custom = 0 if repeat_type == 7 else draw(st.sampled_from([0, 1]))
    reminders = {
        "is_repeat": draw(st.sampled_from([0, 1])),
        "repeat_type": repeat_type,
        "is_custom_repeat": custom,
        "repeat_interval": draw(st.integers(min_value=1, max_value=99)),
        "repeat_day_of_week": draw(st.lists(st.integers(min_value=1, max_value=7))),
        "repeat_day_of_month": draw(st.lists(st.integers(min_value=1, max_value=31))),
        "repeat_until_type": draw(st.sampled_from([0, 1])),
        # After the latest start drawn below, so that the series always ends after it starts.
        "repeat_until": draw(st.integers(min_value=NOW + 10**7 + 1, max_value=2**32 - 1)),
        "repeat_until_count": draw(st.integers(min_value=1, max_value=50)),
        "remind_before": draw(st.lists(st.sampled_from(rules.REMIND_BEFORE_CHOICES))),
    }
    return {
        "title": draw(st.text(min_size=1, max_size=255).filter(str.strip)),
        "meeting_start": draw(st.integers(min_value=NOW + 1, max_value=NOW + 10**7)),
        "meeting_duration": draw(st.integers(min_value=300, max_value=86399)),
        "description": draw(st.text(max_size=500)),
        "location": draw(st.text(alphabet="广州ab 1", max_size=18)),
        "invitees": {"userid": people},
        "settings": settings_,
        "reminders": reminders,
    }


@QUICK
@given(valid_bodies())
def test_it_accepts_every_valid_body(body):
    assert rules.check_meeting(body, now=NOW, invitee_cap=100, admin_userid="boss") == []
