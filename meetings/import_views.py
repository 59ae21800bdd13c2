"""The import's progress page: each meeting of a background import as it stands, drawn
afresh every second by htmx (or by the page's own refresh without it) until all are settled."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from wecom.errors import WeComError

from . import import_jobs
from .views import can_edit


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _row(item):
    row = dict(item)
    if item.get("errcode") is not None and item["state"] == import_jobs.REFUSED:
        # Rendered now, in the viewer's language, from WeCom's errcode.
        row["reason"] = WeComError("meeting/get_info", item["errcode"]).message
    return row


@can_edit
@require_GET
def import_progress(request: HtmxHttpRequest, job: str) -> HttpResponse:
    items = import_jobs.progress(job)
    if items is None or import_jobs.owner(job) != request.user.pk:
        raise Http404
    context = {
        "job": job,
        "rows": [_row(item) for item in items],
        "done": all(item["state"] in import_jobs.SETTLED for item in items),
    }
    template = "meetings/import_progress.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#progress"
    return render(request, template, context)
