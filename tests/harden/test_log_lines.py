"""Values from a request never break a log line, and a refusal takes one line: checked on the
handler that settings.LOGGING installs, as the running product writes its log."""

import io
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from config.logs import OneLineFormatter, escape

FORGED = "2026-11-30 10:00:00,000 ERROR meetings.audit FORGED"
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


@pytest.fixture
def log_lines():
    """What the configured console handler writes, as lines."""
    (console,) = [
        h for h in logging.getLogger().handlers if isinstance(h.formatter, OneLineFormatter)
    ]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.formatter)
    for each in console.filters:
        handler.addFilter(each)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        root.removeHandler(handler)


def test_a_newline_in_a_callback_query_does_not_start_a_line(log_lines):
    response = Client().get(
        "/wecom/callback/",
        {
            "msg_signature": f"abc\n{FORGED}",
            "timestamp": f"1\r\n{FORGED}",
            "nonce": "n",
            "echostr": "e",
        },
    )
    assert response.status_code == 403
    lines = log_lines()
    assert len(lines) == 1, "a refusal is one line"
    assert not any(line.startswith(FORGED) for line in lines)
    # Each record is one line that starts like a record, and the forged text is there, escaped.
    assert all(RECORD_START.match(line) for line in lines)
    assert any(f"abc\\n{FORGED}" in line for line in lines)


def test_every_control_character_is_written_visibly():
    assert escape("a\nb\rc\td\x00e\x1b[31mf\x7fg\u2028h\x85") == (
        "a\\nb\\rc\\td\\x00e\\x1b[31mf\\x7fg\\u2028h\\x85"
    )
    assert escape("会议 ok") == "会议 ok"


def test_a_traceback_stays_under_its_record(log_lines):
    try:
        raise ValueError(f"bad value\n{FORGED}")
    except ValueError:
        logging.getLogger("meetings").exception("failed on %s", f"x\n{FORGED}")
    lines = log_lines()
    assert RECORD_START.match(lines[0]) and lines[0].endswith(f"failed on x\\n{FORGED}")
    assert all(line.startswith("    ") for line in lines[1:])
    assert any("ValueError" in line for line in lines[1:])


@pytest.mark.django_db
def test_a_403_logs_one_line_and_no_traceback(log_lines):
    user = get_user_model().objects.create_user("nobody", password="unused-9x")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("meetings:new"))
    assert response.status_code == 403
    refusals = [line for line in log_lines() if "Forbidden" in line]
    assert len(refusals) == 1
    assert log_lines()[-1] == refusals[0]
    assert "Traceback" not in "\n".join(log_lines())


@pytest.mark.django_db
def test_password_reset_is_not_offered_without_mail(client, log_lines):
    page = client.get(reverse("login")).content.decode()
    assert "password_reset" not in page and "reset" not in page.lower()
    response = client.post("/accounts/password_reset/", {"email": "wang@example.com"})
    assert response.status_code in (302, 404)
    assert "Traceback" not in "\n".join(log_lines())
    assert not any(" ERROR " in line for line in log_lines())


@pytest.fixture
def with_mail(settings):
    import importlib

    from django.urls import clear_url_caches

    import config.urls

    settings.PASSWORD_RESET = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.PASSWORD_RESET = False
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_password_reset_is_offered_and_mailed_with_mail(client, with_mail, mailoutbox):
    get_user_model().objects.create_user("wang", "wang@example.com", password="unused-9x")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page and "Forgot your password?" in page
    response = client.post(reverse("password_reset"), {"email": "wang@example.com"})
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["wang@example.com"]]
