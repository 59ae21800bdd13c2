"""How values read for people on the pages.

People: administrators think in names, WeCom in userids. Every page that shows a person shows
the directory's name with the userid quietly beside it, and a userid the directory has no name
for as it is, marked. The names of a whole page are read in one query (`person_labels`), so a
page's query count does not grow with its rows.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import Person


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


def person_labels(userids):
    """{userid: PersonLabel} for every userid given, in one query. WeCom's userids ignore
    letter case, so a userid typed in another case still finds its name."""
    userids = [u for u in dict.fromkeys(userids) if isinstance(u, str) and u]
    if not userids:
        return {}
    names = {}
    for userid, name in Person.objects.filter(userid__in=_case_variants(userids)).values_list(
        "userid", "name"
    ):
        if name:
            names[userid.lower()] = name
    return {u: PersonLabel(u, names.get(u.lower(), "")) for u in userids}


def _case_variants(userids):
    # An index-friendly IN (…) rather than a case-insensitive scan of the directory.
    return {v for u in userids for v in (u, u.lower())}


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
