"""Template tags for a meeting's values in the administrator's words: thin wrappers of
meetings.presenters, where the words are made."""

from django import template

from meetings import presenters, sections

register = template.Library()


@register.filter
def status_words(meeting):
    return presenters.status_words(meeting)


@register.filter
def duration_words(seconds):
    return presenters.duration_words(seconds)


@register.filter
def local_datetime(moment):
    return presenters.local_datetime(moment)


@register.filter
def answer_words(attempt):
    return presenters.answer_words(attempt.errcode, attempt.errmsg, attempt.outcome)


@register.filter
def problem_words(stored):
    return presenters.problem_words(stored)


@register.filter
def occurrence_status(value):
    return presenters.occurrence_status(value)


@register.simple_tag(takes_context=True)
def field_row(context, row):
    """One row of the edit page (sections.row_html), its messages shown once the page shows
    messages or the administrator has left the field."""
    return sections.row_html(
        row,
        show_errors=context.get("show_errors", False),
        touched=context.get("touched", ()),
        oob=context.get("field_oob", False),
    )
