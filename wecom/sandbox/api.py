"""The WeCom endpoints: path -> handler, and what every call goes through before its handler
(the method, the access_token, a JSON object for a body). The caller holds the lock."""

import json

from . import calendars, meetings, messages
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
    "message/send": messages.send,
}
# path -> (hold, release): what a call stands for while the server holds it before applying
# it. hold(sandbox, body) returns a token for release(sandbox, token), or None.
HOLDS = {
    "meeting/create": (meetings.hold_create, meetings.release_create),
}
# path -> the config key of the seconds WeCom itself takes to apply such a call (see the
# "create_seconds" setting in state.py), on top of the link's latency.
PROCESSING = {"meeting/create": "create_seconds"}
GETTOKEN = "gettoken"


def processing_seconds(sandbox, path):
    key = PROCESSING.get(path)
    return sandbox.config[key] if key else 0


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
            result = ENDPOINTS[path](sandbox, _body(sandbox, method, query, raw_body))
    except Reject as rejection:
        return rejection.answer()
    return {"errcode": 0, "errmsg": "ok", **result}


def hold(sandbox, method, path, query, raw_body):
    """Mark a call the server will hold and then apply as being processed (see HOLDS); a
    function that ends that, or None when the call marks nothing, as when it would be
    refused anyway."""
    if path not in HOLDS:
        return None
    take, give_back = HOLDS[path]
    try:
        token = take(sandbox, _body(sandbox, method, query, raw_body))
    except Reject:
        return None
    if token is None:
        return None
    return lambda: give_back(sandbox, token)


def _body(sandbox, method, query, raw_body):
    """The body of a call to an endpoint, once its method and access_token pass."""
    if method != "POST":
        raise Reject("post_required")
    sandbox.check_token(query.get("access_token"))
    return parse_body(raw_body)


def parse_body(raw_body):
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Reject("json_invalid") from None
    if not isinstance(body, dict):
        raise Reject("param_invalid", "the body must be a JSON object")
    return body
