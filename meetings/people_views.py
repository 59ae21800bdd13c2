"""The people search behind the pickers of the edit page: an HTML partial of matches."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import people, rules

# The userid lists a match may be added to, as the edit form names them.
PICKER_FIELDS = frozenset(
    ("admin_userid", "invitees", "settings-hosts", "settings-ring_users", "person")
)
AMONG_INVITEES = frozenset(("settings-hosts", "settings-ring_users"))


class PeopleSearchForm(forms.Form):
    # A CharField, so that what cannot be searched for (a NUL) is said, not queried.
    q = forms.CharField(required=False)
    target = forms.ChoiceField(choices=[(name, name) for name in sorted(PICKER_FIELDS)])


@permission_required("meetings.view_meeting", raise_exception=True)
@require_GET
def people_search(request: HttpRequest) -> HttpResponse:
    form = PeopleSearchForm({"q": request.GET.get("q", ""), "target": request.GET.get("for", "")})
    valid = form.is_valid()
    query = form.cleaned_data.get("q", "")
    target = form.cleaned_data.get("target", "")
    if not valid:
        matches = []
    elif target in AMONG_INVITEES:
        # Hosts and the people to ring must be invited: the invitees come first, and a new
        # meeting's organiser, whom the rules count as invited (rules.invited_userids).
        # Only what can be a userid is looked up (a NUL cannot reach a query).
        listed = people.split_userids(request.GET.get("invitees"))
        listed.append(request.GET.get("admin_userid", ""))
        invitees, _repeats = rules.dedupe_userids(u for u in listed if rules.is_userid(u))
        matches = people.search_invited_first(query, invitees)
    else:
        matches = people.search(query)
    # A userid the directory does not know can still be added, as typed.
    listed = {m.userid.lower() for m in matches}
    addable = query if valid and rules.is_userid(query) and query.lower() not in listed else ""
    context = {
        "matches": matches,
        "query": query,
        "target": target,
        "addable": addable,
        "errors": form["q"].errors,
    }
    return render(request, "meetings/_people_results.html", context)
