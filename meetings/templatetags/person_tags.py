"""Thin tags over `meetings.presenters`: a person, or a list of them, as the pages show them."""

from django import template

from meetings import presenters

register = template.Library()


@register.filter
def person(label):
    """A PersonLabel (or a bare userid) as "<name> (userid)", or the userid marked."""
    if isinstance(label, str):
        label = presenters.PersonLabel(label)
    return presenters.person_html(label)


@register.filter
def people(labels):
    return presenters.people_html(labels)
