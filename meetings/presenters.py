"""A meeting's values in the administrator's words: labels, choices by name, times in
TIME_ZONE, weekdays by name, secrets as "set" or "not set"; and the audit record's values the
same way.

The paths are those of the update body ("title", "settings.password", "reminders.repeat_type"),
so the detail page, the edit form, the changes panel and the audit record all say the same
thing the same way. The template tags of meetings.templatetags.meeting_words wrap these.

People: administrators think in names, WeCom in userids. Every page that shows a person shows
the directory's name with the userid quietly beside it, and a userid the directory has no name
for as it is, marked. The names of a whole page are read in one query (`person_labels`), so a
page's query count does not grow with its rows.
"""

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from meetings import audit, fields, people, problems, rules
from meetings.fields import FIELDS, SECRETS, USERID_LISTS
from meetings.models import Meeting, MeetingSettings, Reminders, Status, SyncAttempt
from wecom.errors import WeComError
from wecom.recurrence import REPEAT_DAILY, REPEAT_MONTHLY, REPEAT_WEEKLY, UNTIL_COUNT

NOTHING = "—"


def label(path):
    """The name of a field of the update body, as a heading: its declaration's
    (meetings.fields), or for another column of the meeting, the column's."""
    if path in FIELDS:
        return capfirst(FIELDS[path].label)
    group, _dot, name = path.rpartition(".")
    model = {"settings": MeetingSettings, "reminders": Reminders}.get(group, Meeting)
    return capfirst(cast(Field, model._meta.get_field(name)).verbose_name)


# Why WeCom refuses changes, by status: meeting/update only takes scheduled meetings.
READONLY_REASONS = {
    Status.IN_PROGRESS: gettext_lazy(
        "This meeting has started, so WeCom no longer accepts changes to it."
    ),
    Status.ENDED: gettext_lazy("This meeting has ended, so WeCom no longer accepts changes to it."),
    Status.CANCELLED: gettext_lazy(
        "This meeting was cancelled, so WeCom no longer accepts changes to it."
    ),
    Status.EXPIRED: gettext_lazy(
        "This meeting has expired, so WeCom no longer accepts changes to it."
    ),
}


CANCELLING_REASON = gettext_lazy(
    "This meeting is being cancelled in WeCom, so it can no longer be changed."
)


# Decided here but not yet done in WeCom, where the meeting is still scheduled.
def being_cancelled(meeting):
    return meeting.cancel_requested and meeting.status == Status.SCHEDULED


def readonly_reason(meeting):
    if being_cancelled(meeting):
        return CANCELLING_REASON
    return READONLY_REASONS.get(meeting.status, READONLY_REASONS[Status.IN_PROGRESS])


def status_words(meeting):
    """The meeting's status, saying so when a cancellation decided here is on its way."""
    if being_cancelled(meeting):
        return _("Being cancelled")
    return meeting.get_status_display()


def occurrence_status(value):
    """The status of one occurrence on the agenda, in words."""
    return Status.label_of(value)


def local_moment(unix):
    return timezone.localtime(datetime.fromtimestamp(int(unix), UTC))


def weekday_name(isoweekday):
    return str(WEEKDAYS[isoweekday - 1])


def yes_no(value):
    return _("Yes") if value else _("No")


def duration_words(seconds):
    """A duration as hours and minutes: "1 h 30 min"."""
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


def local_datetime(moment):
    """An aware datetime, or unix seconds, as a local date and time with its weekday."""
    if moment in (None, ""):
        return NOTHING
    if isinstance(moment, int):
        moment = local_moment(moment)
    return date_format(timezone.localtime(moment), "Y-m-d H:i (l)")


def local_span(start, end):
    """From start to end (datetimes or unix seconds) in local time, the end's date said
    only when it is another day: "2025-06-02 10:00 (Monday) – 11:00"."""
    start, end = (
        local_moment(m) if isinstance(m, int) else timezone.localtime(m) for m in (start, end)
    )
    until = date_format(end, "H:i") if end.date() == start.date() else local_datetime(end)
    return _("%(start)s – %(end)s") % {"start": local_datetime(start), "end": until}


def describe(path, value, calendars=None):
    """One value of the update body in words, as its declaration's kind says it. Secrets
    say only whether they are set."""
    declared = FIELDS.get(path)
    kind = declared.kind if declared is not None else ""
    if path in SECRETS:
        return _("set") if value else _("not set")
    if kind == "yes_no" or isinstance(value, bool):
        return yes_no(value)
    if value is None or value == "" or value == []:
        return NOTHING
    if kind == "userids":
        return listing(value)
    if kind == "choice" and declared is not None:
        named = declared.choice_label(value)
        return str(value) if named is None else str(named)
    if kind == "days" and declared is not None:
        return listing(declared.choice_label(item) or item for item in value)
    if kind == "moment":
        return local_datetime(value)
    if kind == "minutes":
        return duration_words(value)
    if kind == "date":
        return date_format(local_moment(value), "Y-m-d") if value else _("no end date")
    if kind == "calendar" and calendars:
        return calendars.get(value, value)
    return str(value)


def listing(items):
    """Items joined as the language joins a list: "a, b" in English, "a、b" in Chinese."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def repeat_summary(reminders):
    """How a meeting repeats, in one sentence: "Every 2 weeks on Monday, Wednesday, until
    2025-06-30"."""
    if reminders.get("is_repeat") != 1:
        return _("Does not repeat")
    repeat_type = reminders.get("repeat_type", REPEAT_DAILY)
    if reminders.get("is_custom_repeat") == 1:
        every = reminders.get("repeat_interval") or 1
        # An interval of one reads as its own phrase ("every week", 每周), not as a count
        # ("every 1 week", 每1周): two messages rather than one plural form.
        values = {"count": every}
        if repeat_type == REPEAT_WEEKLY:
            values["days"] = describe(
                "reminders.repeat_day_of_week", reminders.get("repeat_day_of_week")
            )
            how = (
                _("Every week on %(days)s")
                if every == 1
                else _("Every %(count)d weeks on %(days)s")
            ) % values
        elif repeat_type == REPEAT_MONTHLY:
            values["days"] = describe(
                "reminders.repeat_day_of_month", reminders.get("repeat_day_of_month")
            )
            how = (
                _("Every month, on these days: %(days)s")
                if every == 1
                else _("Every %(count)d months, on these days: %(days)s")
            ) % values
        else:
            how = (_("Every day") if every == 1 else _("Every %(count)d days")) % values
    else:
        how = describe("reminders.repeat_type", repeat_type)
    if reminders.get("repeat_until_type") == UNTIL_COUNT:
        count = reminders.get("repeat_until_count") or 0
        end = ngettext("%(count)d meeting in all", "%(count)d meetings in all", count) % {
            "count": count
        }
    elif reminders.get("repeat_until"):
        end = _("until %(date)s") % {
            "date": describe("reminders.repeat_until", reminders["repeat_until"])
        }
    else:
        end = _("with no end date")
    return _("%(repeat)s, %(end)s") % {"repeat": how, "end": end}


# The detail page's sections: the edit page's, its recurrence said in one sentence.
DETAIL_PATHS = {
    section: tuple(f.path for f in declared if not f.creating_only)
    for section, declared in fields.SECTION_FIELDS.items()
    if section != "recurrence"
}
_ABSENT = object()


def value_at(body, path):
    """The value at a body path, a userid object read as its list; _ABSENT when the body
    leaves it out (a field that does not apply)."""
    group, _dot, name = path.rpartition(".")
    holder = body.get(group) if group else body
    if not isinstance(holder, dict) or name not in holder:
        return _ABSENT
    value = holder[name]
    return value.get("userid", []) if isinstance(value, dict) else value


def describe_sections(body, calendars=None, people=None):
    """The meeting's fields that apply, in words, as (legend, [(label, text)]) by section.
    `people`, when given, says a list of userids (as names, say) in place of `describe`."""
    sections = []
    for key, paths in DETAIL_PATHS.items():
        rows = []
        for path in paths:
            value = value_at(body, path)
            if value is _ABSENT:
                continue
            if people is not None and path in USERID_LISTS:
                rows.append((label(path), people(value)))
            else:
                rows.append((label(path), describe(path, value, calendars)))
        sections.append((fields.SECTIONS[key], rows))
    reminders = body.get("reminders") or {}
    rows = [(label("reminders.repeat_type"), repeat_summary(reminders))]
    if "remind_before" in reminders:
        path = "reminders.remind_before"
        rows.append((label(path), describe(path, reminders["remind_before"])))
    sections.append((fields.SECTIONS["recurrence"], rows))
    return sections


def described(meeting, body, calendars):
    """(organiser, sections) of a meeting as its page shows it: the organiser's label and
    `describe_sections` of `body`, everyone named looked up in the directory in one query."""
    labels = person_labels([meeting.admin_userid, *(p.userid for p in meeting.participants.all())])
    sections = describe_sections(
        body, calendars, people=lambda ids: people_html(label_people(ids, labels))
    )
    return labels.get(meeting.admin_userid, meeting.admin_userid), sections


# --- the audit record: each change as the edit page shows it, the raw value beside it --------
# (Separate from the meeting pages' helpers above: these read the record's own field names,
# which also cover accounts, calendars and the worker's settlements.)

AUDIT_LABELS = {
    "status": gettext_lazy("Status"),
    "occurrence": gettext_lazy("Occurrence"),
    "admin_userid": gettext_lazy("Organiser"),
    "group": gettext_lazy("Role group"),
    "member": gettext_lazy("Member"),
    "permission": gettext_lazy("Permission"),
    "name": gettext_lazy("Name"),
    "password": gettext_lazy("Password"),
    "is_active": gettext_lazy("Active"),
    "is_staff": gettext_lazy("Staff (may enter the admin)"),
    "is_superuser": gettext_lazy("Superuser"),
    "summary": gettext_lazy("Calendar title"),
    "color": gettext_lazy("Calendar colour"),
    "admins": gettext_lazy("Calendar administrators"),
    "shares": gettext_lazy("Shared with"),
    # A person's account (meetings.models.Account): where the app's WeCom messages reach them.
    "wecom_userid": gettext_lazy("WeCom userid"),
}
AUDIT_USERIDS = frozenset((*USERID_LISTS, "admin_userid", "admins", "shares"))
PERMISSION_VERBS = {
    "view": gettext_lazy("view %(things)s"),
    "add": gettext_lazy("add %(things)s"),
    "change": gettext_lazy("change %(things)s"),
    "delete": gettext_lazy("delete %(things)s"),
}
# Details the record writes in its own (English) words, with their translation; a detail not
# listed (WeCom's errmsg, an old event) is shown as written.
# Translated with pgettext("audit detail", …) when shown.
DETAILS = (
    "new",
    "refreshed from WeCom",
    "changed in WeCom, taken in by the sync",
    "whole meeting",
    "occurrence %(sub_meetingid)s",
    audit.USER,
    audit.USER_CREATED,
    audit.USER_DELETED,
    audit.GROUP,
    audit.GROUP_CREATED,
    audit.GROUP_DELETED,
    audit.HELD,
    audit.CONFLICTED,
    audit.STILL_CONFLICTED,
    audit.KEPT_THEIRS,
    audit.HELD_REST,
    audit.CANCELLED_FIRST,
    "calendar %(cal_id)s (%(summary)s): added",
    "calendar %(cal_id)s (%(summary)s): updated",
    "calendar %(cal_id)s (%(summary)s): deleted",
    "calendar %(cal_id)s (%(summary)s): refreshed from WeCom",
    "calendar %(cal_id)s (%(summary)s): not saved: %(error)s",
    "calendar %(cal_id)s (%(summary)s): not known whether WeCom took it: %(error)s",
    "saved by someone else since version %(loaded)s was loaded (now %(now)s)",
    # A retry's detail: how the sync had stopped.
    "failed: %(error)s",
    "conflict: %(error)s",
    "failed",
    "conflict",
    audit.LEFT_OUT,
)


def _detail_pattern(template):
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


# The longest wording first: "user %(user)s created" before "user %(user)s".
_DETAIL_PATTERNS = [
    (_detail_pattern(template), template)
    for template in sorted(DETAILS, key=lambda t: -len(re.sub(r"%\(\w+\)s", "", t)))
]


def detail_words(detail):
    """An event's detail in the reader's language."""
    for pattern, template in _DETAIL_PATTERNS:
        found = pattern.match(detail or "")
        if found:
            values = found.groupdict()
            if "fields" in values:
                paths = values["fields"].split(audit.FIELDS_SEPARATOR)
                values["fields"] = listing(audit_label(path) for path in paths)
            if "reasons" in values:
                words = _reasons_words(audit.left_out_reasons(detail))
                if words is None:
                    return detail
                values["reasons"] = words
            return pgettext("audit detail", template) % values
    return detail or NOTHING


# Reasons said about no field of their own: the meeting's, its settings' or reminders' as such.
_WHOLE = ("", rules.NON_FIELD, "settings", "reminders")


def reason_words(field, message, values, names=None):
    """Why a batch leaves a meeting out, in the reader's language, from its code: the field's
    path (or ""), the message as written in the source (its msgid) and the message's values.
    A person is said by name when `names` (person_labels) has theirs; a message about a
    field is said with the field, as the edit page says a problem about a field it does not
    show."""
    values = dict(values)
    userid = values.get("userid")
    if names and isinstance(userid, str) and userid in names:
        values["userid"] = names[userid]
    text = _(message) if message else ""  # gettext("") is the catalogue's header
    text = text % values if values else text
    if field in _WHOLE:
        return text
    return _("%(field)s: %(message)s") % {"field": label(field), "message": text}


def _reasons_words(reasons, names=None):
    """LEFT_OUT reasons (audit.left_out_reasons) in the reader's language; None when there
    are none or they cannot be said (a message whose values no longer fit it)."""
    if not reasons:
        return None
    try:
        return "; ".join(reason_words(f, m, v, names) for f, m, v in reasons)
    except (KeyError, TypeError, ValueError, FieldDoesNotExist):
        return None


def left_out_words(detail, names=None):
    """Why a batch left a meeting out, in the reader's language and as its preview said it;
    an older event's detail, written in the language of the day, as written."""
    words = _reasons_words(audit.left_out_reasons(detail), names)
    return detail_words(detail) if words is None else words


def left_out_userids(detail):
    """The userids a LEFT_OUT detail names, so that a page reads their names at once."""
    reasons = audit.left_out_reasons(detail) or ()
    return [values["userid"] for _f, _m, values in reasons if isinstance(values.get("userid"), str)]


def zoned(moment):
    """A moment (aware datetime or unix seconds) in local time with its weekday and the zone's
    name: "2026-12-01 10:28:05 (Tuesday) Asia/Shanghai"."""
    if moment in (None, ""):
        return NOTHING
    if isinstance(moment, int | float | str):
        moment = local_moment(int(moment))
    local = timezone.localtime(moment)
    return f"{date_format(local, 'Y-m-d H:i:s (l)')} {timezone.get_current_timezone_name()}"


def audit_label(field):
    """The name of a field an event changed."""
    if field in AUDIT_LABELS:
        return capfirst(AUDIT_LABELS[field])
    try:
        return str(label(field))
    except (LookupError, ValueError, AttributeError, FieldDoesNotExist):
        return field


class NameBook:
    """People's names from the directory, "张三 (zhangsan)", looked up once per userid."""

    def __init__(self):
        self._labels = {}

    def load(self, userids):
        wanted = [u for u in userids if isinstance(u, str) and u and u not in self._labels]
        self._labels.update(person_labels(wanted))

    def __call__(self, userid):
        self.load([userid])
        return str(self._labels.get(userid) or PersonLabel(userid))


def _userids(value):
    items = value if isinstance(value, list) else [value]
    return [item.get("userid", "") if isinstance(item, dict) else str(item) for item in items]


def permission_words(codename):
    """ "meetings.view_auditevent" as "view audit events"."""
    from django.apps import apps

    app_label, _dot, code = str(codename).partition(".")
    verb, _sep, model_name = code.partition("_")
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        model = None
    if model is not None and verb in PERMISSION_VERBS:
        return str(PERMISSION_VERBS[verb]) % {"things": model._meta.verbose_name_plural}
    if codename == "meetings.edit_meeting":
        return _("edit meetings and settle their sync")
    return str(codename)


def audit_value(field, value, names=None, secret=False):
    """One old or new value of an event's change, as the edit page would show it."""
    names = names or NameBook()
    if secret:
        return _("set") if value else _("not set")
    if value is None or value == "" or value == []:
        return NOTHING
    if field in AUDIT_USERIDS:
        return listing(names(userid) for userid in _userids(value))
    if field == "status":
        try:
            return str(Status(int(value)).label)
        except (TypeError, ValueError):
            return str(value)
    if field == "occurrence":
        if str(value).isdigit():
            return zoned(int(value))
        return pgettext("occurrence", "cancelled") if value == "cancelled" else str(value)
    if field == "meeting_start":
        return zoned(value)
    if field == "permission":
        return permission_words(value)
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    try:
        return str(describe(field, value))
    except (TypeError, ValueError, AttributeError):
        return str(value)


def raw_value(value):
    """A value as WeCom (or the record) holds it."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, list | dict | bool):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_lines(changes, names=None):
    """The rows of an event's changes as (label, old, new, raw old, raw new, field)."""
    names = names or NameBook()
    names.load(
        userid
        for row in changes or []
        if row.get("field") in AUDIT_USERIDS
        for side in ("old", "new")
        if row.get(side)
        for userid in _userids(row[side])
    )
    lines = []
    for row in changes or []:
        field, secret = row.get("field", ""), bool(row.get("secret"))
        old = audit_value(field, row.get("old"), names, secret)
        new = audit_value(field, row.get("new"), names, secret)
        if row.get("choice") == "mine":
            # A conflict settled by keeping the value here: it stays, and WeCom is to get it.
            new = _("kept, to be sent to WeCom")
        elif secret and row.get("old") and row.get("new"):
            # Set on both sides, and yet a change: another value, which is not shown.
            new = _("changed")
        lines.append(
            (
                audit_label(field),
                old,
                new,
                raw_value(row.get("old")),
                raw_value(row.get("new")),
                field,
            )
        )
    return lines


def errcode_words(errcode):
    """What a WeCom errcode means, in the reader's language; with none, that WeCom was not
    reached."""
    return str(WeComError("", errcode).message)


def answer_words(errcode, errmsg, outcome=None):
    """What WeCom answered a call, in the reader's language: what its errcode means (WeCom's
    own errmsg is English, and sometimes terse). WeCom's words as they came stay for a
    tooltip and the audit record. A call held back here (the call limits, a refusal of the
    secret being held) got no answer at all: it was not sent, and its errmsg says why."""
    if errcode == 0:
        return errmsg or NOTHING
    if errcode is None and outcome == SyncAttempt.Outcome.NOTHING:
        return _("Not sent: this server held the call back.")
    return errcode_words(errcode)


def problem_words(stored):
    """A stored sync problem (meetings.problems) as a sentence in the active language; ""
    for none."""
    if not stored:
        return ""
    code, params = stored.get("code"), dict(stored.get("params") or {})
    if code == "wecom":
        # WeCom's refusal (or silence) means what its errcode means.
        return errcode_words(stored.get("errcode"))
    template = problems.MESSAGES.get(code)
    if template is None:
        return ""
    for name in problems.MOMENTS:
        if name in params:
            params[name] = local_datetime(int(params[name]))
    for name in problems.CLOCK_TIMES:
        if name in params:
            params[name] = date_format(local_moment(params[name]), "H:i:s")
    if code == "not_scheduled":
        params["status"] = Status.label_of(params.get("status"))
    if code in ("not_held", "not_held_yet"):
        params["fields"] = listing(str(label(leaf)) for leaf in params.get("fields") or [])
    return str(template).format(**params)


# --- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonLabel:
    """A userid with the name the directory gives it ("" when it gives none)."""

    userid: str
    name: str = ""

    @property
    def known(self):
        return bool(self.name)

    def __str__(self):
        # Plain text, for messages: "李四 (lisi)", or the bare userid.
        if self.name:
            return _("%(name)s (%(userid)s)") % {"name": self.name, "userid": self.userid}
        return self.userid

    def __html__(self):
        return person_html(self)


def person_labels(userids, directory=None):
    """{userid: PersonLabel} for every userid given, in one query (none for those
    `directory`, a people.Directory, has read already). WeCom's userids ignore letter case,
    so a userid typed in another case still finds its name."""
    names = (directory or people.Directory()).names(userids)
    return {userid: PersonLabel(userid, name) for userid, name in names.items()}


def label_people(userids, labels):
    """The PersonLabels of a list of userids, from `person_labels`' answer."""
    return [labels.get(u) or PersonLabel(u) for u in userids]


def person_html(label):
    """<name> (userid), or the userid marked as not in the directory."""
    if label.name:
        return format_html(
            '<span class="person"><span class="person-name">{}</span> '
            '<span class="person-userid">({})</span></span>',
            label.name,
            label.userid,
        )
    return format_html(
        '<span class="person unknown" title="{}"><span class="person-userid">{}</span>'
        '<span class="flag not-in-directory" aria-hidden="true">?</span></span>',
        _("not in the directory"),
        label.userid,
    )


def people_html(labels):
    """Several people, joined as the language joins a list; "—" for nobody."""
    labels = list(labels)
    if not labels:
        return "—"
    separator = pgettext("list separator", ", ")
    return format_html_join(separator, "{}", ((person_html(label),) for label in labels))


def people_chips(html_name, entries):
    """The list of people beside a field of userids (people.Entry each), as chips a person
    can take out again. Written here rather than in a template: a list has hundreds of them,
    and the edit page draws it again with each change of its fieldset."""
    # The values are plain text: the standard library's escape is Django's escape without
    # its wrapping, and the translations are looked up once for the whole list.
    escape = html.escape
    name = escape(html_name)
    invalid = f'<span class="flag invalid">{escape(_("not a valid userid"))}</span>'
    unknown = f'<span class="flag not-in-directory">{escape(_("not in the directory"))}</span>'
    several = f'<span class="flag invalid">{escape(_("several people have this name"))}</span>'
    # Escaped before the name goes in, which escapes the same: each name is escaped once.
    remove = escape(_("Remove %(who)s"))
    chips = []
    for entry in entries:
        userid = escape(entry.userid)
        if entry.name:
            shown = escape(entry.name)
            who = (
                f'<span class="person-name">{shown}</span> '
                f'<span class="person-userid">({userid})</span>'
            )
        else:
            shown = userid
            who = f'<span class="person-userid">{userid}</span>'
        if entry.department:
            who += f' · <span class="person-department">{escape(entry.department)}</span>'
        if entry.ambiguous:
            flag = several
        else:
            flag = invalid if not entry.well_formed else "" if entry.known else unknown
        chips.append(
            f'<li class="person chip{"" if entry.known else " unknown"}" data-userid="{userid}">'
            f"{who}\n    {flag}\n"
            f'    <button type="button" class="chip-remove js-only" data-for="{name}" '
            f'data-userid="{userid}" '
            # The name too: a person may have been typed by name (forms.UseridsField).
            + (f'data-name="{shown}" ' if entry.name else "")
            + f'aria-label="{remove % {"who": shown}}">✕</button>'
            "\n  </li>"
        )
    label = escape(_("People in this list"))
    # Safe: every value above is escaped.
    return mark_safe(  # noqa: S308
        f'<ul class="people-list" id="people-{name}" aria-label="{label}">\n  '
        + "\n  ".join(chips)
        + "\n</ul>"
    )
