"""From what is wanted and what WeCom holds to the calls that bring WeCom there, and back from
a fresh read to whether each wanted thing is held. Pure: no database, no HTTP, no clock of its
own, so that every case is a plain unit test.

The words: `desired` is the administrators' meeting (update-body shape), `confirmed` what
WeCom held when last read (`synced_state`), `theirs` what it holds now; occurrences are
get_info's `sub_meetings` as stored: [{"sub_meetingid", "start", "end", "deleted"}].
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from django.utils import timezone

from .. import payloads, rules
from .merge import ABSENT, Merge, body_from_leaves, leaves, merge, same, to_send

CREATE = "meeting/create"
UPDATE = "meeting/update"
CANCEL = "meeting/cancel"
SET_INVITEES = "meeting/set_invitees"
# The calls that change WeCom: their attempt is written before the call.
WRITES = (CREATE, UPDATE, CANCEL, SET_INVITEES)

# Leaves WeCom fills in itself when they are not chosen: the end of a series (a date, or the
# cap's count) and a host key when the key is on (update page 98154: "将自动分配一个6位数字
# 的密钥"). Not choosing one is no wish that WeCom's value could contradict.
FILLED_BY_WECOM = ("reminders.repeat_until", "reminders.repeat_until_count", "settings.host_key")
# get_info's sub_meetings[].status: 0 exists, 1 deleted (page 93708; SKIT.FlurlHttpClient.Wechat
# CgibinMeetingGetInfoResponse.Types.SubMeeting), not the meeting status 1-5.
SUB_DELETED = 1


# --- what WeCom holds, as this app compares it ------------------------------------------------


# Texts get_info leaves out when they were never set (get_info page 98149's "optional"
# fields): left out, they are empty, and a value sent but not kept must show as not held.
EMPTY_WHEN_LEFT_OUT = ("description", "location")


def held(info: dict[str, Any], admin_userid: str) -> dict[str, Any]:
    """A get_info answer as an update body, the way WeCom keeps it."""
    body = rules.prune(payloads.body_from_info(info))
    for name in EMPTY_WHEN_LEFT_OUT:
        body.setdefault(name, "")
    return payloads.as_wecom_holds(body, admin_userid or info.get("admin_userid"))


def wanted(
    desired: dict[str, Any], theirs: dict[str, Any] | None, admin_userid: str
) -> dict[str, Any]:
    """The desired body as WeCom would hold it: organiser among the invitees, and a leaf
    WeCom fills in by itself standing at WeCom's value when nobody chose one here."""
    return with_filled(payloads.as_wecom_holds(desired, admin_userid), theirs)


def with_filled(body: dict[str, Any], theirs: dict[str, Any] | None) -> dict[str, Any]:
    """`body` with each leaf WeCom fills in by itself that it leaves unchosen at the value
    `theirs` holds, where it holds one."""
    mine, held_leaves = leaves(body), leaves(theirs)
    filled = {
        key: held_leaves[key]
        for key in FILLED_BY_WECOM
        if mine.get(key) in (ABSENT, None, "") and key in held_leaves and _applies(key, mine)
    }
    if not filled:
        return body
    body = {**body, **{k: dict(v) for k, v in body.items() if isinstance(v, dict)}}
    for key, value in filled.items():
        group, name = key.split(".", 1)
        body.setdefault(group, {})[name] = value
    return body


def _applies(key: str, mine: dict[str, Any]) -> bool:
    if key == "settings.host_key":
        return mine.get("settings.enable_host_key") is True
    if mine.get("reminders.is_repeat") != 1:
        return False
    until_type = mine.get("reminders.repeat_until_type", 0)
    return until_type == (1 if key == "reminders.repeat_until_count" else 0)


def occurrences(info: dict[str, Any]) -> list[dict[str, Any]] | None:
    """get_info's sub_meetings as stored; None when a recurring meeting lists none (a
    partial answer says nothing about them), [] for a one-off meeting."""
    subs = info.get("sub_meetings")
    if not subs:
        return None if int((info.get("reminders") or {}).get("is_repeat") or 0) else []
    return [
        {
            "sub_meetingid": str(sub.get("sub_meetingid")),
            "start": int(sub.get("start_time") or 0),
            "end": int(sub.get("end_time") or 0),
            "deleted": int(sub.get("status") or 0) == SUB_DELETED,
        }
        for sub in subs
    ]


# --- occurrence cancels follow their occurrence ------------------------------------------------


@dataclass
class Followed:
    # The cancels still wanted, named as the new list names them.
    ids: list
    # The occurrences (as the old list had them) whose date the series no longer has.
    lost: list = field(default_factory=list)


def follow_cancels(
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    cancel_ids: Iterable[str],
    tz: tzinfo,
) -> Followed:
    """Occurrence ids follow the occurrence's start, so a series moved to another time
    renames every occurrence. A cancel decided against the old list names the occurrence of
    the same date in the new one, whether it was carried out already (the date stays
    cancelled however the series moves) or not. A cancel still to carry out whose date the
    series no longer has is lost, and the administrator must choose again; one carried out
    whose date is gone has nothing left to do."""
    new_by_id = {o["sub_meetingid"]: o for o in new}
    old_by_id = {o["sub_meetingid"]: o for o in old}
    by_date: dict[date, dict[str, Any]] = {}
    for occurrence in new:
        by_date.setdefault(_date(occurrence["start"], tz), occurrence)
    ids: list[str] = []
    lost: list[dict[str, Any]] = []
    for sub_meetingid in cancel_ids:
        if sub_meetingid in new_by_id:
            ids.append(sub_meetingid)
            continue
        before = old_by_id.get(sub_meetingid)
        if before is None:
            continue
        after = by_date.get(_date(before["start"], tz))
        if after is None:
            if not before.get("deleted"):
                lost.append(before)
        elif after["sub_meetingid"] not in ids:
            ids.append(after["sub_meetingid"])
    return Followed(ids, lost)


def _date(unix: int, tz: tzinfo) -> date:
    return datetime.fromtimestamp(unix, tz=UTC).astimezone(tz).date()


def local_date(unix: int, tz: tzinfo | None = None) -> str:
    """The occurrence's date where the administrators are, as text (what a cancel event and a
    lost cancel's problem are matched by)."""
    return _date(unix, tz or timezone.get_current_timezone()).isoformat()


def nearest(occurrence_list: list[dict[str, Any]], unix: int) -> dict[str, Any] | None:
    """The existing occurrence whose start is nearest to `unix`, or None."""
    live = [o for o in occurrence_list if not o.get("deleted")]
    return min(live, key=lambda o: abs(o["start"] - unix), default=None)


def pending_cancels(
    occurrence_list: list[dict[str, Any]], cancel_ids: Iterable[str], now_unix: int
) -> tuple[list[str], list[dict[str, Any]]]:
    """(to send, past cancelling): the wanted cancels WeCom still lists as existing, split by
    whether the occurrence is still to come."""
    by_id = {o["sub_meetingid"]: o for o in occurrence_list}
    send: list[dict[str, Any]] = []
    started: list[dict[str, Any]] = []
    for sub_meetingid in cancel_ids:
        occurrence = by_id.get(sub_meetingid)
        if occurrence is None or occurrence.get("deleted"):
            continue
        (send if occurrence["start"] > now_unix else started).append(occurrence)
    return [o["sub_meetingid"] for o in send], started


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class Plan:
    merge: Merge
    # The occurrences to cancel, first: they are named as WeCom listed them just now, and a
    # new start sent after renames them.
    cancels: list = field(default_factory=list)
    # A whole invitee list for set_invitees (past the update's cap), or None.
    invitees: list | None = None
    # The update's body without meetingid; {} when the update is not needed.
    update: dict = field(default_factory=dict)
    # Settings sent before set_invitees: WeCom's hosts and ring users that the new list
    # leaves out, taken off first (see `make_plan`); {} when none are.
    narrow: dict = field(default_factory=dict)

    @property
    def conflicts(self) -> dict[str, dict[str, Any]]:
        return self.merge.conflicts

    @property
    def taken(self) -> dict[str, Any]:
        return self.merge.taken

    @property
    def intended(self) -> dict[str, Any]:
        """The whole meeting this plan makes WeCom hold."""
        return self.merge.body

    @property
    def empty(self) -> bool:
        return not (self.cancels or self.invitees is not None or self.update or self.narrow)

    def calls(self, meetingid: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path, body) in the order they go out. set_invitees before the update, so that
        hosts sent with the update are invitees already; and before set_invitees, when the
        new list drops a host or a ring user WeCom holds, an update taking them off."""
        lookup = {"meetingid": meetingid}
        for sub_meetingid in self.cancels:
            yield CANCEL, {**lookup, "sub_meetingid": sub_meetingid}
        if self.narrow:
            yield UPDATE, {**lookup, "settings": self.narrow}
        if self.invitees is not None:
            yield SET_INVITEES, {**lookup, "invitees": [{"userid": u} for u in self.invitees]}
        if self.update:
            yield UPDATE, {**lookup, **self.update}


def make_plan(
    desired: dict[str, Any],
    confirmed: dict[str, Any] | None,
    theirs: dict[str, Any],
    *,
    admin_userid: str,
    cancels: Iterable[str] = (),
    sent: Iterable[dict[str, Any]] = (),
    invitee_cap: int,
) -> Plan:
    """The calls that turn `theirs` into `desired`, leaving to WeCom what changed there
    only; with conflicts, a plan that sends nothing."""
    mine = wanted(desired, theirs, admin_userid)
    base = None if confirmed is None else wanted(confirmed, theirs, admin_userid)
    merged = merge(base, mine, theirs, sent=sent)
    if merged.conflicts:
        return Plan(merged)
    body = to_send(merged)
    invitees = None
    if len((body.get("invitees") or {}).get("userid") or []) > invitee_cap:
        # Past the update's cap the list goes whole through set_invitees (up to 2,000, the
        # organiser included: as_wecom_holds put them in).
        invitees = body.pop("invitees")["userid"]
    return Plan(merged, list(cancels), invitees, body, _narrowed(theirs, invitees))


def _narrowed(theirs: dict[str, Any] | None, invitees: list[str] | None) -> dict[str, Any]:
    """WeCom keeps hosts and ring users among the invitees (400029, 400037 on 98154, for
    set_invitees too): a list that drops one of them is refused until they are gone. The
    settings that take them off, sent alone (every settings field is optional), or {}."""
    if invitees is None:
        return {}
    kept = {u.lower() for u in invitees}
    held = (theirs or {}).get("settings") or {}
    narrow: dict[str, Any] = {}
    for name in ("hosts", "ring_users"):
        current = (held.get(name) or {}).get("userid") or []
        staying = [u for u in current if u.lower() in kept]
        if len(staying) < len(current):
            narrow[name] = {"userid": staying}
    return narrow


# --- after the read-back ------------------------------------------------------------------------


@dataclass
class Verdict:
    # Leaves WeCom does not hold as intended: {leaf: what it holds}.
    missing: dict
    # The state to record as confirmed: what WeCom holds, with what get_info leaves out
    # standing at what was sent.
    confirmed: dict

    @property
    def held(self) -> bool:
        return not self.missing


def verify(intended: dict[str, Any], theirs: dict[str, Any]) -> Verdict:
    """Check each intended leaf against a fresh read. A leaf get_info does not report cannot
    be contradicted, and is taken as held."""
    want, have = leaves(intended), leaves(theirs)
    missing = {
        key: have[key] for key, value in want.items() if key in have and not same(value, have[key])
    }
    confirmed = {**{k: v for k, v in want.items() if k not in have}, **have}
    return Verdict(missing, rules.prune(body_from_leaves(confirmed)))
