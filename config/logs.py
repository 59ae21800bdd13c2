"""Log lines that a request cannot forge, and refusals that take one line.

Values from a request (a query string, a header, a userid typed in a form) end up in log
messages. A line break among them would start a new, genuine-looking line ("... ERROR
meetings.audit ..."), and an escape sequence could rewrite a terminal. So the formatter writes
every control character of a record's message (its arguments included, since the message is
rendered from them) as a visible escape, and indents the lines of a traceback, so that no line
but a record's first begins at the margin.
"""

import logging
import re

# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text):
    """text with each control character written as \\n, \\r, \\t, \\xNN or \\uNNNN."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group()) or _code(m.group()), text)


def _code(char):
    point = ord(char)
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def indent(text):
    return "\n".join("    " + line for line in text.splitlines())


class OneLineFormatter(logging.Formatter):
    """A record's message on one line; its traceback, if any, indented below it."""

    def formatMessage(self, record):
        record.message = escape(record.message)
        return super().formatMessage(record)

    def formatException(self, ei):
        return indent(super().formatException(ei))

    def formatStack(self, stack_info):
        return indent(super().formatStack(stack_info))


class OneLineRefusals(logging.Filter):
    """A 403 is an answer, not a failure of the server: Django logs it with the
    PermissionDenied's traceback, fifteen lines that bury real errors. One line is kept."""

    def filter(self, record):
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
