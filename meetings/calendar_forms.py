"""The calendar form: one calendar of this app as the administrator types it.

The form parses text into the calendar body WeCom takes (`oa/calendar/add` and `update`) and
checks WeCom's rules first, so that a calendar WeCom would refuse is never sent.
"""

import re
from typing import cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from . import rules
from .actions.calendar import FIELDS, PERMISSIONS, VIEW, fingerprint, normalised
from .forms import MultilineField, read_people

SUMMARY_MAX = 128
DESCRIPTION_MAX = 512
ADMINS_MAX = 3
COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def as_typed(name, value):
    """A kept field's value written as the form shows it, to put WeCom's beside the input."""
    if name == "admins":
        return ", ".join(value)
    if name == "shares":
        return "\n".join(f"{share['userid']} {share.get('permission', VIEW)}" for share in value)
    return value


class CalendarForm(forms.Form):
    summary = forms.CharField(label=_("Name"), max_length=SUMMARY_MAX)
    color = forms.CharField(
        label=_("Colour"),
        initial="#0055FF",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    description = MultilineField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    admins = forms.CharField(
        label=_("Administrators"),
        required=False,
        help_text=_(
            "Up to 3 members: userids, or names from the directory, separated by commas or spaces."
        ),
    )
    shares = MultilineField(
        label=_("Shared with"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One member per line: the userid, then 1 to let them see the events or 3 to let "
            "them see only when the calendar is busy. Without a number, 1."
        ),
    )
    # The fingerprint of the calendar as stored when the edit form was loaded; a new calendar
    # has nothing stored, so its form goes without.
    loaded = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if "loaded" not in self.initial:
            del self.fields["loaded"]
        # Each field's value in WeCom, as typed, where it differs from what was typed here.
        self.in_wecom = {}

    @classmethod
    def for_calendar(cls, calendar, data=None):
        """The form of a saved calendar, its lists written back as the administrator types."""
        initial = {name: as_typed(name, getattr(calendar, name)) for name in FIELDS}
        initial["loaded"] = fingerprint(calendar)
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
        admins = read_people(self.cleaned_data["admins"])
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
                problems.append(
                    _("Line %(line)d: %(userid)s is not a WeCom userid.")
                    % {"line": number, "userid": userid}
                )
                continue
            if len(rest) > 1 or (rest and rest[0] not in [str(p) for p in PERMISSIONS]):
                problems.append(
                    _("Line %(line)d: the permission must be 1 or 3.") % {"line": number}
                )
                continue
            # WeCom keeps one share per member; a repeat would only confuse what it stores.
            if userid.lower() in seen:
                continue
            seen.add(userid.lower())
            shares.append({"userid": userid, "permission": int(rest[0]) if rest else VIEW})
        if problems:
            raise forms.ValidationError(problems)
        return shares

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        admins, shares = cleaned.get("admins"), cleaned.get("shares")
        if admins and shares is not None:
            # oa/calendar/add (https://developer.work.weixin.qq.com/document/path/93647): a
            # calendar's administrators are chosen among the members it is shared with.
            shared = {share["userid"].lower() for share in shares}
            outside = [userid for userid in admins if userid.lower() not in shared]
            if outside:
                self.add_error(
                    "admins",
                    _("Share the calendar with every administrator first: %(userids)s.")
                    % {"userids": ", ".join(outside)},
                )
        return cleaned

    @property
    def rows(self):
        """Each visible field with WeCom's value of it, or None where there is nothing to show
        beside it."""
        return [(field, self.in_wecom.get(field.name)) for field in self.visible_fields()]

    @property
    def loaded_fingerprint(self):
        return self.cleaned_data.get("loaded", "")

    def changed_in_wecom(self, current):
        """WeCom changed the calendar after this form was loaded, and `current` (WeCom's
        calendar, now stored here) is what it holds: put its values beside each field where
        they differ from what was typed, and carry its fingerprint, so that saving again is a
        deliberate choice to overwrite them."""
        theirs = normalised(current)
        for name in FIELDS:
            if theirs[name] != self.calendar[name]:
                self.in_wecom[name] = as_typed(name, theirs[name])
        # What was typed stays as it is; only the loaded marker moves on to WeCom's state.
        data = cast(QueryDict, self.data).copy()
        data[self.add_prefix("loaded")] = fingerprint(current)
        self.data = data
        self.add_error(
            None,
            _(
                "This calendar was changed in WeCom after you opened this page, so nothing was "
                "saved. WeCom's values are now stored here and shown beside the fields where "
                "they differ from yours; save again to replace them with what the form shows."
            ),
        )

    @property
    def calendar(self):
        """The whole calendar in WeCom's shape: update overwrites every field, so every field
        is always there."""
        return {name: self.cleaned_data[name] for name in FIELDS}
