"""Reading request values as WeCom's parser does: the declared JSON type, or 40058.

JSON true is not a number here and 3600.0 is not a uint32: WeCom's typed parser refuses both,
and a client that sends them should learn it from the sandbox rather than from production.
"""

import unicodedata

from .directory import is_userid
from .errors import Reject

UINT32_MAX = 2**32 - 1


def uint(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT32_MAX:
        raise Reject("param_invalid", f"{name} must be an unsigned integer")
    return value


def boolean(value, name):
    if not isinstance(value, bool):
        raise Reject("param_invalid", f"{name} must be true or false")
    return value


def string(value, name):
    if not isinstance(value, str):
        raise Reject("param_invalid", f"{name} must be a string")
    return value


def obj(value, name):
    if not isinstance(value, dict):
        raise Reject("param_invalid", f"{name} must be an object")
    return value


def array(value, name):
    if not isinstance(value, list):
        raise Reject("param_invalid", f"{name} must be an array")
    return value


def uint_list(value, name):
    return [uint(item, name) for item in array(value, name)]


def unique(items):
    return list(dict.fromkeys(items))


def userid_object(value, name):
    """The userids of a {"userid": [...]} object, each once, in the order sent."""
    userids = array(obj(value, name).get("userid", []), f"{name}.userid")
    return unique(string(userid, f"{name}.userid") for userid in userids)


def check_userids(directory, userids):
    """40003 for a value that cannot be a userid, then 60111 for one nobody has."""
    for userid in userids:
        if not is_userid(userid):
            raise Reject("userid_invalid", userid)
    for userid in userids:
        if userid not in directory:
            raise Reject("userid_unknown", userid)


def display_width(text):
    """Width with a CJK (wide or full-width) character counted twice: the page's "18 Chinese
    characters or 36 letters" is one limit of 36 on this count."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
