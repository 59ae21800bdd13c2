"""The WeCom endpoints: path -> handler, and what every call goes through before its handler
(the method, the access_token, a JSON object for a body). The caller holds the lock."""

import json

from . import calendars, meetings
from .errors import Reject

# path under /cgi-bin/ -> handler(sandbox, body) returning the answer's fields beyond
# errcode and errmsg.
ENDPOINTS = {
    "meeting/create": meetings.create,
    "meeting/update": meetings.update,
    "meeting/cancel": meetings.cancel,
    "meeting/get_info": meetings.get_info,
    "meeting/get_user_meetingid": meetings.get_user_meetingid,
    "meeting/set_invitees": meetings.set_invitees,
    "meeting/get_invitees": meetings.get_invitees,
    "oa/calendar/add": calendars.add,
    "oa/calendar/update": calendars.update,
    "oa/calendar/get": calendars.get,
    "oa/calendar/del": calendars.delete,
}
GETTOKEN = "gettoken"


def knows(path):
    return path == GETTOKEN or path in ENDPOINTS


def call(sandbox, method, path, query, raw_body):
    """WeCom's answer to one call, as a dict with errcode and errmsg first."""
    try:
        if path == GETTOKEN:
            if method != "GET":
                raise Reject("get_required")
            result = sandbox.gettoken(query.get("corpid"), query.get("corpsecret"))
        else:
            if method != "POST":
                raise Reject("post_required")
            sandbox.check_token(query.get("access_token"))
            result = ENDPOINTS[path](sandbox, parse_body(raw_body))
    except Reject as rejection:
        return rejection.answer()
    return {"errcode": 0, "errmsg": "ok", **result}


def parse_body(raw_body):
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Reject("json_invalid") from None
    if not isinstance(body, dict):
        raise Reject("param_invalid", "the body must be a JSON object")
    return body
