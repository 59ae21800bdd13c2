"""What went wrong when talking to WeCom, classified by what the caller should do about it.

- TransientError: try again later (back off; `retry_after` when WeCom says how long).
- TokenError: the access_token was refused. The client already refreshed and re-sent once,
  so when one of these reaches a caller, WeCom refused a fresh token too.
- ConfigurationError: the corp id, secret, app rights or trusted IPs are wrong, or this
  client is broken. Every call will fail the same way until an operator acts.
- PermanentError: WeCom rejected this request. Sending it again cannot help; a person must
  change what is sent. `field` names the WeCom field at fault when the errcode tells.

`message` is the reason in the administrator's words, translated; `str(err)` is for logs and
operators, and carries WeCom's own errmsg.
"""

import math
import time
from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from wecom.logging import mask


class WeComError(Exception):
    kind = "error"

    def __init__(
        self,
        path,
        errcode=None,
        errmsg="",
        *,
        description="",
        retry_after=None,
        maybe_applied=False,
    ):
        self.path = path
        self.errcode = errcode
        # WeCom's errmsg echoes parts of the request in some answers; mask it to be sure.
        self.errmsg = mask(errmsg or "")
        self.description = mask(description or self.errmsg)
        self.retry_after = retry_after
        # True when the request may have reached WeCom and been applied although no answer
        # came back (a read timeout, a dropped connection): a create must not be re-sent
        # blindly then.
        self.maybe_applied = maybe_applied
        super().__init__(str(self))

    def __str__(self):
        if self.errcode is None:
            return f"{self.path}: {self.description}"
        return f"{self.path}: errcode {self.errcode}: {self.description}"

    def __reduce__(self):
        # Celery pickles exceptions; the default would call __init__ with str(self) alone.
        return (type(self), (self.path, self.errcode, self.errmsg), self.__dict__)

    @property
    def field(self):
        meaning = ERRCODES.get(self.errcode)
        return meaning.field if meaning else None

    @property
    def message(self) -> str | Promise:
        if self.errcode is None:
            return UNREACHABLE
        meaning = ERRCODES.get(self.errcode)
        if meaning:
            return meaning.message
        return format_lazy(_("WeCom refused the change (error {errcode})."), errcode=self.errcode)


class TransientError(WeComError):
    kind = "transient"


class TokenError(WeComError):
    kind = "token"


class ConfigurationError(WeComError):
    kind = "configuration"


class PermanentError(WeComError):
    kind = "permanent"


class Meaning(NamedTuple):
    error_class: type[WeComError]
    field: str | None
    message: Promise


UNREACHABLE = _("WeCom could not be reached. The change will be sent again shortly.")

# The errcodes of https://developer.work.weixin.qq.com/document/path/90313 that the meeting
# and calendar calls answer with, as docs/wecom.md ("Errcodes") classifies them. A code not
# listed here is permanent: retrying what WeCom does not explain would only hammer it.
ERRCODES = {
    -1: Meaning(TransientError, None, _("WeCom is busy. The change will be sent again shortly.")),
    6000: Meaning(
        TransientError,
        None,
        _(
            "The meeting was being changed elsewhere at the same time. "
            "The change will be sent again shortly."
        ),
    ),
    45009: Meaning(
        TransientError,
        None,
        _("WeCom's call limit was reached. The change will be sent again in a minute."),
    ),
    45033: Meaning(
        TransientError,
        None,
        _("Too many calls to WeCom at once. The change will be sent again shortly."),
    ),
    40014: Meaning(
        TokenError,
        None,
        _(
            "WeCom did not accept this server's access token. "
            "The change will be sent again shortly."
        ),
    ),
    42001: Meaning(
        TokenError,
        None,
        _("This server's WeCom access token expired. The change will be sent again shortly."),
    ),
    40001: Meaning(
        ConfigurationError,
        None,
        _("The WeCom app secret in this server's configuration is wrong. Ask an operator."),
    ),
    40013: Meaning(
        ConfigurationError,
        None,
        _("The WeCom corp ID in this server's configuration is wrong. Ask an operator."),
    ),
    40091: Meaning(
        ConfigurationError,
        None,
        _("The WeCom app secret in this server's configuration is not valid. Ask an operator."),
    ),
    # No access_token at all means this client built a broken request: no retry can fix it
    # and it is nothing an administrator did, so it stops everything and goes to an operator.
    41001: Meaning(
        ConfigurationError,
        None,
        _("This server sent WeCom a request without credentials. Ask an operator."),
    ),
    48002: Meaning(
        ConfigurationError,
        None,
        _("The WeCom app is not allowed to use this function. Ask an operator to grant it."),
    ),
    60020: Meaning(
        ConfigurationError,
        None,
        _("This server's IP address is not among the WeCom app's trusted IPs. Ask an operator."),
    ),
    40003: Meaning(PermanentError, "invitees", _("A member is not a valid WeCom user.")),
    60111: Meaning(PermanentError, "invitees", _("A member does not exist in WeCom.")),
    60011: Meaning(
        PermanentError,
        "invitees",
        _("A member is outside the members this app may see."),
    ),
    400021: Meaning(
        PermanentError,
        "invitees",
        _("A member is outside the members this app may see."),
    ),
    400020: Meaning(
        PermanentError,
        "invitees",
        _("There are too many invitees for this meeting."),
    ),
    # 90313: a body that is not JSON, a value too long or a required one left empty.
    40058: Meaning(
        PermanentError,
        None,
        _("WeCom rejected a value as invalid, too long, or missing."),
    ),
    47001: Meaning(PermanentError, None, _("WeCom could not read the request.")),
    400025: Meaning(
        PermanentError,
        "settings.remind_scope",
        _("The ring reminder choice is not valid."),
    ),
    400026: Meaning(
        PermanentError,
        "reminders.repeat_type",
        _("The repeat type is not valid."),
    ),
    400227: Meaning(
        PermanentError,
        "reminders.repeat_type",
        _("A custom repeat can only be daily, weekly or monthly."),
    ),
    400027: Meaning(PermanentError, "settings.hosts", _("A meeting can have at most 10 hosts.")),
    400029: Meaning(PermanentError, "settings.hosts", _("Every host must be an invitee.")),
    400030: Meaning(
        PermanentError,
        "settings.password",
        # Said as WeCom's refusal: the rules here let only 4 to 6 digits through already,
        # so the rule alone would contradict what the administrator typed.
        _("WeCom refused the meeting password. Choose another of 4 to 6 digits."),
    ),
    400031: Meaning(PermanentError, "settings", _("A meeting setting is not valid.")),
    400032: Meaning(
        PermanentError,
        "reminders.repeat_until",
        _("The end of the repetition is not valid."),
    ),
    400033: Meaning(
        PermanentError,
        "reminders.repeat_interval",
        _("The repeat interval is not valid."),
    ),
    400034: Meaning(PermanentError, "meeting_start", _("The start time is not valid.")),
    400222: Meaning(
        PermanentError,
        "meeting_start",
        _("The start time must be in the future."),
    ),
    400223: Meaning(
        PermanentError,
        "meeting_start",
        _("The start or end time is not valid."),
    ),
    400035: Meaning(
        PermanentError,
        "meeting_duration",
        _("The duration must be at least 5 minutes and less than 24 hours."),
    ),
    400036: Meaning(
        PermanentError,
        "cal_id",
        _("This app may not put meetings into that calendar."),
    ),
    400037: Meaning(
        PermanentError,
        "settings.ring_users",
        _("Every member who rings must be an invitee."),
    ),
    400042: Meaning(PermanentError, "title", _("The title must be 1 to 255 characters.")),
    400041: Meaning(PermanentError, None, _("The meeting has been cancelled.")),
    400045: Meaning(
        PermanentError,
        None,
        _("A quick meeting cannot be changed or cancelled."),
    ),
    400221: Meaning(
        PermanentError,
        None,
        _("The meeting has started or ended and can no longer be changed."),
    ),
    400224: Meaning(
        PermanentError,
        None,
        _("The meeting has started or ended and can no longer be cancelled."),
    ),
    400226: Meaning(
        PermanentError,
        None,
        _("This option needs the paid WeCom meeting add-on."),
    ),
    # Old request schemas (attendees, creator_userid): a bug in what this server sent.
    400043: Meaning(PermanentError, None, _("WeCom rejected the request's format.")),
    400044: Meaning(PermanentError, None, _("WeCom rejected the request's format.")),
    # A create that WeCom is still processing or already has: re-sending would duplicate
    # the meeting, so a person (or the sync, by looking the meeting up) must decide.
    400301: Meaning(
        PermanentError,
        None,
        _("The same meeting is being created in WeCom right now."),
    ),
    400302: Meaning(PermanentError, None, _("The same meeting already exists in WeCom.")),
    730005: Meaning(
        PermanentError,
        None,
        _("This meeting belongs to another app and cannot be changed here."),
    ),
    730010: Meaning(
        PermanentError,
        None,
        _("This meeting was not created through this app and cannot be changed here."),
    ),
    730011: Meaning(PermanentError, "meetingid", _("WeCom does not know this meeting.")),
    90602: Meaning(PermanentError, "meetingid", _("WeCom does not know this meeting.")),
    730008: Meaning(PermanentError, None, _("The meeting has been deleted in WeCom.")),
    # The meeting pages' own codes (98148 create, 98149 get_info, 98153 cancel, 98154
    # update), listed on 90313 and summed up in docs/wecom.md.
    400040: Meaning(
        PermanentError,
        "admin_userid",
        _("The organiser is missing or cannot hold meetings in WeCom."),
    ),
    400228: Meaning(
        PermanentError,
        "reminders.repeat_until_count",
        _("A series can hold 1 to 200 meetings, or 1 to 50 when it repeats monthly."),
    ),
    400237: Meaning(
        PermanentError,
        "location",
        _("The location is too long: at most 18 Chinese characters or 36 letters."),
    ),
    730003: Meaning(
        PermanentError,
        "sub_meetingid",
        _("WeCom does not know this occurrence of the meeting."),
    ),
    730004: Meaning(
        PermanentError,
        "meeting_code",
        _("No meeting in WeCom has this meeting number."),
    ),
    # message/send (90236): none of the recipients exists or is within the app's visibility.
    81013: Meaning(
        PermanentError,
        "touser",
        _("No recipient of the message is a WeCom member this app can reach."),
    ),
    # The calendar pages (93647 add, 97716 update, 97718 del), codes from 90313.
    90457: Meaning(PermanentError, "cal_id", _("WeCom does not know this calendar.")),
    90459: Meaning(PermanentError, "cal_id", _("The calendar has been deleted in WeCom.")),
    90466: Meaning(
        PermanentError,
        "cal_id",
        _("This calendar belongs to another app and cannot be changed here."),
    ),
    90473: Meaning(
        PermanentError,
        "color",
        _("Enter a colour as # and six hexadecimal digits, such as #0055FF."),
    ),
}

# 45033 is about concurrency, not a window: a short pause is enough.
CONCURRENCY_PAUSE = 2


def error_for(path, errcode, errmsg):
    """The typed error for a WeCom answer whose errcode is not 0."""
    meaning = ERRCODES.get(errcode)
    error_class = meaning.error_class if meaning else PermanentError
    retry_after = None
    if errcode == 45009:
        # WeCom blocks for the rest of the window that was broken; the per-minute window is
        # the one a burst can break.
        retry_after = max(1, math.ceil(60 - time.time() % 60))
    elif errcode == 45033:
        retry_after = CONCURRENCY_PAUSE
    return error_class(path, errcode, errmsg, retry_after=retry_after)


def transport_error(path, description, *, maybe_applied=False):
    """The error for a call that got no usable WeCom answer (timeout, connection, HTTP)."""
    return TransientError(path, description=description, maybe_applied=maybe_applied)
