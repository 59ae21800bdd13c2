"""Meetings <-> WeCom JSON, and the comparisons that decide what an update sends.

Everything here speaks the update body's shape (`title`, `meeting_start` in unix seconds,
`invitees: {"userid": [...]}`, `settings: {...}`, `reminders: {...}`): the form produces it,
the rules check it, the worker sends parts of it, and `synced_state` stores WeCom's answer in it.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model

from wecom import recurrence

from . import rules
from .models import Meeting, MeetingSettings, Participant, Reminders

BASIC_FIELDS = ("title", "description", "location", "cal_id")
SETTINGS_LISTS = {"hosts": Participant.Role.HOST, "ring_users": Participant.Role.RING_USER}
# The field names are the rules' own; the lists among the settings live in Participant rows.
SETTINGS_SCALARS = tuple(name for name in rules.SETTINGS_FIELDS if name not in SETTINGS_LISTS)
REMINDERS_FIELDS = rules.REMINDERS_FIELDS
REMINDERS_FLAGS = ("is_repeat", "is_custom_repeat")
DAY_LISTS = ("repeat_day_of_week", "repeat_day_of_month", "remind_before")
# The two halves of a time change travel together, as the update page demands.
TIME_FIELDS = ("meeting_start", "meeting_duration")
# What a field holds when it holds nothing.
BLANK: tuple[object, ...] = (None, "", [])


def to_unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


# A time given is a moment; None or "" (a field left out) is none.
@overload
def from_unix(seconds: int) -> datetime: ...
@overload
def from_unix(seconds: int | str | None) -> datetime | None: ...
def from_unix(seconds: int | str | None) -> datetime | None:
    if seconds is None or seconds == "":
        return None
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def desired_body(meeting: Meeting) -> dict[str, Any]:
    """The whole desired state of a meeting as an update body, fields that do not apply left
    out (a value hidden by its controlling field never travels)."""
    body: dict[str, Any] = {field: getattr(meeting, field) for field in BASIC_FIELDS}
    body["meeting_start"] = to_unix(meeting.start)
    body["meeting_duration"] = meeting.duration
    body["invitees"] = {"userid": meeting.invitees}
    settings = meeting.settings
    body["settings"] = {name: getattr(settings, name) for name in SETTINGS_SCALARS}
    for name in SETTINGS_LISTS:
        body["settings"][name] = {"userid": getattr(meeting, name)}
    reminders = meeting.reminders
    body["reminders"] = {name: getattr(reminders, name) for name in REMINDERS_FIELDS}
    for flag in REMINDERS_FLAGS:
        body["reminders"][flag] = int(body["reminders"][flag])
    body["reminders"]["repeat_until"] = to_unix(reminders.repeat_until)
    for name in DAY_LISTS:
        # Order carries no meaning in these lists; sorted, an untouched form compares equal.
        body["reminders"][name] = sorted(body["reminders"][name])
    body["reminders"] = {k: v for k, v in body["reminders"].items() if v is not None}
    return rules.prune(body)


# get_info (https://developer.work.weixin.qq.com/document/path/98149) names one setting
# differently in its example than create and update do: the cloud-recording option comes back
# as participant_join_auto_record there, as attendee_join_auto_record in SKIT's model.
SETTINGS_ALIASES = {"participant_join_auto_record": "attendee_join_auto_record"}


def body_from_info(info: dict[str, Any]) -> dict[str, Any]:
    """Normalise a get_info answer (98149) into update-body shape.

    Only fields the page documents are read; any other is ignored. Invitees come back as
    `attendees.member[]` (each with its own join status and figures, which are not ours);
    `repeat_until` as a number or a numeric string. WeCom answers the whole settings object,
    its defaults included, and leaves out what is empty: a text field it does not answer
    (description, location, cal_id) is empty, and without `need_password` there is no
    password, so none of those reads as a change made in WeCom. A repeat end that is only the
    one WeCom fills in for a series without one (200 meetings, monthly 50: 98154) is no end
    chosen by anyone, and is left out as the app leaves it out."""
    body: dict[str, Any] = {field: info.get(field) or "" for field in BASIC_FIELDS}
    for field in TIME_FIELDS:
        if info.get(field) not in (None, ""):
            body[field] = int(info[field])
    members = (info.get("attendees") or {}).get("member") or []
    body["invitees"] = {"userid": _unique(m.get("userid") for m in members if m.get("userid"))}

    answered = info.get("settings") or {}
    settings: dict[str, Any] = {}
    for name, value in answered.items():
        name = SETTINGS_ALIASES.get(name, name)
        if name in SETTINGS_SCALARS:
            settings[name] = value
        elif name in SETTINGS_LISTS:
            settings[name] = {"userid": _unique((value or {}).get("userid") or [])}
    if answered.get("need_password") is False:
        settings["password"] = ""
    body["settings"] = settings

    reminders: dict[str, Any] = {}
    for name, value in (info.get("reminders") or {}).items():
        if name not in REMINDERS_FIELDS or value in (None, ""):
            continue
        if name in DAY_LISTS:
            reminders[name] = sorted(int(v) for v in value)
        else:
            reminders[name] = int(value)
    _drop_filled_in_end(reminders, body.get("meeting_start"), body.get("meeting_duration"))
    body["reminders"] = reminders
    return body


def _drop_filled_in_end(reminders: dict[str, Any], start: int | None, duration: int | None) -> None:
    """Leave out the end WeCom fills in for a series that was given none: a count of the
    most meetings a series may hold, or the date of the last of them."""
    if not reminders.get("is_repeat") or start is None or duration is None:
        return
    repeat_type = reminders.get("repeat_type", recurrence.REPEAT_DAILY)
    if reminders.get("repeat_until_type", recurrence.UNTIL_DATE) == recurrence.UNTIL_COUNT:
        if reminders.get("repeat_until_count") == recurrence.occurrence_cap(repeat_type):
            del reminders["repeat_until_count"]
        return
    if "repeat_until" not in reminders:
        return
    # An end at or past the cap's last meeting is clamped to it (98154), which is what no end
    # gives too; whether WeCom answers that meeting's start or a later moment of its day is
    # not documented, so any moment from that start on counts.
    open_ended = {k: v for k, v in reminders.items() if k != "repeat_until"}
    series = recurrence.occurrences(
        from_unix(start), duration, open_ended, tz=recurrence.WECOM_ZONE
    )
    if reminders["repeat_until"] >= int(series.last.timestamp()):
        del reminders["repeat_until"]


def apply_body(meeting: Meeting, body: dict[str, Any]) -> None:
    """Write an update body into the meeting's columns and lists. Only the keys present are
    touched, so a partial body changes only what it carries. The caller saves `meeting`; the
    settings, reminders and lists are saved here because they live in their own rows."""
    for field in BASIC_FIELDS:
        if field in body:
            setattr(meeting, field, body[field] or "")
    if "meeting_start" in body:
        meeting.start = from_unix(body["meeting_start"])
    if "meeting_duration" in body:
        meeting.duration = int(body["meeting_duration"])
    lists: dict[Participant.Role, list[str]] = {}
    if "invitees" in body:
        lists[Participant.Role.INVITEE] = body["invitees"].get("userid") or []

    settings = _one_to_one(meeting, "settings", MeetingSettings)
    if "settings" in body:
        # The settings object always travels whole, so a list it leaves out (ring_users when
        # remind_scope is not 4) no longer applies and is emptied rather than kept unseen.
        for name, role in SETTINGS_LISTS.items():
            lists[role] = (body["settings"].get(name) or {}).get("userid") or []
    for name, value in (body.get("settings") or {}).items():
        if name in SETTINGS_SCALARS and value is not None:
            setattr(settings, name, value)

    reminders = _one_to_one(meeting, "reminders", Reminders)
    for name, value in (body.get("reminders") or {}).items():
        if name == "repeat_until":
            value = from_unix(value)
        elif name in REMINDERS_FLAGS:
            value = bool(value)
        setattr(reminders, name, value)

    meeting.save()
    settings.meeting = meeting
    settings.save()
    reminders.meeting = meeting
    reminders.save()
    for role, userids in lists.items():
        _replace_participants(meeting, role, userids)
    if lists:
        # The prefetched lists are stale now; the next read fetches them again.
        meeting._prefetched_objects_cache = {}  # type: ignore[attr-defined]  # Django's own


def diff(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The part of `new` that differs from `base`, as an update would send it: the start and
    the duration together, and `settings` or `reminders` whole when any field of theirs
    differs, because the page does not say whether a partial object resets what it omits."""
    changed: dict[str, Any] = {}
    for key, value in new.items():
        if not same(base.get(key), value):
            changed[key] = value
    if any(field in changed for field in TIME_FIELDS):
        for field in TIME_FIELDS:
            if field in new:
                changed[field] = new[field]
    return changed


def changes(
    old: dict[str, Any], new: dict[str, Any], admin_userid: str | None = None
) -> list[tuple[str, Any, Any]]:
    """Each changed leaf as (path, old value, new value), for the changes panel and the audit
    record: `settings.password`, `invitees`, `reminders.repeat_type`… A leaf is changed when
    WeCom would hold something else (see `same`); with `admin_userid`, both sides are first
    taken as WeCom holds them (`as_wecom_holds`), so leaving the organiser out changes
    nothing."""
    if admin_userid:
        seen_old, seen_new = as_wecom_holds(old, admin_userid), as_wecom_holds(new, admin_userid)
    else:
        seen_old, seen_new = old, new
    rows: list[tuple[str, Any, Any]] = []
    for key in _ordered_keys(old, new):
        before, after = old.get(key), new.get(key)
        if same(seen_old.get(key), seen_new.get(key)):
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before or {}, after or {}
            if set(before) | set(after) <= {"userid"}:
                rows.append((key, before.get("userid", []), after.get("userid", [])))
                continue
            seen_before = seen_old.get(key) or {}
            seen_after = seen_new.get(key) or {}
            for sub in _ordered_keys(before, after):
                if same(seen_before.get(sub), seen_after.get(sub)):
                    continue
                a, b = before.get(sub), after.get(sub)
                if isinstance(a, dict) or isinstance(b, dict):
                    a, b = (a or {}).get("userid", []), (b or {}).get("userid", [])
                if a in BLANK and b in BLANK:
                    # A field that begins to apply empty (ring_users when remind_scope
                    # becomes 4, the host key WeCom is to choose): nothing to show.
                    continue
                rows.append((f"{key}.{sub}", a, b))
        elif not (before in BLANK and after in BLANK):
            rows.append((key, before, after))
    return rows


# --- one notion of "the same" -----------------------------------------------------------------


def comparable(value: object) -> object:
    """A value as WeCom tells values apart: userids without order or case (its contact book
    ignores case and the lists have no meaningful order), the day and reminder lists as
    sets, objects key by key."""
    if isinstance(value, dict) and set(value) <= {"userid"}:
        return ("userid", tuple(sorted({str(u).lower() for u in value.get("userid") or []})))
    if isinstance(value, list):
        return tuple(sorted(value, key=repr))
    if isinstance(value, dict):
        return tuple(sorted((k, comparable(v)) for k, v in value.items()))
    return value


def same(a: object, b: object) -> bool:
    """Whether WeCom would hold the same thing for `a` and `b`. The form's changes, the
    version an edit bumps and the sync's merge all ask this, so they agree on "changed"."""
    return comparable(a) == comparable(b)


def as_wecom_holds(body: dict[str, Any], admin_userid: str | None) -> dict[str, Any]:
    """`body` as WeCom keeps it for a meeting organised by `admin_userid`: the organiser is
    always among the invitees (update page 98154: the admin takes part whether listed or not)
    and never among the hosts ("若包含admin_userid会自动过滤")."""
    if not body or not admin_userid:
        return body
    held = dict(body)
    admin = admin_userid.lower()
    if "invitees" in held:
        userids = list((held["invitees"] or {}).get("userid") or [])
        if admin not in {u.lower() for u in userids}:
            userids = [admin_userid, *userids]
        held["invitees"] = {"userid": userids}
    group = held.get("settings")
    if isinstance(group, dict) and isinstance(group.get("hosts"), dict):
        hosts = [u for u in group["hosts"].get("userid") or [] if u.lower() != admin]
        held["settings"] = {**group, "hosts": {"userid": hosts}}
    return held


def _ordered_keys(a: Iterable[str], b: Iterable[str]) -> list[str]:
    return list(a) + [k for k in b if k not in a]


def _unique(userids: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for userid in userids:
        seen.setdefault(userid, None)
    return list(seen)


M = TypeVar("M", bound=Model)


def _one_to_one(meeting: Meeting, name: str, model: type[M]) -> M:
    try:
        return getattr(meeting, name)
    except ObjectDoesNotExist:
        return model(meeting=meeting)


def _replace_participants(meeting: Meeting, role: str, userids: Iterable[str]) -> None:
    meeting.participants.filter(role=role).delete()
    Participant.objects.bulk_create(
        Participant(meeting=meeting, role=role, userid=userid, position=index)
        for index, userid in enumerate(_unique(userids))
    )
