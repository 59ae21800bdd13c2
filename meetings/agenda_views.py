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

from . import agenda
from .views import can_view

SPANS = {"week": agenda.WEEK, "day": 1}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _asked_day(text):
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        # No date, or one typed wrong: today, rather than an error page.
        return timezone.localdate()


@can_view
@require_GET
def agenda_page(request: HtmxHttpRequest) -> HttpResponse:
    span = request.GET.get("span", "week")
    if span not in SPANS:
        span = "week"
    asked = _asked_day(request.GET.get("date"))
    first = agenda.week_start(asked) if span == "week" else asked
    step = timedelta(days=SPANS[span])
    today = timezone.localdate()
    context = {
        "span": span,
        "asked": asked,
        "first": first,
        "last": first + step - timedelta(days=1),
        "days": agenda.days(first, SPANS[span]),
        "previous": first - step,
        "next": first + step,
        "today": today,
        "showing_today": first <= today < first + step,
    }
    template = "meetings/agenda.html"
    # A history restore wants the whole page back, like a first visit.
    if request.htmx and not (request.htmx.boosted or request.htmx.history_restore_request):
        template += "#agenda"
    return render(request, template, context)
