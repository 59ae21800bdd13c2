import pickle

import pytest
from django.utils import translation

from wecom import errors
from wecom.errors import (
    ConfigurationError,
    PermanentError,
    TokenError,
    TransientError,
    WeComError,
    error_for,
    transport_error,
)


@pytest.mark.parametrize(
    ("errcode", "error_class"),
    [
        (-1, TransientError),
        (6000, TransientError),
        (45009, TransientError),
        (45033, TransientError),
        (40014, TokenError),
        (42001, TokenError),
        (40001, ConfigurationError),
        (40013, ConfigurationError),
        (40091, ConfigurationError),
        (41001, ConfigurationError),
        (48002, ConfigurationError),
        (60020, ConfigurationError),
        (40003, PermanentError),
        (40058, PermanentError),
        (400030, PermanentError),
        (400221, PermanentError),
        (730008, PermanentError),
    ],
)
def test_it_classifies_errcodes_by_the_table(errcode, error_class):
    err = error_for("meeting/update", errcode, "errmsg")
    assert type(err) is error_class
    assert isinstance(err, WeComError)
    assert err.errcode == errcode
    assert err.path == "meeting/update"


def test_it_treats_unknown_errcodes_as_permanent():
    err = error_for("meeting/update", 123456, "something new")
    assert type(err) is PermanentError
    assert err.field is None
    with translation.override("en"):
        assert str(err.message) == "WeCom refused the change (error 123456)."


@pytest.mark.parametrize(
    ("errcode", "field"),
    [
        (400042, "title"),
        (400030, "settings.password"),
        (400027, "settings.hosts"),
        (400029, "settings.hosts"),
        (400037, "settings.ring_users"),
        (400020, "invitees"),
        (40003, "invitees"),
        (60111, "invitees"),
        (400222, "meeting_start"),
        (400034, "meeting_start"),
        (400035, "meeting_duration"),
        (400025, "settings.remind_scope"),
        (400026, "reminders.repeat_type"),
        (400227, "reminders.repeat_type"),
        (400032, "reminders.repeat_until"),
        (400033, "reminders.repeat_interval"),
        (400036, "cal_id"),
        # 90313's codes for the meeting pages' own rules.
        (400040, "admin_userid"),
        (400228, "reminders.repeat_until_count"),
        (400237, "location"),
        (730003, "sub_meetingid"),
        (730004, "meeting_code"),
        # ...and for the calendar pages'.
        (90457, "cal_id"),
        (90459, "cal_id"),
        (90473, "color"),
        (-1, None),
        (40058, None),
    ],
)
def test_it_names_the_field_an_errcode_is_about(errcode, field):
    assert error_for("meeting/update", errcode, "").field == field


def test_it_explains_each_errcode_to_the_administrator():
    with translation.override("en"):
        err = error_for("meeting/update", 400030, "invalid password")
        assert str(err.message) == (
            "WeCom refused the meeting password. Choose another of 4 to 6 digits."
        )
        for errcode, meaning in errors.ERRCODES.items():
            assert str(meaning.message), errcode


@pytest.mark.parametrize(
    ("errcode", "english", "chinese"),
    [
        (
            400237,
            "The location is too long: at most 18 Chinese characters or 36 letters.",
            "地点过长：最多 18 个汉字或 36 个字母。",
        ),
        (
            730003,
            "WeCom does not know this occurrence of the meeting.",
            "企业微信中找不到这场周期会议中的这一场。",
        ),
        (90473, "Enter a colour as # and six hexadecimal digits, such as #0055FF.", None),
    ],
)
def test_it_explains_the_meeting_and_calendar_pages_codes_in_both_languages(
    errcode, english, chinese
):
    err = error_for("meeting/update", errcode, "")
    assert type(err) is PermanentError
    with translation.override("en"):
        assert str(err.message) == english
    with translation.override("zh-hans"):
        translated = str(err.message)
    assert translated != english
    if chinese is not None:
        assert translated == chinese


def test_it_gives_45009_the_rest_of_the_minute(monkeypatch):
    monkeypatch.setattr(errors.time, "time", lambda: 1_700_000_015.5)  # 35.5 s into a minute
    assert error_for("meeting/update", 45009, "api freq out of limit").retry_after == 25


def test_it_gives_45033_a_short_pause():
    assert error_for("meeting/update", 45033, "").retry_after == errors.CONCURRENCY_PAUSE
    assert error_for("meeting/update", -1, "").retry_after is None


def test_it_describes_a_failure_without_an_answer():
    err = transport_error("meeting/update", "HTTP 502", maybe_applied=True)
    assert type(err) is TransientError
    assert err.errcode is None
    assert err.maybe_applied
    assert str(err) == "meeting/update: HTTP 502"
    with translation.override("en"):
        assert "could not be reached" in str(err.message)


def test_it_masks_credentials_that_an_errmsg_echoes():
    err = error_for(
        "meeting/update", 40014, "invalid access_token: access_token=SECRET-TOKEN, hint: [x]"
    )
    assert "SECRET-TOKEN" not in str(err)
    assert "SECRET-TOKEN" not in repr(err)
    assert "access_token=***" in str(err)


def test_it_survives_pickling():
    err = pickle.loads(pickle.dumps(error_for("meeting/update", 45009, "limit")))
    assert type(err) is TransientError
    assert (err.errcode, err.path, err.errmsg) == (45009, "meeting/update", "limit")
    assert err.retry_after is not None
    assert str(err) == "meeting/update: errcode 45009: limit"
