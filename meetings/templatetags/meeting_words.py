"""Template tags for a meeting's values in the administrator's words: thin wrappers of
meetings.presenters, where the words are made."""

from django import template

from meetings import presenters

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
def problem_words(stored):
    return presenters.problem_words(stored)


@register.filter
def occurrence_status(value):
    return presenters.occurrence_status(value)
