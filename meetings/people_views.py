"""The people search behind the pickers of the edit page: an HTML partial of matches."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import people

# The userid lists a match may be added to, as the edit form names them.
PICKER_FIELDS = frozenset(("admin_userid", "invitees", "settings-hosts", "settings-ring_users"))


@permission_required("meetings.view_meeting", raise_exception=True)
@require_GET
def people_search(request: HttpRequest) -> HttpResponse:
    target = request.GET.get("for", "")
    query = request.GET.get("q", "").strip()
    matches = people.search(query) if target in PICKER_FIELDS else []
    context = {"matches": matches, "query": query, "target": target}
    return render(request, "meetings/_people_results.html", context)
