"""Why a sync stopped or waits, stored as a code with its parameters and rendered when shown,
in the language of whoever reads it (a worker has no request, so no language of its own).

`Problem(code, params, errcode)` is what the sync writes (`Meeting.sync_problem`); the
sentence is made by `presenters.problem_words`, with the words the pages use
for moments, statuses and fields. Parameters are plain JSON: unix seconds for moments,
WeCom's status numbers, leaf names.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "token_refused": _(
        "WeCom keeps refusing this server's access token. "
        "Ask an operator to check the WeCom app settings."
    ),
    "gave_up": _(
        "The change did not reach WeCom after {tries} tries ({reason}). Use Retry to send it again."
    ),
    "unexpected": _("An unexpected problem interrupted the sync. It will be tried again."),
    "started": _("The meeting started before the change reached WeCom."),
    "create_too_late": _(
        "The start passed before WeCom could create the meeting. Choose a new time."
    ),
    "created_elsewhere": _(
        "WeCom says this meeting already exists, but it is not among the organiser's "
        "meetings. Change the title or the start, or look for it in WeCom."
    ),
    "already_here": _("WeCom's copy of this meeting is already in this app."),
    "not_scheduled": _(
        "The meeting is no longer scheduled in WeCom ({status}), so it cannot be changed."
    ),
    "occurrence_gone": _(
        "The occurrence of {when} no longer exists: the series moved to {moved}. "
        "Choose the occurrence again."
    ),
    "occurrence_started": _(
        "The occurrence of {when} started before its cancellation reached WeCom."
    ),
    "rate_limited": _(
        "WeCom's call limit for this kind of change is reached. "
        "The change will be sent again shortly."
    ),
    "secret_held": _(
        "Not sent: WeCom refused the app's corp ID or secret at {refused_at}. "
        "The change will be sent after {until}."
    ),
    "not_held": _(
        "WeCom did not keep {fields} as saved. Check the meeting in WeCom, then use Retry."
    ),
    "not_held_yet": _("WeCom did not keep {fields} as saved yet. It is sent again."),
}
# Parameters that are moments (unix seconds), shown as local date and time.
MOMENTS = ("when", "moved")
# Moments of the last minutes (unix seconds), shown as the local time of day with seconds.
CLOCK_TIMES = ("refused_at", "until")


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict = field(default_factory=dict)
    errcode: int | None = None

    def stored(self):
        return {"code": self.code, "params": dict(self.params), "errcode": self.errcode}


def wecom(err):
    """WeCom's refusal (or silence): its meaning follows from the errcode alone."""
    return Problem("wecom", errcode=err.errcode)
