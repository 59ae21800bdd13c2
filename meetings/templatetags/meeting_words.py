"""Template tags for a meeting's values in the administrator's words (meetings.presenters),
and the words for what can no longer be changed."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meetings import presenters
from meetings.models import Status

register = template.Library()

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


def being_cancelled(meeting):
    return meeting.cancel_requested and meeting.status == Status.SCHEDULED


def readonly_reason(meeting):
    if being_cancelled(meeting):
        return CANCELLING_REASON
    return READONLY_REASONS.get(meeting.status, READONLY_REASONS[Status.IN_PROGRESS])


@register.filter
def status_words(meeting):
    """The meeting's status, saying so when a cancellation decided here is on its way."""
    if being_cancelled(meeting):
        return _("Being cancelled")
    return meeting.get_status_display()


@register.filter
def duration_words(seconds):
    return presenters.duration_words(seconds)


@register.filter
def local_datetime(moment):
    return presenters.local_datetime(moment)


@register.filter
def problem_words(stored):
    return presenters.problem_words(stored)


@register.filter
def occurrence_status(value):
    """The status of one occurrence on the agenda, in words."""
    return Status.label_of(value)
