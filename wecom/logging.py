"""Keep WeCom credentials out of log records.

The access_token and the corp secret travel in query strings, and urllib3 logs every request
line it sends at DEBUG, so turning on DEBUG logging anywhere would otherwise write them out.
"""

import logging
import re

# The query parameters that carry a credential; the value ends where a URL or a quoted
# repr of one would end.
_CREDENTIAL = re.compile(r"\b(access_token|corpsecret)=[^&\s'\"#)]*", re.IGNORECASE)

# urllib3 logs through several module loggers, and a filter on a logger only sees records
# created on that very logger, not those propagated from its children.
GUARDED_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests",
    "wecom",
    "wecom.client",
    "wecom.tokens",
    # The sandbox's HTTP server logs each request line it receives, query string included.
    "wecom.sandbox",
)


def mask(text):
    """Replace the value of every credential query parameter in text with ***."""
    return _CREDENTIAL.sub(r"\1=***", text)


class MaskCredentials(logging.Filter):
    """Rewrite a record's message (and its traceback text) with credentials masked."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format are dropped rather than shown raw: they
            # may be the very URL this filter exists to hide.
            message = str(record.msg)
        # Rendered now because the credential often sits in the arguments, not the format.
        record.msg = mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


_filter = MaskCredentials()


def install():
    """Attach the masking filter to every logger that can see a WeCom URL; idempotent."""
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
