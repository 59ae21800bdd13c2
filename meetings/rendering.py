"""A form renderer that writes the few widgets the meeting pages use in Python.

The edit page is redrawn while the administrator types, and Django renders every widget,
option and label through a template of its own (an input is three nested templates): most
of a redraw's time went there. These functions write the same HTML as Django's templates
under `django/forms/` (`widgets/input.html`, `attrs.html`, `label.html`…), escaped the same
way; any other template still goes through the template engine.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _attrs(attrs):
    # attrs.html: a True value is written bare, a False one not at all.
    if not attrs:
        return ""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget):
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _input_option(widget):
    tag = _input(widget)
    if not widget.get("wrap_label"):
        return tag
    target = widget["attrs"].get("id")
    target = f' for="{conditional_escape(target)}"' if target else ""
    return f"<label{target}>{tag} {conditional_escape(widget['label'])}</label>"


def _textarea(widget):
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    name = conditional_escape(widget["name"])
    return f'<textarea name="{name}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _option(widget):
    return (
        f'<option value="{conditional_escape(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{conditional_escape(widget['label'])}</option>"
    )


def _select(widget):
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{conditional_escape(group_name)}">')
        parts.extend(_option(option) for option in options)
        if group_name:
            parts.append("</optgroup>")
    parts.append("</select>")
    return "".join(parts)


def _label(context):
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return label
    tag = context["tag"]
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _widget(write):
    return lambda context: write(context["widget"])


WIDGETS = "django/forms/widgets/"
WRITERS = {
    **{
        f"{WIDGETS}{name}.html": _widget(_input)
        for name in (
            "input",
            "text",
            "number",
            "email",
            "url",
            "password",
            "hidden",
            "checkbox",
            "date",
            "datetime",
            "time",
            "search",
        )
    },
    f"{WIDGETS}checkbox_option.html": _widget(_input_option),
    f"{WIDGETS}radio_option.html": _widget(_input_option),
    f"{WIDGETS}input_option.html": _widget(_input_option),
    f"{WIDGETS}textarea.html": _widget(_textarea),
    f"{WIDGETS}select.html": _widget(_select),
    f"{WIDGETS}select_option.html": _widget(_option),
    "django/forms/label.html": _label,
}


class PythonWidgets(DjangoTemplates):
    """Django's template renderer, with the widgets above written in Python."""

    def render(self, template_name, context, request=None):
        write = WRITERS.get(template_name)
        if write is None:
            return super().render(template_name, context, request=request)
        # Safe: each writer escapes every value it writes, as the templates do.
        return mark_safe(write(context))  # noqa: S308


# One instance for every form: its template engine is built once.
RENDERER = PythonWidgets()
