"""message/send: an app's messages to members, as 发送应用消息 documents them
(https://developer.work.weixin.qq.com/document/path/90236), with the per-member limits of
访问频率限制 (https://developer.work.weixin.qq.com/document/path/90454).

What the pages say, and what the sandbox does with it:

- Recipients: `touser` "userid1|userid2" (at most 1000) or "@all" (everyone the app sees;
  toparty and totag are then ignored), `toparty` department ids (at most 100), `totag` tag
  ids (at most 100), at least one of them. A recipient who does not exist or is outside the
  app's visibility does not stop the call: it comes back in `invaliduser`, `invalidparty` or
  `invalidtag`. When every recipient is invalid the call fails with 81013. Userids are not
  case-sensitive, and the answer gives them in lower case. The sandbox's app sees its whole
  directory; party 1 is the company and each department the next number (directory.py);
  the sandbox has no tags, so every tag id is invalid.
- `unlicenseduser`: members without the basic interface licence (基础接口许可) are named
  there and get nothing; the sandbox's config "unlicensed_users" lists them (none by default).
- textcard: title (128 bytes), description (512 bytes), url (required, with http/https) and
  btntxt ("详情" when absent, 4 characters): what is longer is cut, not refused. text: content
  (2048 bytes). Other message types are accepted as sent.
- Duplicate check: with "enable_duplicate_check": 1, "同样内容（请求json）的消息" within
  `duplicate_check_interval` seconds (1800 by default, at most 4 hours) is not received
  again. The sandbox compares the whole request JSON; the call is still answered ok, and the
  members who already have the message simply do not get it again. An interval above 4
  hours is refused as an invalid parameter (40058): the page gives it as a maximum.
- Per-member limit: an app may send each member at most 30 messages a minute and 1000 an
  hour; "超过部分会被丢弃不下发" (the excess is dropped, not delivered). The pages name no
  errcode for the drop; 90454 says a call over a limit "会收到相应错误码", and for group
  messages that the drop is silent ("接口不会报错"). So the sandbox drops the message for a
  member over the limit; when that leaves nobody to deliver it to, it answers 45009 (90313:
  接口调用超过限制) so that the caller can tell; otherwise it answers ok for the others.
  This last part is this sandbox's reading, not a documented fact.
- The answer: errcode, errmsg, invaliduser, invalidparty, invalidtag, unlicenseduser (empty
  strings when none) and `msgid`, the id used to recall the message.

Every message delivered is kept (newest MESSAGES_MAX) and listed by the control API:
GET /__sandbox__/messages (?touser=<userid>).
"""

import hashlib
import json
import secrets

from . import directory, fields
from .errors import Reject

ALL = "@all"
COMPANY = 1
USERS_MAX = 1000
PARTIES_MAX = 100
TAGS_MAX = 100
MSGTYPES = (
    "text",
    "image",
    "voice",
    "video",
    "file",
    "textcard",
    "news",
    "mpnews",
    "markdown",
    "miniprogram_notice",
    "template_card",
)
# (field, most bytes kept) of the types whose content the sandbox reads.
TEXT_LIMITS = {
    "text": (("content", 2048),),
    "textcard": (("title", 128), ("description", 512)),
}
TEXTCARD_URL_BYTES = 2048
BTNTXT_DEFAULT = "详情"
BTNTXT_CHARACTERS = 4
DUPLICATE_INTERVAL_DEFAULT = 1800
DUPLICATE_INTERVAL_MAX = 4 * 3600
# 90454: per app and member, (window seconds, messages).
PER_MEMBER = ((60, 30), (3600, 1000))
MESSAGES_MAX = 10_000


def send(s, body):
    """90236's answer to one message/send body; the message is delivered as a side effect."""
    _agent(s, body.get("agentid"))
    msgtype = body.get("msgtype")
    if msgtype not in MSGTYPES:
        raise Reject("msgtype_invalid", repr(msgtype))
    content = _content(msgtype, body.get(msgtype))
    interval = _duplicate_interval(body)
    touser = _ids(body.get("touser"), "touser")
    everyone = touser == [ALL]
    parties = [] if everyone else _ids(body.get("toparty"), "toparty")
    tags = [] if everyone else _ids(body.get("totag"), "totag")
    if not (touser or parties or tags):
        raise Reject("recipients_empty")
    if len(touser) > USERS_MAX:
        raise Reject("userid_list_too_long")
    if len(parties) > PARTIES_MAX:
        raise Reject("party_list_too_long")
    if len(tags) > TAGS_MAX:
        raise Reject("tag_list_too_long")

    recipients, invalid_users, invalid_parties = _recipients(s, touser, everyone, parties)
    invalid = {
        "invaliduser": "|".join(userid.lower() for userid in invalid_users),
        "invalidparty": "|".join(invalid_parties),
        "invalidtag": "|".join(tags),
    }
    if not recipients:
        raise Reject("recipients_invalid", **invalid)

    now = s.now()
    unlicensed = {userid.lower() for userid in s.config["unlicensed_users"]}
    key = _content_key(body)
    deliver, limited = [], []
    for userid in recipients:
        if userid.lower() in unlicensed:
            continue
        if interval is not None and _received(s, key, userid, now - interval):
            continue
        if _over_limit(s, userid, now):
            limited.append(userid)
            continue
        deliver.append(userid)
    if limited and not deliver:
        raise Reject("member_freq_limited", ", ".join(limited))

    msgid = secrets.token_urlsafe(48)
    if deliver:
        s.messages.append(
            {
                "msgid": msgid,
                "time": now,
                "msgtype": msgtype,
                msgtype: content,
                "touser": deliver,
                "key": key,
            }
        )
        del s.messages[:-MESSAGES_MAX]
        s.changed()
    return {
        **invalid,
        "unlicenseduser": "|".join(u.lower() for u in recipients if u.lower() in unlicensed),
        "msgid": msgid,
    }


def received(s, touser=None):
    """The messages delivered, oldest first; to one member only when `touser` is given."""
    found = []
    for message in s.messages:
        if touser is not None and touser.lower() not in {u.lower() for u in message["touser"]}:
            continue
        found.append({name: value for name, value in message.items() if name != "key"})
    return found


# --- the request -------------------------------------------------------------------------


def _agent(s, agentid):
    if agentid is None:
        raise Reject("agentid_invalid", "agentid is required")
    fields.uint(agentid, "agentid")
    if agentid != s.agent_id:
        # The access_token is the sandbox app's; another app's agentid is not its to use.
        raise Reject("agent_forbidden", str(agentid))


def _content(msgtype, value):
    content = dict(fields.obj(value, msgtype))
    for name, most in TEXT_LIMITS.get(msgtype, ()):
        text = content.get(name)
        if text is None or text == "":
            raise Reject("param_invalid", f"{msgtype}.{name} is required")
        content[name] = _cut(fields.string(text, f"{msgtype}.{name}"), most)
    if msgtype == "textcard":
        url = content.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Reject("param_invalid", "textcard.url must be an http(s) link")
        if len(url.encode("utf-8")) > TEXTCARD_URL_BYTES:
            raise Reject("text_too_long", "textcard.url")
        btntxt = content.get("btntxt")
        if btntxt is None or btntxt == "":
            btntxt = BTNTXT_DEFAULT
        content["btntxt"] = fields.string(btntxt, "textcard.btntxt")[:BTNTXT_CHARACTERS]
    return content


def _cut(text, most):
    """At most `most` bytes of UTF-8, never half a character."""
    return text.encode("utf-8")[:most].decode("utf-8", errors="ignore")


def _duplicate_interval(body):
    """The seconds of the duplicate check, or None when it is off."""
    enabled = body.get("enable_duplicate_check", 0)
    if fields.uint(enabled, "enable_duplicate_check") not in (0, 1):
        raise Reject("param_invalid", "enable_duplicate_check must be 0 or 1")
    interval = body.get("duplicate_check_interval", DUPLICATE_INTERVAL_DEFAULT)
    fields.uint(interval, "duplicate_check_interval")
    if not 0 < interval <= DUPLICATE_INTERVAL_MAX:
        raise Reject("param_invalid", "duplicate_check_interval is at most 4 hours")
    return interval if enabled else None


def _ids(value, name):
    """The ids of a "a|b" recipient field (spaces around them ignored); [] when absent."""
    if value is None:
        return []
    if isinstance(value, int) and not isinstance(value, bool) and name != "touser":
        value = str(value)
    parts = [part.strip() for part in fields.string(value, name).split("|")]
    return [part for part in parts if part]


def _recipients(s, touser, everyone, parties):
    """(userids to deliver to, invalid userids, invalid party ids), each in the order given."""
    people = s.directory
    if everyone:
        return list(people), [], []
    by_lower = {userid.lower(): userid for userid in people}
    recipients, invalid_users, invalid_parties = [], [], []
    for userid in touser:
        known = by_lower.get(userid.lower())
        if known is None:
            invalid_users.append(userid)
        elif known not in recipients:
            recipients.append(known)
    departments = {userid: directory.department_id(people, userid) for userid in people}
    for party in parties:
        number = int(party) if party.isdigit() else None
        members = [
            userid
            for userid, department in departments.items()
            if number == COMPANY or department == number
        ]
        if not members:
            invalid_parties.append(party)
        recipients += [userid for userid in members if userid not in recipients]
    return recipients, invalid_users, invalid_parties


# --- what was received ---------------------------------------------------------------------


def _content_key(body):
    """The request JSON, written one way: the duplicate check's "同样内容"."""
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _received(s, key, userid, since):
    return any(
        message["key"] == key and message["time"] > since and userid in message["touser"]
        for message in s.messages
    )


def _over_limit(s, userid, now):
    for window, most in PER_MEMBER:
        count = sum(
            1
            for message in s.messages
            if message["time"] > now - window and userid in message["touser"]
        )
        if count >= most:
            return True
    return False
