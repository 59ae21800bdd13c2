"""oa/calendar/*: the calendars this app creates, which its meetings may name in cal_id.

Rules from the add (93647), update (97716), get (97717) and del (97718) pages, summed up in
docs/wecom.md: summary 1 to 128 characters and a #RRGGBB color are required (90473 for a
colour that is not one), description at most 512, at most 3 admins who are among the shares,
shares with permission 1 (view) or 3 (free/busy only), a public calendar says who it is
public to; update overwrites the whole calendar but never is_public or is_corp_calendar.
An id this app never made answers 90457 and a deleted one 90459 (90313, go-workwx
errcodes/mod.go).
"""

import re
import secrets
import string

from . import fields
from .directory import is_userid
from .errors import Reject

COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
SUMMARY_MAX = 128
DESCRIPTION_MAX = 512
ADMINS_MAX = 3
SHARE_PERMISSIONS = (1, 3)
FLAGS = ("is_public", "is_corp_calendar", "set_as_default")
# Fixed at creation (97716, docs/wecom.md "Calendars": is_public, is_corp_calendar cannot change).
FIXED = ("is_public", "is_corp_calendar")
GET_MAX = 1000


def add(s, body):
    calendar, failed = _read(s, fields.obj(body.get("calendar"), "calendar"))
    calendar = {"cal_id": _new_cal_id(s), **calendar}
    for flag in FIXED:
        calendar.setdefault(flag, 0)
    _check_public(calendar)
    s.calendars[calendar["cal_id"]] = calendar
    s.changed()
    return {"cal_id": calendar["cal_id"], "fail_result": {"shares": failed}}


def update(s, body):
    raw = fields.obj(body.get("calendar"), "calendar")
    stored = _lookup(s, raw.get("cal_id"))
    skip_public_range = fields.uint(body.get("skip_public_range", 0), "skip_public_range")
    for flag in FIXED:
        if flag in raw and raw[flag] != stored[flag]:
            raise Reject("param_invalid", f"calendar.{flag} cannot be changed")
    calendar, failed = _read(s, {k: v for k, v in raw.items() if k not in (*FIXED, "cal_id")})
    calendar = {"cal_id": stored["cal_id"], **calendar}
    for flag in FIXED:
        calendar[flag] = stored[flag]
    if skip_public_range == 1:
        calendar.pop("public_range", None)
        if "public_range" in stored:
            calendar["public_range"] = stored["public_range"]
    _check_public(calendar)
    s.calendars[calendar["cal_id"]] = calendar
    s.changed()
    return {"fail_result": {"shares": failed}}


def get(s, body):
    cal_ids = fields.array(body.get("cal_id_list"), "cal_id_list")
    if len(cal_ids) > GET_MAX:
        raise Reject("param_invalid", f"cal_id_list holds at most {GET_MAX}")
    for cal_id in cal_ids:
        fields.string(cal_id, "cal_id_list[]")
    # An id this app does not own is left out of the list, not an error.
    return {"calendar_list": [dict(s.calendars[c]) for c in cal_ids if c in s.calendars]}


def delete(s, body):
    calendar = _lookup(s, body.get("cal_id"))
    del s.calendars[calendar["cal_id"]]
    s.deleted_calendars.append(calendar["cal_id"])
    s.changed()
    return {}


def _lookup(s, cal_id):
    if cal_id is None:
        raise Reject("param_invalid", "cal_id is required")
    calendar = s.calendars.get(fields.string(cal_id, "cal_id"))
    if calendar is None:
        if cal_id in s.deleted_calendars:
            raise Reject("calendar_deleted", cal_id)
        raise Reject("cal_id_invalid", cal_id)
    return calendar


def _read(s, raw):
    """The calendar to store, and the shares that could not be made (unknown members)."""
    calendar = {}
    summary = fields.string(raw.get("summary"), "calendar.summary")
    if not 1 <= len(summary) <= SUMMARY_MAX:
        raise Reject("param_invalid", f"calendar.summary must be 1 to {SUMMARY_MAX} characters")
    calendar["summary"] = summary
    color = fields.string(raw.get("color"), "calendar.color")
    if not COLOR.fullmatch(color):
        raise Reject("color_invalid", color)
    calendar["color"] = color
    if "description" in raw:
        description = fields.string(raw["description"], "calendar.description")
        if len(description) > DESCRIPTION_MAX:
            raise Reject("text_too_long", f"calendar.description, at most {DESCRIPTION_MAX}")
        calendar["description"] = description
    if "admins" in raw:
        admins = fields.unique(
            fields.string(a, "calendar.admins[]")
            for a in fields.array(raw["admins"], "calendar.admins")
        )
        if len(admins) > ADMINS_MAX:
            raise Reject("param_invalid", f"calendar.admins holds at most {ADMINS_MAX}")
        fields.check_userids(s.directory, admins)
        calendar["admins"] = admins

    failed = []
    if "shares" in raw:
        shares = []
        for item in fields.array(raw["shares"], "calendar.shares"):
            share = fields.obj(item, "calendar.shares[]")
            userid = fields.string(share.get("userid"), "calendar.shares[].userid")
            if not is_userid(userid):
                raise Reject("userid_invalid", userid)
            entry = {"userid": userid}
            if "permission" in share:
                permission = fields.uint(share["permission"], "calendar.shares[].permission")
                if permission not in SHARE_PERMISSIONS:
                    raise Reject("param_invalid", "calendar.shares[].permission must be 1 or 3")
                entry["permission"] = permission
            # A member the app cannot see is reported back, not refused.
            if userid in s.directory:
                shares.append(entry)
            else:
                failed.append({"userid": userid, "errcode": 60111, "errmsg": "userid not found"})
        calendar["shares"] = shares

    for flag in FLAGS:
        if flag in raw:
            value = fields.uint(raw[flag], f"calendar.{flag}")
            if value not in (0, 1):
                raise Reject("param_invalid", f"calendar.{flag} must be 0 or 1")
            calendar[flag] = value
    if "public_range" in raw:
        public_range = fields.obj(raw["public_range"], "calendar.public_range")
        userids = fields.unique(
            fields.string(u, "calendar.public_range.userids[]")
            for u in fields.array(public_range.get("userids", []), "calendar.public_range.userids")
        )
        fields.check_userids(s.directory, userids)
        partyids = fields.uint_list(
            public_range.get("partyids", []), "calendar.public_range.partyids"
        )
        calendar["public_range"] = {"userids": userids, "partyids": partyids}
    # 93647: the admins are chosen among the members the calendar is shared with.
    shared = {share["userid"] for share in calendar.get("shares", [])}
    for admin in calendar.get("admins", []):
        if admin not in shared:
            raise Reject("param_invalid", f"calendar.admins: {admin} is not among the shares")
    return calendar, failed


def _check_public(calendar):
    """93647: a public calendar is public to the members and departments of its public_range;
    one that names nobody is refused rather than made public to no one."""
    if calendar.get("is_public") == 1 and not any(calendar.get("public_range", {}).values()):
        raise Reject("param_invalid", "calendar.is_public=1 needs a public_range")


def _new_cal_id(s):
    alphabet = string.ascii_letters + string.digits
    while True:
        cal_id = "wc" + "".join(secrets.choice(alphabet) for _ in range(30))
        if cal_id not in s.calendars:
            return cal_id
