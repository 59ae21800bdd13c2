"""The control API under /__sandbox__/: JSON in and out, no access_token, never logged as a
WeCom call and never subject to faults.

    POST   reset              everything back to a fresh start (directory: the demo people)
    GET    requests           every WeCom call received, oldest first (?path=meeting/update)
    DELETE requests           forget them
    GET    faults             the faults in force
    POST   faults             add one (see faults.py); DELETE faults removes them all
    GET    clock              {"now": unix}
    POST   clock              {"now": unix} or {"advance": seconds}
    GET    users              {"userids": [...]}
    POST   users              {"userids": [...]} or {"users": [{userid, name, department}]}
    GET    people             the directory with names and departments
    GET    config             invitee_cap, token_lifetime, latency, excess_users,
                              callback_url, callback_token, callback_aes_key,
                              unlicensed_users
    POST   config             change some of them
    GET    meetings           every stored meeting, with its current status
    GET    meetings/<id>      one stored meeting
    PATCH  meetings/<id>      change it directly, bypassing the rules (meetings.patch); with
                              config callback_url set, a meeting_change event goes there,
                              from the member ?by=<userid> (the meeting's admin by default)
    GET    calendars          every stored calendar
    GET    messages           the app messages delivered (message/send), oldest first
                              (?touser=<userid>: those that member received)
    DELETE messages           forget them
    DELETE tokens             drop every access_token, as WeCom may do early

Answers are 200 with JSON, 400 {"error": ...} for a body that cannot be applied, 404 or 405.
"""

import json

from . import callbacks, meetings, messages
from .directory import directory_from


def handle(server, method, path, query, raw_body):
    """(HTTP status, JSON answer) for one control call."""
    try:
        payload = json.loads(raw_body.decode("utf-8")) if raw_body.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return 400, {"error": "the body is not JSON"}
    sandbox = server.sandbox
    with sandbox.lock:
        if path.startswith("meetings/"):
            return _meeting(sandbox, method, path[len("meetings/") :], payload, query)
        routes = ROUTES.get(path)
        if routes is None:
            return 404, {"error": f"no control endpoint {path!r}"}
        handler = routes.get(method)
        if handler is None:
            return 405, {"error": f"{path} takes {', '.join(routes)}"}
        try:
            return 200, handler(server, payload, query)
        except ValueError as exc:
            return 400, {"error": str(exc)}


def _reset(server, payload, query):
    server.reset()
    return {"reset": True, "now": server.sandbox.now()}


def _requests(server, payload, query):
    entries = server.requests()
    if "path" in query:
        entries = [entry for entry in entries if entry["path"] == query["path"].strip("/")]
    return {"requests": entries}


def _clear_requests(server, payload, query):
    server.clear_requests()
    return {"requests": []}


def _faults(server, payload, query):
    return {"faults": server.faults.describe()}


def _add_fault(server, payload, query):
    return {"fault": server.faults.add(payload).describe()}


def _clear_faults(server, payload, query):
    server.faults.clear()
    return {"faults": []}


def _clock(server, payload, query):
    return {"now": server.sandbox.now()}


def _set_clock(server, payload, query):
    sandbox = server.sandbox
    if not isinstance(payload, dict) or len(payload.keys() & {"now", "advance"}) != 1:
        raise ValueError('send {"now": unix} or {"advance": seconds}')
    key = "now" if "now" in payload else "advance"
    value = payload[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    if key == "now":
        sandbox.clock.set(value)
    else:
        sandbox.clock.advance(value)
    sandbox.changed()
    return {"now": sandbox.now()}


def _users(server, payload, query):
    return {"userids": list(server.sandbox.directory)}


def _set_users(server, payload, query):
    sandbox = server.sandbox
    sandbox.directory = directory_from(payload)
    sandbox.changed()
    return {"userids": list(sandbox.directory)}


def _people(server, payload, query):
    return {"people": list(server.sandbox.directory.values())}


def _config(server, payload, query):
    return {"config": server.sandbox.config}


def _set_config(server, payload, query):
    server.sandbox.configure(payload)
    return {"config": server.sandbox.config}


def _meetings(server, payload, query):
    sandbox = server.sandbox
    return {"meetings": [meetings.view(sandbox, m) for m in sandbox.meetings.values()]}


def _calendars(server, payload, query):
    return {"calendars": list(server.sandbox.calendars.values())}


def _messages(server, payload, query):
    return {"messages": messages.received(server.sandbox, query.get("touser"))}


def _forget_messages(server, payload, query):
    server.sandbox.messages = []
    server.sandbox.changed()
    return {"messages": []}


def _forget_tokens(server, payload, query):
    server.sandbox.forget_tokens()
    return {"tokens": []}


def _meeting(sandbox, method, meetingid, payload, query):
    if meetingid not in sandbox.meetings:
        return 404, {"error": f"no meeting {meetingid!r}"}
    if method == "GET":
        return 200, meetings.view(sandbox, sandbox.meetings[meetingid])
    if method == "PATCH":
        try:
            meeting = meetings.patch(sandbox, meetingid, payload)
        except ValueError as exc:
            return 400, {"error": str(exc)}
        cancelled = isinstance(payload, dict) and payload.get("status") == meetings.CANCELLED
        # Whoever edits a meeting in the WeCom client is a member: the admin, unless the
        # call names another.
        changed_by = query.get("by") or meeting["admin_userid"]
        callbacks.meeting_changed(
            sandbox, meetingid, callbacks.CANCEL if cancelled else callbacks.MODIFY, changed_by
        )
        return 200, meetings.view(sandbox, meeting)
    return 405, {"error": "meetings/<meetingid> takes GET, PATCH"}


ROUTES = {
    "reset": {"POST": _reset},
    "requests": {"GET": _requests, "DELETE": _clear_requests},
    "faults": {"GET": _faults, "POST": _add_fault, "DELETE": _clear_faults},
    "clock": {"GET": _clock, "POST": _set_clock},
    "users": {"GET": _users, "POST": _set_users},
    "people": {"GET": _people},
    "config": {"GET": _config, "POST": _set_config},
    "meetings": {"GET": _meetings},
    "calendars": {"GET": _calendars},
    "messages": {"GET": _messages, "DELETE": _forget_messages},
    "tokens": {"DELETE": _forget_tokens},
}
