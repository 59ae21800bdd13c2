"""meeting/*: the meetings created through the sandbox, and every rule of the update page
(https://developer.work.weixin.qq.com/document/path/98154) and its siblings (docs/wecom.md).

A stored meeting is a dict in update's own shape (title, meeting_start, settings and
reminders as update sends them, hosts and ring_users as {"userid": [...]}), with invitees as a
plain list, plus what WeCom adds: meetingid, admin_userid, meeting_code, meeting_link and some
bookkeeping. Its status is never stored: it follows from the simulated clock, except for what
the clock cannot know, `cancelled` and `pinned_status` (see `status`).

Every endpoint validates the whole request before it changes anything, so a rejected call
leaves the meeting exactly as it was.

create refuses "the same meeting" (same admin_userid, title and meeting_start) unless the body
says skip_duplicate_check: true. Once one is stored, and for DUPLICATE_WINDOW seconds after,
another answers 400302 (already created). While one is still being processed, held by
WeCom's own processing time (config "create_seconds"), the configured latency or a `delay`
fault before it is applied (see `hold_create` and the server's `handle_wecom`), another
answers 400301 (being created) at once and creates nothing. Only a
create that would succeed counts as being processed: one that fails validation, or that a
fault drops or answers without applying it, holds nothing.
"""

import copy
import re
import secrets
import string

from . import directory, fields, series
from .errors import Reject

SCHEDULED, IN_PROGRESS, ENDED, CANCELLED, EXPIRED = 1, 2, 3, 4, 5
# An occurrence's own flag in get_info's sub_meetings[] (see `_sub_meetings`).
SUB_EXISTS, SUB_DELETED = 0, 1

SETTINGS_FLAGS = (
    "enable_waiting_room",
    "allow_enter_before_host",
    "allow_unmute_self",
    "mute_all",
    "allow_external_user",
    "enable_screen_watermark",
    "attendee_join_auto_record",
    "enable_host_pause_auto_record",
    "enable_enroll",
    "enable_host_key",
)
# setting -> (the values it takes, the rule a value outside them breaks)
SETTINGS_CHOICES = {
    "enable_enter_mute": ((0, 1, 2), "settings_invalid"),
    "watermark_type": ((0, 1), "settings_invalid"),
    "remind_scope": ((1, 2, 3, 4), "remind_scope_invalid"),
}
AUTO_RECORD_TYPES = ("none", "local", "cloud")
# [0-9], not \d: \d also matches other scripts' digits, which WeCom refuses.
PASSWORD = re.compile(r"[0-9]{4,6}")
HOST_KEY = re.compile(r"[0-9]{6}")
MAX_HOSTS = 10

REMINDERS_UINTS = (
    "is_repeat",
    "repeat_type",
    "is_custom_repeat",
    "repeat_interval",
    "repeat_until_type",
    "repeat_until_count",
    "repeat_until",
)
REMINDERS_CHOICES = {
    "is_repeat": ((0, 1), "repeat_type_invalid"),
    "repeat_type": ((0, 1, 2, 7), "repeat_type_invalid"),
    "is_custom_repeat": ((0, 1), "custom_repeat_invalid"),
    "repeat_until_type": ((0, 1), "repeat_until_invalid"),
}
REPEAT_DAYS = ("repeat_day_of_week", "repeat_day_of_month")
REMIND_BEFORE = (0, 300, 900, 3600, 86400)
CUSTOM_REPEAT_TYPES = (0, 1, 2)
WEEKLY, MONTHLY = 1, 2

TITLE_MAX = 255
DESCRIPTION_MAX = 500
LOCATION_WIDTH_MAX = 36
CAL_ID_BYTES_MAX = 64
DURATION_MIN, DURATION_MAX = 300, 86399

# WeCom's duplicate check (400301 / 400302) is not documented beyond "the same meeting";
# here it is the same admin, title and start created again within five minutes (see the
# module's docstring).
DUPLICATE_WINDOW = 300
SET_INVITEES_MAX = 2000
INVITEES_PAGE = 100
USER_MEETINGID_LIMIT = 100
USER_MEETINGID_SPAN = 180 * 86400

_ALPHANUMERIC = string.ascii_letters + string.digits


# --- endpoints ---------------------------------------------------------------------------


def create(s, body):
    """98148: update's body plus admin_userid; answers meetingid, meeting_code, meeting_link
    and excess_users when some invitees have no meeting account."""
    base, changes, _key = _check_create(s, body)
    now = s.now()
    meeting = {"meetingid": _new_meetingid(s), **base, **changes}
    meeting.update(
        meeting_code=_new_meeting_code(s),
        meeting_link=f"https://meeting.tencent.com/dm/{_random(_ALPHANUMERIC, 12)}",
        created_at=now,
        updated_at=now,
        cancelled=False,
        cancelled_sub_meetingids=[],
    )
    s.meetings[meeting["meetingid"]] = meeting
    s.changed()
    return {
        "meetingid": meeting["meetingid"],
        "meeting_code": meeting["meeting_code"],
        "meeting_link": meeting["meeting_link"],
        **_excess_users(s, meeting),
    }


def hold_create(s, body):
    """Mark a create the server holds before applying it as being processed, so that an
    identical one meanwhile answers 400301; a token for `release_create`, or None when the
    create would be refused anyway or skips the duplicate check (it then holds nothing)."""
    try:
        _base, _changes, key = _check_create(s, body)
    except Reject:
        return None
    if key is None:
        return None
    token = object()
    s.creating[token] = key
    return token


def release_create(s, token):
    """The create is applied (or given up): it no longer counts as being processed. Safe to
    call twice, and after a reset has already forgotten it."""
    s.creating.pop(token, None)


def update(s, body):
    """98154: only a meeting still to start (400221), every field checked before any is
    stored."""
    meeting = _lookup(s, body)
    _check_open(s, meeting, "meeting_started_update")
    changes = _validate(s, body, meeting, creating=False)
    if "meeting_start" in changes:
        # A new start puts the meeting back on the clock (see `status`).
        meeting.pop("pinned_status", None)
    meeting.update(changes)
    meeting["updated_at"] = s.now()
    s.changed()
    return _excess_users(s, meeting)


def cancel(s, body):
    """98153: a whole meeting, or with sub_meetingid one occurrence (730003 for one it does
    not have); only what is still to start (400224), not twice (400041)."""
    meeting = _lookup(s, body)
    sub_meetingid = _sub_meetingid(body)
    now = s.now()
    if sub_meetingid is None:
        # Without sub_meetingid a recurring meeting is cancelled whole.
        _check_open(s, meeting, "meeting_started_cancel")
        meeting["cancelled"] = True
    else:
        if status(s, meeting, now) == CANCELLED:
            raise Reject("meeting_cancelled")
        start = _occurrence(meeting, sub_meetingid)
        if sub_meetingid in meeting["cancelled_sub_meetingids"]:
            raise Reject("meeting_cancelled", f"sub_meetingid {sub_meetingid}")
        if _status_of([start], meeting["meeting_duration"], now) != SCHEDULED:
            raise Reject("meeting_started_cancel", f"sub_meetingid {sub_meetingid}")
        meeting["cancelled_sub_meetingids"].append(sub_meetingid)
    meeting["updated_at"] = now
    s.changed()
    return {}


def get_info(s, body):
    """98149's answer: every field WeCom fills in, defaults included, whatever was sent."""
    if body.get("meetingid") is None and body.get("meeting_code") is not None:
        code = fields.string(body["meeting_code"], "meeting_code")
        meeting = next((m for m in s.meetings.values() if m["meeting_code"] == code), None)
        if meeting is None:
            raise Reject("meeting_code_unknown", code)
    elif body.get("meetingid") is None:
        # 98149: "meetingid和meeting_code必须填一个".
        raise Reject("param_invalid", "meetingid or meeting_code is required")
    else:
        meeting = _lookup(s, body)
    now = s.now()
    recurring = series.is_recurring(meeting)
    info = {
        "meetingid": meeting["meetingid"],
        "admin_userid": meeting["admin_userid"],
        "title": meeting["title"],
        "meeting_start": meeting["meeting_start"],
        "meeting_duration": meeting["meeting_duration"],
    }
    # WeCom leaves out what was never set rather than answering it empty.
    for optional in ("description", "location"):
        if optional in meeting:
            info[optional] = meeting[optional]
    info["main_department"] = directory.department_id(s.directory, meeting["admin_userid"])
    info["status"] = status(s, meeting, now)
    # 98149 meeting_type: 0 one-off, 1 recurring (2, 3, 5, 6 are kinds this app never makes).
    info["meeting_type"] = 1 if recurring else 0
    info["attendees"] = {"member": [_attendee(userid) for userid in meeting["invitees"]]}
    info["settings"] = _settings_info(meeting)
    if meeting.get("cal_id"):
        info["cal_id"] = meeting["cal_id"]
    info["reminders"] = _reminders_info(meeting)
    info["meeting_code"] = meeting["meeting_code"]
    info["meeting_link"] = meeting["meeting_link"]
    info["has_vote"] = False
    if recurring:
        info.update(_sub_meetings(meeting, now))
    sub_meetingid = _sub_meetingid(body)
    if sub_meetingid is not None:
        start = _occurrence(meeting, sub_meetingid)
        info["meeting_start"] = start
        info["status"] = (
            CANCELLED
            if meeting["cancelled"] or sub_meetingid in meeting["cancelled_sub_meetingids"]
            else _status_of([start], meeting["meeting_duration"], now)
        )
    return info


def get_user_meetingid(s, body):
    """98714: one member's meetings, at most 100 a page and 180 days between the times."""
    userid = fields.string(body.get("userid"), "userid")
    fields.check_userids(s.directory, [userid])
    offset = _cursor(body)
    limit = fields.uint(body.get("limit", USER_MEETINGID_LIMIT), "limit")
    if not 1 <= limit <= USER_MEETINGID_LIMIT:
        raise Reject("param_invalid", f"limit must be 1 to {USER_MEETINGID_LIMIT}")
    now = s.now()
    begin = body.get("begin_time")
    end = body.get("end_time")
    begin = None if begin is None else fields.uint(begin, "begin_time")
    end = None if end is None else fields.uint(end, "end_time")
    # The page: without both times, end_time is now. The other defaults are the sandbox's:
    # a missing bound lies the longest allowed span from the given one.
    if end is None:
        end = now if begin is None else begin + USER_MEETINGID_SPAN
    if begin is None:
        begin = max(0, end - USER_MEETINGID_SPAN)
    if end < begin or end - begin > USER_MEETINGID_SPAN:
        raise Reject("param_invalid", "end_time must be 0 to 180 days after begin_time")

    found = []
    for meeting in sorted(s.meetings.values(), key=lambda m: (m["meeting_start"], m["meetingid"])):
        if userid != meeting["admin_userid"] and userid not in meeting["invitees"]:
            continue
        if status(s, meeting, now) == CANCELLED:
            continue
        # The page: end_time bounds past meetings only; one not started yet is listed when it
        # starts at or after begin_time.
        if any(begin <= t and (t <= end or t > now) for t in series.starts(meeting)):
            found.append(meeting["meetingid"])
    page = found[offset : offset + limit]
    following = offset + len(page)
    return {
        "next_cursor": str(following) if following < len(found) else "",
        "meetingid_list": page,
    }


def set_invitees(s, body):
    """98162: the whole list is replaced. What holds the meeting together holds here as on
    update (98154): the admin takes part (the page asks for the list to include them), and
    every host and ringing member must stay an invitee. 90313 names 400029 and 400037 for
    the meeting, not for one endpoint, so a list that drops one is refused as update refuses
    it, rather than dropping the host unseen."""
    meeting = _lookup(s, body)
    _check_open(s, meeting, "meeting_started_update")
    items = fields.array(body.get("invitees"), "invitees")
    userids = fields.unique(
        fields.string(fields.obj(item, "invitees[]").get("userid"), "invitees[].userid")
        for item in items
    )
    fields.check_userids(s.directory, userids)
    if len(userids) > SET_INVITEES_MAX:
        raise Reject("invitees_over_cap", f"at most {SET_INVITEES_MAX}")
    if meeting["admin_userid"] not in userids:
        raise Reject("param_invalid", "invitees must include the admin_userid")
    _check_among_invitees(meeting["settings"], userids)
    meeting["invitees"] = userids
    meeting["updated_at"] = s.now()
    s.changed()
    return {}


def get_invitees(s, body):
    """98160: the invitee list a page at a time, with has_more and next_cursor."""
    meeting = _lookup(s, body)
    offset = _cursor(body)
    page = meeting["invitees"][offset : offset + INVITEES_PAGE]
    following = offset + len(page)
    has_more = following < len(meeting["invitees"])
    return {
        "invitees": [{"userid": userid} for userid in page],
        "has_more": has_more,
        "next_cursor": str(following) if has_more else "",
    }


# --- status ------------------------------------------------------------------------------


def status(s, meeting, now=None):
    """1 scheduled, 2 in progress, 3 ended, 4 cancelled, from the clock.

    A recurring meeting follows its series: in progress while an occurrence runs, scheduled
    while one is still ahead, ended after the last. `pinned_status` (set through the control
    API) overrides the clock: real WeCom keeps a meeting "scheduled" past its start until
    someone joins, which the clock alone would never show.
    """
    if meeting.get("cancelled"):
        return CANCELLED
    if meeting.get("pinned_status"):
        return meeting["pinned_status"]
    now = s.now() if now is None else now
    cancelled = set(meeting.get("cancelled_sub_meetingids", ()))
    live = [t for t in series.starts(meeting) if str(t) not in cancelled]
    if not live:
        return CANCELLED
    return _status_of(live, meeting["meeting_duration"], now)


def _status_of(starts, duration, now):
    if any(t <= now < t + duration for t in starts):
        return IN_PROGRESS
    if any(t > now for t in starts):
        return SCHEDULED
    return ENDED


def _check_open(s, meeting, started_rule):
    current = status(s, meeting)
    if current == CANCELLED:
        raise Reject("meeting_cancelled")
    if current != SCHEDULED:
        raise Reject(started_rule)


# --- the rules of create and update ------------------------------------------------------


def _validate(s, body, base, creating):
    """The fields to store, checked and normalised; `base` is the stored meeting (or the
    empty one being created). Only what the body carries is checked field by field; the
    rules that tie fields together are checked when one of their fields is sent."""
    now = s.now()
    admin = base["admin_userid"]
    changes = {}

    # 98154: title 1 to 255 characters (400042); create requires it (98148).
    if "title" in body:
        title = fields.string(body["title"], "title")
        if not 1 <= len(title) <= TITLE_MAX:
            raise Reject("title_length")
        changes["title"] = title
    elif creating:
        raise Reject("param_invalid", "title is required")

    # 98154: start in the future (400222), duration 300 to 86399 s (400035), both or neither;
    # a one-off meeting whose start has passed must be given a new one.
    if ("meeting_start" in body) != ("meeting_duration" in body):
        raise Reject("time_pair")
    if "meeting_start" in body:
        start = fields.uint(body["meeting_start"], "meeting_start")
        duration = fields.uint(body["meeting_duration"], "meeting_duration")
        if start <= now:
            raise Reject("start_past")
        if not DURATION_MIN <= duration <= DURATION_MAX:
            raise Reject("duration_range")
        changes["meeting_start"] = start
        changes["meeting_duration"] = duration
    elif creating:
        raise Reject("param_invalid", "meeting_start and meeting_duration are required")
    elif not series.is_recurring(base) and base["meeting_start"] <= now:
        raise Reject("time_required")

    # 98154: description at most 500, location 18 Chinese characters or 36 letters (400237,
    # 90313), cal_id at most 64 bytes and one of this app's calendars (400036).
    if "description" in body:
        description = fields.string(body["description"], "description")
        if len(description) > DESCRIPTION_MAX:
            raise Reject("text_too_long", f"description, at most {DESCRIPTION_MAX} characters")
        changes["description"] = description
    if "location" in body:
        location = fields.string(body["location"], "location")
        if fields.display_width(location) > LOCATION_WIDTH_MAX:
            raise Reject("location_too_long")
        changes["location"] = location
    if "cal_id" in body:
        cal_id = fields.string(body["cal_id"], "cal_id")
        if len(cal_id.encode()) > CAL_ID_BYTES_MAX:
            raise Reject("text_too_long", f"cal_id, at most {CAL_ID_BYTES_MAX} bytes")
        if cal_id and cal_id not in s.calendars:
            raise Reject("calendar_unknown", cal_id)
        changes["cal_id"] = cal_id

    # 98154: every userid valid and visible (40003 / 60111), at most 100 or the purchased
    # capacity up to 300 (400020).
    if "invitees" in body:
        userids = fields.userid_object(body["invitees"], "invitees")
        fields.check_userids(s.directory, userids)
        cap = s.config["invitee_cap"]
        if len(userids) > cap:
            raise Reject("invitees_over_cap", f"at most {cap}")
        # The admin always takes part, whether the body lists them or not.
        changes["invitees"] = userids if admin in userids else [admin, *userids]
    elif creating:
        changes["invitees"] = [admin]
    invitees = changes.get("invitees", base["invitees"])

    settings = _settings(s, body, base, invitees, invitees_sent="invitees" in body)
    if settings != base["settings"]:
        changes["settings"] = settings

    start = changes.get("meeting_start", base.get("meeting_start"))
    duration = changes.get("meeting_duration", base.get("meeting_duration"))
    reminders = _reminders(body, base, start, duration, start_changed="meeting_start" in changes)
    if reminders != base["reminders"]:
        changes["reminders"] = reminders
    return changes


def _settings(s, body, base, invitees, invitees_sent):
    """98154's Settings table: flags are JSON booleans, the choices and formats as listed
    there (400030 password, 400031 other settings, 400027 more than 10 hosts, 400025
    remind_scope)."""
    admin = base["admin_userid"]
    sent = {}
    raw = fields.obj(body["settings"], "settings") if "settings" in body else {}
    for key, value in raw.items():
        name = f"settings.{key}"
        if key in SETTINGS_FLAGS:
            sent[key] = fields.boolean(value, name)
        elif key in SETTINGS_CHOICES:
            choices, rule = SETTINGS_CHOICES[key]
            number = fields.uint(value, name)
            if number not in choices:
                raise Reject(rule, f"{name}={number}")
            sent[key] = number
        elif key == "auto_record_type":
            if fields.string(value, name) not in AUTO_RECORD_TYPES:
                raise Reject("settings_invalid", f"{name} must be none, local or cloud")
            sent[key] = value
        elif key == "password":
            # An empty password takes the password away.
            if fields.string(value, name) and not PASSWORD.fullmatch(value):
                raise Reject("password_invalid")
            sent[key] = value
        elif key == "host_key":
            if fields.string(value, name) and not HOST_KEY.fullmatch(value):
                raise Reject("settings_invalid", "host_key must be 6 digits")
            sent[key] = value
        elif key in ("hosts", "ring_users"):
            userids = fields.userid_object(value, name)
            fields.check_userids(s.directory, userids)
            if key == "hosts":
                # The page: "若包含admin_userid会自动过滤" (the admin is dropped, silently).
                userids = [userid for userid in userids if userid != admin]
                if len(userids) > MAX_HOSTS:
                    raise Reject("hosts_over_cap")
            sent[key] = {"userid": userids}
        # Any other key (enable_interpreter, fields of later API versions) is not kept:
        # WeCom ignores what it does not know, and so does the sandbox.

    # The page does not say whether a partial `settings` object resets the fields it leaves
    # out. The sandbox merges it field by field into the stored one; the project's client
    # always sends the object whole, so both readings give it the same result.
    settings = {**copy.deepcopy(base["settings"]), **sent}

    # mute_all alone is accepted and kept, without effect ("该字段单独使用不生效"); what is
    # refused is turning self-unmuting off without muting everyone.
    if {"allow_unmute_self", "mute_all"} & sent.keys():
        if settings.get("allow_unmute_self") is False and settings.get("mute_all") is not True:
            raise Reject("settings_invalid", "allow_unmute_self=false requires mute_all=true")
    if {"hosts", "ring_users"} & sent.keys() or invitees_sent:
        _check_among_invitees(settings, invitees)
    # The page: with the host key on and none given, "将自动分配一个6位数字的密钥".
    if settings.get("enable_host_key") is True and not settings.get("host_key"):
        settings["host_key"] = _random(string.digits, 6)
    # watermark_type without the watermark, and the cloud-recording options without cloud
    # recording, are kept as sent: WeCom accepts them and they simply do nothing.
    return settings


def _check_among_invitees(settings, invitees):
    """98154: hosts must be invitees (400029) and so must the members who ring (400037)."""
    for key, rule in (("hosts", "host_not_invitee"), ("ring_users", "ring_user_not_invitee")):
        for userid in settings.get(key, {}).get("userid", []):
            if userid not in invitees:
                raise Reject(rule, userid)


def _reminders(body, base, start, duration, start_changed):
    """98154's Reminders table (400026 repeat_type, 400227 custom repeat, 400032 end)."""
    sent = {}
    raw = fields.obj(body["reminders"], "reminders") if "reminders" in body else {}
    for key, value in raw.items():
        name = f"reminders.{key}"
        if key in REMINDERS_UINTS:
            number = fields.uint(value, name)
            if key in REMINDERS_CHOICES:
                choices, rule = REMINDERS_CHOICES[key]
                if number not in choices:
                    raise Reject(rule, f"{name}={number}")
            sent[key] = number
        elif key in REPEAT_DAYS:
            sent[key] = sorted(set(fields.uint_list(value, name)))
        elif key == "remind_before":
            # The page: an unsupported value "表现为会议开始时提醒", i.e. acts as 0.
            sent[key] = sorted(
                {v if v in REMIND_BEFORE else 0 for v in fields.uint_list(value, name)}
            )
    if sent.get("repeat_until") == 0:
        # WeCom's uint32 fields carry 0 for "not set": no end date, which the cap then bounds.
        del sent["repeat_until"]

    # Merged field by field, as settings are (see `_settings`).
    reminders = {**copy.deepcopy(base["reminders"]), **sent}
    if "repeat_until" in raw and "repeat_until" not in sent:
        reminders.pop("repeat_until", None)
    if reminders.get("is_repeat") == 1 and (sent or start_changed):
        _check_repeat(reminders, start, duration)
    return reminders


def _check_repeat(reminders, start, duration):
    """The rules that tie the repeat fields together, normalising `reminders` in place.

    Fields that only take effect under a condition (day-of-week outside a custom weekly
    repeat, day-of-month outside a custom monthly one, repeat_interval without a custom
    repeat) are accepted and kept unchecked, as WeCom does.
    """
    repeat_type = reminders.get("repeat_type", 0)
    if reminders.get("is_custom_repeat") == 1:
        if repeat_type not in CUSTOM_REPEAT_TYPES:
            raise Reject("custom_repeat_invalid", f"repeat_type={repeat_type}")
        if reminders.get("repeat_interval", 0) < 1:
            raise Reject("repeat_interval_invalid", "a custom repeat needs repeat_interval >= 1")
        local_start = series.local(start)
        own_day = {
            WEEKLY: ("repeat_day_of_week", 7, local_start.isoweekday()),
            MONTHLY: ("repeat_day_of_month", 31, local_start.day),
        }.get(repeat_type)
        if own_day is not None:
            key, highest, day = own_day
            days = reminders.get(key, [])
            if any(not 1 <= d <= highest for d in days):
                raise Reject("repeat_days_invalid", f"{key} takes 1 to {highest}")
            # The page: the start's own day must be in the list, "如果开发者没有指定，后台会补上".
            reminders[key] = sorted({*days, day})

    cap = series.cap(repeat_type)
    if reminders.get("repeat_until_type", 0) == 1:
        count = reminders.get("repeat_until_count")
        if count is not None and not 1 <= count <= cap:
            raise Reject("repeat_count_invalid", f"repeat_until_count must be 1 to {cap}")
    elif "repeat_until" in reminders:
        if reminders["repeat_until"] <= start:
            raise Reject("repeat_until_invalid", "repeat_until must be after meeting_start")
        # The page: an end beyond the 200 (monthly 50) occurrences "默认设置为最大结束时间".
        last = series.last_allowed_start(start, duration, reminders)
        if reminders["repeat_until"] > last:
            reminders["repeat_until"] = last


# --- get_info's shape --------------------------------------------------------------------


# What get_info answers for a setting nobody set (98149 answers the whole object). Sources:
# the update page 98154 names watermark_type 0, allow_external_user true and remind_scope 2
# as defaults; the others are Tencent Meeting's defaults, which WeCom's meetings run on
# (allow_enter_before_host, enable_enter_mute 2 "after six people", allow_unmute_self,
# enable_host_pause_auto_record and enable_doc_upload_permission on, the rest off). The
# field names are those of SKIT.FlurlHttpClient.Wechat's CgibinMeetingGetInfoResponse and
# silenceper/wechat's work/meeting Settings.
SETTINGS_DEFAULTS = {
    "enable_waiting_room": False,
    "allow_enter_before_host": True,
    "enable_enter_mute": 2,
    "allow_unmute_self": True,
    "mute_all": False,
    "allow_external_user": True,
    "enable_screen_watermark": False,
    "watermark_type": 0,
    "auto_record_type": "none",
    "attendee_join_auto_record": False,
    "enable_host_pause_auto_record": True,
    "enable_doc_upload_permission": True,
    "enable_enroll": False,
    "enable_host_key": False,
    "remind_scope": 2,
}
# 98154: repeat_until_type defaults to 0; repeat_type 0 (daily) is the first of its choices.
REMINDERS_DEFAULTS = {"repeat_type": 0, "is_custom_repeat": 0, "repeat_until_type": 0}
# Per member of attendees.member[] (98149; wecom-cli's get_meeting reference: 1 took part,
# 2 did not). Nobody joins a sandbox meeting, so every invitee "did not" and the figures are 0.
NOT_JOINED = 2


def _attendee(userid):
    return {
        "userid": userid,
        "status": NOT_JOINED,
        "first_join_time": 0,
        "last_quit_time": 0,
        "total_join_count": 0,
        "cumulative_time": 0,
    }


def _settings_info(meeting):
    stored = copy.deepcopy(meeting["settings"])
    settings = {**SETTINGS_DEFAULTS, **stored}
    settings["need_password"] = bool(settings.get("password"))
    if not settings["need_password"]:
        settings.pop("password", None)
    if not settings["enable_host_key"]:
        settings.pop("host_key", None)
    for key in ("hosts", "ring_users"):
        settings.setdefault(key, {"userid": []})
    # Before anyone joins, the admin is the meeting's one host; nobody is co-host.
    settings["current_hosts"] = {"userid": [meeting["admin_userid"]]}
    settings["co_hosts"] = {"userid": []}
    return settings


def _reminders_info(meeting):
    reminders = copy.deepcopy(meeting["reminders"])
    if reminders.get("is_repeat") != 1:
        # A one-off meeting: only whether it repeats and its reminders mean anything.
        return {"is_repeat": 0, "remind_before": reminders.get("remind_before", [])}
    reminders = {**REMINDERS_DEFAULTS, **reminders}
    reminders.setdefault("remind_before", [])
    # An end that was never given is the cap's (98154: "默认设置为最大结束时间"), and get_info
    # says so.
    if reminders["repeat_until_type"] == 1:
        reminders.setdefault("repeat_until_count", series.cap(reminders["repeat_type"]))
    elif "repeat_until" not in reminders:
        reminders["repeat_until"] = series.last_allowed_start(
            meeting["meeting_start"], meeting["meeting_duration"], reminders
        )
    # repeat_until is a number, as in 98149's example and SKIT's model (a long) and sample.
    return reminders


def _sub_meetings(meeting, now):
    """Every occurrence at once (at most 200), so has_more_sub_meeting is always 0.

    Items carry what 98149 and SKIT's MeetingInfoSubMeeting list: sub_meetingid, start_time,
    end_time, status, title and repeat_id. One series has one segment, described in
    sub_repeat_list (98149; SKIT's SubRepeat, silenceper's SubRepeatInfo): WeCom splits a
    series into several only when one occurrence is changed on its own, which no endpoint
    of this app does.

    An occurrence's `status` is its own flag, 0 exists and 1 deleted, not the meeting status
    1-5: get_info page 93708 and its sample; SKIT.FlurlHttpClient.Wechat
    `CgibinMeetingGetInfoResponse.Types.SubMeeting.Status`. Whether an occurrence is running or
    over follows from its start_time and end_time."""
    duration = meeting["meeting_duration"]
    cancelled = set(meeting["cancelled_sub_meetingids"])
    repeat_id = f"{meeting['meetingid']}-1"
    subs = []
    for start in series.starts(meeting):
        sub_meetingid = str(start)
        deleted = meeting["cancelled"] or sub_meetingid in cancelled
        subs.append(
            {
                "sub_meetingid": sub_meetingid,
                "start_time": start,
                "end_time": start + duration,
                "status": SUB_DELETED if deleted else SUB_EXISTS,
                "title": meeting["title"],
                "repeat_id": repeat_id,
            }
        )
    live = [sub for sub in subs if sub["status"] == SUB_EXISTS]
    running = [sub for sub in live if sub["start_time"] <= now < sub["end_time"]]
    ahead = [sub for sub in live if sub["start_time"] > now]
    current = (running or ahead or [{"sub_meetingid": ""}])[0]
    rule = _reminders_info(meeting)
    segment = {"repeat_id": repeat_id}
    for key in (
        "repeat_type",
        "is_custom_repeat",
        "repeat_interval",
        "repeat_day_of_week",
        "repeat_day_of_month",
        "repeat_until_type",
        "repeat_until_count",
        "repeat_until",
    ):
        if key in rule:
            segment[key] = rule[key]
    return {
        "sub_meetings": subs,
        "has_more_sub_meeting": 0,
        "remain_sub_meetings": len(running) + len(ahead),
        "current_sub_meetingid": current["sub_meetingid"],
        "sub_repeat_list": [segment],
    }


# --- the control API's direct access -----------------------------------------------------

PATCHABLE = (
    "title",
    "meeting_start",
    "meeting_duration",
    "description",
    "location",
    "cal_id",
    "admin_userid",
    "meeting_code",
    "meeting_link",
)


def view(s, meeting):
    """The stored meeting with its current status, for GET /__sandbox__/meetings."""
    return {**copy.deepcopy(meeting), "status": status(s, meeting)}


def patch(s, meetingid, changes):
    """Change a stored meeting as someone editing it in the WeCom client would: no rule is
    checked. `settings` and `reminders` merge field by field (null removes a field); null
    removes an optional top-level field; `status` 4 cancels, 1/2/3/5 pins the status, null
    unpins and uncancels. ValueError, with nothing changed, for a body it cannot apply."""
    if not isinstance(changes, dict):
        raise ValueError("expected a JSON object")
    meeting = copy.deepcopy(s.meetings[meetingid])
    for key, value in changes.items():
        if key in ("settings", "reminders"):
            if not isinstance(value, dict):
                raise ValueError(f"{key} must be an object")
            merged = {**meeting[key], **value}
            meeting[key] = {k: v for k, v in merged.items() if v is not None}
        elif key == "invitees":
            userids = value.get("userid") if isinstance(value, dict) else value
            if not isinstance(userids, list) or not all(isinstance(u, str) for u in userids):
                raise ValueError('invitees must be a list of userids or {"userid": [...]}')
            meeting["invitees"] = fields.unique(userids)
        elif key == "status":
            if value is None:
                meeting.pop("pinned_status", None)
                meeting["cancelled"] = False
            elif value == CANCELLED:
                meeting["cancelled"] = True
            elif value in (SCHEDULED, IN_PROGRESS, ENDED, EXPIRED):
                meeting["pinned_status"] = value
            else:
                raise ValueError("status must be 1 to 5, or null")
        elif key in PATCHABLE:
            if value is None:
                meeting.pop(key, None)
            else:
                meeting[key] = value
        else:
            raise ValueError(f"{key} cannot be changed here")
    meeting["updated_at"] = s.now()
    s.meetings[meetingid] = meeting
    s.changed()
    return meeting


# --- helpers -----------------------------------------------------------------------------


def _lookup(s, body):
    meetingid = body.get("meetingid")
    if meetingid is None:
        raise Reject("param_invalid", "meetingid is required")
    meeting = s.meetings.get(fields.string(meetingid, "meetingid"))
    if meeting is None:
        raise Reject("meeting_unknown", meetingid)
    return meeting


def _admin_userid(s, body):
    if body.get("admin_userid") in (None, ""):
        raise Reject("admin_required", "admin_userid is required")
    admin = fields.string(body["admin_userid"], "admin_userid")
    fields.check_userids(s.directory, [admin])
    return admin


def _sub_meetingid(body):
    value = body.get("sub_meetingid")
    if value is None or value == "":
        return None
    return fields.string(value, "sub_meetingid")


def _occurrence(meeting, sub_meetingid):
    """The start of the occurrence `sub_meetingid` names (its start's unix time, as text)."""
    if series.is_recurring(meeting):
        for start in series.starts(meeting):
            if str(start) == sub_meetingid:
                return start
    raise Reject("sub_meeting_unknown", sub_meetingid)


def _cursor(body):
    cursor = body.get("cursor")
    if cursor is None or cursor == "":
        return 0
    if not isinstance(cursor, str) or not cursor.isascii() or not cursor.isdigit():
        raise Reject("param_invalid", "cursor must be one the previous page returned")
    return int(cursor)


def _excess_users(s, meeting):
    # Returned only when there are some, as on the page ("仅在...时返回").
    excess = [userid for userid in meeting["invitees"] if userid in s.config["excess_users"]]
    return {"excess_users": excess} if excess else {}


def _check_create(s, body):
    """Everything create checks before it stores anything: (base, changes, duplicate key),
    the key None with skip_duplicate_check. `hold_create` runs it too, without storing."""
    admin = _admin_userid(s, body)
    skip_check = fields.boolean(body.get("skip_duplicate_check", False), "skip_duplicate_check")
    base = {"admin_userid": admin, "invitees": [], "settings": {}, "reminders": {}}
    changes = _validate(s, body, base, creating=True)
    if skip_check:
        return base, changes, None
    key = (admin, changes["title"], changes["meeting_start"])
    # A stored meeting is the firmer fact: it wins over one still being created.
    if _duplicate(s, *key, s.now()):
        raise Reject("duplicate_create")
    if key in s.creating.values():
        raise Reject("create_in_progress")
    return base, changes, key


def _duplicate(s, admin, title, start, now):
    return any(
        m["admin_userid"] == admin
        and m["title"] == title
        and m["meeting_start"] == start
        and not m["cancelled"]
        and now - m["created_at"] < DUPLICATE_WINDOW
        for m in s.meetings.values()
    )


def _random(alphabet, length):
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _new_meetingid(s):
    while True:
        meetingid = "hy" + _random(_ALPHANUMERIC, 30)
        if meetingid not in s.meetings:
            return meetingid


def _new_meeting_code(s):
    taken = {m["meeting_code"] for m in s.meetings.values()}
    while True:
        code = _random("123456789", 1) + _random(string.digits, 8)
        if code not in taken:
            return code
