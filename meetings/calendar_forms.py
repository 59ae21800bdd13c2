"""The calendar form: one calendar of this app as the administrator types it.

The form parses text into the calendar body WeCom takes (`oa/calendar/add` and `update`) and
checks WeCom's rules first, so that a calendar WeCom would refuse is never sent.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from . import rules
from .forms import USERID_SEPARATORS, MultilineField

SUMMARY_MAX = 128
DESCRIPTION_MAX = 512
ADMINS_MAX = 3
COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
VIEW, FREE_BUSY = 1, 3
PERMISSIONS = (VIEW, FREE_BUSY)
# The fields WeCom's update overwrites and this app keeps; what the audit compares.
FIELDS = ("summary", "color", "description", "admins", "shares")


class CalendarForm(forms.Form):
    summary = forms.CharField(label=_("Name"), max_length=SUMMARY_MAX)
    color = forms.CharField(
        label=_("Colour"), initial="#0055FF",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    description = MultilineField(
        label=_("Description"), required=False, max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    admins = forms.CharField(
        label=_("Administrators"), required=False,
        help_text=_("Up to 3 WeCom userids, separated by commas or spaces."),
    )
    shares = MultilineField(
        label=_("Shared with"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One member per line: the userid, then 1 to let them see the events or 3 to let "
            "them see only when the calendar is busy. Without a number, 1."
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def for_calendar(cls, calendar, data=None):
        """The form of a saved calendar, its lists written back as the administrator types."""
        initial = {
            "summary": calendar.summary,
            "color": calendar.color,
            "description": calendar.description,
            "admins": ", ".join(calendar.admins),
            "shares": "\n".join(
                f"{share['userid']} {share.get('permission', VIEW)}" for share in calendar.shares
            ),
        }
        return cls(data, initial=initial)

    def clean_summary(self):
        summary = self.cleaned_data["summary"]
        if not summary.strip():
            raise forms.ValidationError(_("Enter a name."))
        return summary

    def clean_color(self):
        color = self.cleaned_data["color"].strip()
        if not COLOR.fullmatch(color):
            raise forms.ValidationError(
                _("Enter a colour as # and six hexadecimal digits, such as #0055FF.")
            )
        return color.upper()

    def clean_admins(self):
        admins = [u for u in USERID_SEPARATORS.split(self.cleaned_data["admins"]) if u]
        admins, _repeats = rules.dedupe_userids(admins)
        wrong = [userid for userid in admins if not rules.is_userid(userid)]
        if wrong:
            raise forms.ValidationError(
                _("Not a WeCom userid: %(userids)s.") % {"userids": ", ".join(wrong)}
            )
        if len(admins) > ADMINS_MAX:
            raise forms.ValidationError(
                _("A calendar can have at most %(max)d administrators; there are %(count)d.")
                % {"max": ADMINS_MAX, "count": len(admins)}
            )
        return admins

    def clean_shares(self):
        shares, seen, problems = [], set(), []
        for number, line in enumerate(self.cleaned_data["shares"].splitlines(), start=1):
            words = line.split()
            if not words:
                continue
            userid, rest = words[0], words[1:]
            if not rules.is_userid(userid):
                problems.append(_("Line %(line)d: %(userid)s is not a WeCom userid.")
                                % {"line": number, "userid": userid})
                continue
            if len(rest) > 1 or (rest and rest[0] not in ("1", "3")):
                problems.append(_("Line %(line)d: the permission must be 1 or 3.")
                                % {"line": number})
                continue
            # WeCom keeps one share per member; a repeat would only confuse what it stores.
            if userid.lower() in seen:
                continue
            seen.add(userid.lower())
            shares.append({"userid": userid, "permission": int(rest[0]) if rest else VIEW})
        if problems:
            raise forms.ValidationError(problems)
        return shares

    @property
    def calendar(self):
        """The whole calendar in WeCom's shape: update overwrites every field, so every field
        is always there."""
        return {name: self.cleaned_data[name] for name in FIELDS}
