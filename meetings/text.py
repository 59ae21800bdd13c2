"""Text that PostgreSQL can store and a log line can hold.

PostgreSQL's text type refuses the NUL character outright (SQLite keeps it), so a NUL that
reaches a query is a server error on one database and not on the other. Form fields refuse it
with Django's own validator (every CharField has it; `forms.UseridsField` runs it on each
userid); path parameters refuse it, and every other control character, here.
"""

# Any character but "/" and the C0 controls and DEL: no WeCom ID holds one.
SEGMENT = r"[^/\x00-\x1f\x7f]+"


class TextSegment:
    """A path converter like "str" that does not match control characters (a 404)."""

    regex = SEGMENT

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
