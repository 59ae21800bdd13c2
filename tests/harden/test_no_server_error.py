"""Whatever a signed_in sends to whichever page, the answer is never a server error.

The pages are not listed by hand: every URL pattern of the project (the admin's included) is
walked, its path parameters are filled with a stored row's key or with any text, and the field
names each page's forms, links and filters carry are read from the page itself. Then a NUL
(which PostgreSQL text refuses) goes into each field in turn, and so do the calendar's first
and last days and numbers beyond the database's integers; and hypothesis sends random
values to random pages, plain and as an htmx redraw. Run on SQLite and on PostgreSQL alike.
"""

import re
from html import unescape
from urllib.parse import parse_qsl, quote

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings.models import AuditEvent, Calendar, Person, SyncAttempt
from tests.meetings.factories import local_unix, make_meeting

pytestmark = pytest.mark.django_db

# Signing out ends the client's session, and the callback has its own tests.
SKIPPED = {"logout", "wecom_callback"}
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
NAMES = re.compile(r'\bname="([^"]+)"')
HREF_QUERIES = re.compile(r'href="[^"]*\?([^"]+)"')
# Values PostgreSQL's text type refuses, and other characters that end lines or fields.
NASTY = ["\x00", "a\x00b", "\r\nINFO forged", "\x1b[31m", "\u2028", "%00"]
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=5),
)


def routes(patterns=None, prefix=""):
    """(route, name) of every path() pattern; regular-expression patterns are left out
    except the admin's app index, whose labels are known."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        text = str(entry.pattern)
        if isinstance(entry.pattern, RegexPattern):
            if "app_label" in text:
                yield prefix + "meetings/", getattr(entry, "name", None)
            continue
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            yield prefix + text, entry.name


ROUTES = sorted({route for route, name in routes() if name not in SKIPPED})


def fill(route, value_for):
    return "/" + CONVERTER.sub(lambda m: value_for(m.group(1) or "str", m.group(2)), route)


@pytest.fixture
def rows(db):
    user = get_user_model().objects.create_superuser("fuzz.root", password="unused-9x")
    meeting = make_meeting(meetingid="fuzzmeeting1", meeting_start=local_unix(days_ahead=3))
    calendar = Calendar.objects.create(cal_id="fuzzcal1", summary="日历", color="#112233")
    Person.objects.create(userid="zhangsan", name="张三", source=Person.Source.CSV)
    event = AuditEvent.objects.create(
        actor=user,
        actor_username=user.username,
        action=AuditEvent.Action.EDIT,
        meeting=meeting,
        meetingid=meeting.meetingid,
        outcome=AuditEvent.Outcome.OK,
    )
    attempt = SyncAttempt.objects.create(
        meeting=meeting,
        meetingid=meeting.meetingid,
        version=1,
        path="meeting/update",
        started_at=event.at,
        duration_ms=1,
        outcome=SyncAttempt.Outcome.OK,
    )
    keys = {
        "meeting": meeting.pk,
        "auditevent": event.pk,
        "syncattempt": attempt.pk,
        "user": user.pk,
        "cal_id": calendar.cal_id,
    }
    return user, keys


@pytest.fixture
def signed_in(rows):
    user, _keys = rows
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def real_path(route, keys):
    """The route with each parameter naming a stored row."""

    def value(kind, name):
        if name == "cal_id":
            return keys["cal_id"]
        if name in ("object_id", "pk", "id"):
            for model in ("auditevent", "syncattempt", "user"):
                if f"/{model}/" in "/" + route:
                    return str(keys[model])
            return str(keys["meeting"])
        if name == "app_label":
            return "meetings"
        return "1"

    return fill(route, value)


def page_fields(client, path):
    """The field names the page's forms carry and the query names of its links."""
    response = client.get(path, follow=True)
    if response.streaming:
        return ["q"]
    page = unescape(response.content.decode(errors="replace"))
    names = set(NAMES.findall(page))
    for query in HREF_QUERIES.findall(page):
        names.update(name for name, _value in parse_qsl(query))
    # The list's search and the admin's search and filters, which a link may not show.
    names.update({"q", "o", "p", "e", "_render", "rendered", "for"})
    return sorted(names - {"csrfmiddlewaretoken"})


def isolated(send, *args, **kwargs):
    """One request in a savepoint rolled back after it: an error on PostgreSQL aborts the
    transaction, and no example leaves data for the next."""
    sid = transaction.savepoint()
    try:
        return send(*args, **kwargs)
    finally:
        transaction.savepoint_rollback(sid)


def assert_answered(response, what):
    assert response.status_code < 500, f"{what} answered {response.status_code}"


@pytest.mark.parametrize("route", ROUTES)
def test_a_nul_in_any_field_or_path_parameter_is_no_server_error(signed_in, rows, route):
    _user, keys = rows
    path = real_path(route, keys)
    names = page_fields(signed_in, path)
    for name in names:
        for htmx in (False, True):
            headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER_NAME": name} if htmx else {}
            if not htmx:
                response = isolated(signed_in.get, path, {name: "a\x00b"})
                assert_answered(response, f"GET {path}?{name}=%00")
            data = {other: "" for other in names} | {name: "a\x00b", "_render": "1"}
            response = isolated(signed_in.post, path, data, **headers)
            assert_answered(response, f"POST {path} {name}=%00 htmx={htmx}")
    if CONVERTER.search(route):
        for nasty in NASTY:
            bad = fill(route, lambda kind, name, nasty=nasty: quote(nasty, safe=""))
            response = isolated(signed_in.get, bad)
            assert_answered(response, f"GET {bad}")
            if "<text:" in route:
                assert response.status_code == 404, f"GET {bad}: {response.status_code}"


# The ends of what a date input offers and numbers beyond the database's integers: midnight of
# 1 January of year 1 in Asia/Shanghai falls in year 0 in UTC, the day after 31 December 9999
# has no date, and SQLite refuses an integer past 2**63 - 1.
EXTREME = ["0001-01-01", "9999-12-31", "99999999999999999999", "-99999999999999999999"]


@pytest.mark.parametrize("route", ROUTES)
def test_the_ends_of_the_calendar_and_huge_numbers_anywhere_are_no_server_error(
    signed_in, rows, route
):
    _user, keys = rows
    path = real_path(route, keys)
    names = page_fields(signed_in, path)
    for name in names:
        for value in EXTREME:
            response = isolated(signed_in.get, path, {name: value})
            assert_answered(response, f"GET {path}?{name}={value}")
            data = {other: "" for other in names} | {name: value}
            response = isolated(signed_in.post, path, data)
            assert_answered(response, f"POST {path} {name}={value}")
    if CONVERTER.search(route):
        huge = fill(route, lambda kind, name: EXTREME[2])
        assert_answered(isolated(signed_in.get, huge), f"GET {huge}")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    path_values=st.lists(TEXT, min_size=1, max_size=3),
    params=st.dictionaries(
        st.text(max_size=12) | st.sampled_from(["q", "for", "version"]),
        st.lists(TEXT, max_size=2),
        max_size=5,
    ),
    known=st.lists(st.tuples(st.integers(0, 400), TEXT), max_size=6),
    method=st.sampled_from(["GET", "POST"]),
    htmx=st.booleans(),
    real=st.booleans(),
)
def test_random_requests_to_any_page_are_no_server_error(
    signed_in, rows, route, path_values, params, known, method, htmx, real
):
    _user, keys = rows
    if real:
        path = real_path(route, keys)
    else:
        values = iter(path_values * 3)
        path = fill(route, lambda kind, name: quote(next(values), safe="") or "x")
    # Names the page knows, so that random values reach its forms' rules.
    names = FIELDS.setdefault(path, page_fields(signed_in, path) if real else [])
    data = {name: values for name, values in params.items()}
    for index, value in known:
        if names:
            data[names[index % len(names)]] = value
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    if method == "GET":
        response = isolated(signed_in.get, path, data, **headers)
    else:
        response = isolated(signed_in.post, path, data, **headers)
    assert_answered(response, f"{method} {path} {data!r} htmx={htmx}")


FIELDS = {}


def test_the_walk_reaches_the_pages_the_fuzz_is_about():
    """Without them the tests above would pass over nothing."""
    for route in (
        "meetings/<id:pk>/edit/",
        "meetings/new/",
        "people/search/",
        "calendars/<text:cal_id>/edit/",
        "admin/meetings/auditevent/",
        "accounts/login/",
    ):
        assert route in ROUTES


def test_forms_are_found_on_the_pages(signed_in, rows):
    _user, keys = rows
    names = page_fields(signed_in, real_path("meetings/<id:pk>/edit/", keys))
    assert {"invitees", "settings-hosts", "title"} <= set(names)
    admin_names = page_fields(signed_in, "/admin/meetings/auditevent/")
    assert "actor_username" in admin_names


def test_an_export_filtered_by_no_field_goes_back_to_the_list(signed_in):
    """Found by the fuzz above: the audit CSV export with a filter no field takes."""
    response = signed_in.get("/admin/meetings/auditevent/export.csv", {"0": ""})
    assert response.status_code == 302
    assert response["Location"] == "/admin/meetings/auditevent/?e=1"
