"""The agenda page: a week (or a day) of occurrences, today's by default.

Server-rendered; moving between weeks is a plain link that htmx turns into a swap of the
agenda alone (with the address updated), so the page works the same without JavaScript.
"""

from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from . import agenda, bounds
from .views import can_view

SPANS = {"week": agenda.WEEK, "day": 1}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _asked_day(text, span):
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        # No date, or one typed wrong: today, rather than an error page.
        return timezone.localdate()
    # So is a day whose week (or day) cannot be shown.
    return day if _can_show(span, day) else timezone.localdate()


def _first(span, day):
    return agenda.week_start(day) if span == "week" else day


def _can_show(span, day):
    """Whether the agenda can show the span that holds `day`: its first day, and the day
    after its last (where its query stops), begin at moments the database can compare
    (meetings.bounds). Not so for the calendar's first day east of Greenwich (it begins in
    year 0 in UTC), nor for its last (the day after it has no date), nor for their weeks."""
    if day is None:
        return False
    first = _first(span, day)
    return bounds.has_start(first) and bounds.has_start(bounds.shifted(first, SPANS[span]))


@can_view
@require_GET
def agenda_page(request: HtmxHttpRequest) -> HttpResponse:
    span = request.GET.get("span", "week")
    if span not in SPANS:
        span = "week"
    asked = _asked_day(request.GET.get("date"), span)
    first = _first(span, asked)
    step = timedelta(days=SPANS[span])
    today = timezone.localdate()
    # No link to a span that cannot be shown: it would only lead back to today.
    previous, following = bounds.shifted(first, -SPANS[span]), first + step
    context = {
        "span": span,
        "asked": asked,
        "first": first,
        "last": first + step - timedelta(days=1),
        "days": agenda.days(first, SPANS[span]),
        "previous": previous if _can_show(span, previous) else None,
        "next": following if _can_show(span, following) else None,
        "today": today,
        "showing_today": first <= today < first + step,
    }
    template = "meetings/agenda.html"
    # A history restore wants the whole page back, like a first visit.
    if request.htmx and not (request.htmx.boosted or request.htmx.history_restore_request):
        template += "#agenda"
    return render(request, template, context)
