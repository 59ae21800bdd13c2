"""Everything the sandbox knows, behind one lock, optionally kept in a JSON file.

The HTTP server takes `Sandbox.lock` around every call, so the rules in `meetings` and
`calendars` read and write plain dicts without locking of their own.
"""

import json
import os
import secrets
import threading
import time
from pathlib import Path

from wecom.callbacks import is_encoding_aes_key

from .directory import demo_directory
from .errors import Reject

# The callback Token and EncodingAESKey, also config/settings.py's defaults (public too).
DEFAULT_CALLBACK_TOKEN = "sandbox-callback-token"
DEFAULT_CALLBACK_AES_KEY = "d2Vjb20tc2FuZGJveC1jYWxsYmFjay1hZXMta2V5ISE"

DEFAULT_CONFIG = {
    # The invitee cap of meeting/create and meeting/update: 100 for an ordinary corp, the
    # purchased capacity up to 300 for a paying one.
    "invitee_cap": 100,
    "token_lifetime": 7200,
    # Seconds added to every WeCom call, to see how the app behaves on a slow link.
    "latency": 0,
    # Seconds WeCom takes to create a meeting, even on a fast link. An identical create
    # arriving meanwhile answers 400301 (98148: "会议正在创建中"), so that answer arises from
    # ordinary timing and not only from an injected delay.
    "create_seconds": 0.1,
    # Userids "without a valid meeting account": create and update report them back.
    "excess_users": [],
    # Where meeting_change events go when a meeting changes through the control API (None:
    # nowhere), signed and encrypted with this Token and EncodingAESKey.
    "callback_url": None,
    "callback_token": DEFAULT_CALLBACK_TOKEN,
    "callback_aes_key": DEFAULT_CALLBACK_AES_KEY,
    # Members without the basic interface licence: message/send names them in
    # unlicenseduser and delivers them nothing (messages.py).
    "unlicensed_users": [],
}

STATE_VERSION = 1

# Known to everyone on purpose: the sandbox guards nothing, and config/settings.py defaults to
# the same values so that a fresh checkout's app and sandbox agree.
DEFAULT_CORP_ID = "wwsandbox"
DEFAULT_SECRET = "sandbox-secret"
DEFAULT_AGENT_ID = 1000002


class Clock:
    """Real time plus an offset, so a running demo keeps ticking after the clock is moved."""

    def __init__(self):
        self.offset = 0.0

    def now(self):
        return int(time.time() + self.offset)

    def set(self, unix):
        self.offset = unix - time.time()

    def advance(self, seconds):
        self.offset += seconds


class Sandbox:
    def __init__(
        self,
        corp_id=DEFAULT_CORP_ID,
        secret=DEFAULT_SECRET,
        agent_id=DEFAULT_AGENT_ID,
        state_path=None,
    ):
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.state_path = Path(state_path) if state_path else None
        self.lock = threading.RLock()
        self.clock = Clock()
        self.reset()
        if self.state_path is not None and self.state_path.exists():
            self.load(self.state_path)

    def reset(self):
        """A fresh start: no meetings, no calendars, no tokens, the demo directory."""
        with self.lock:
            self.clock.offset = 0.0
            self.config = json.loads(json.dumps(DEFAULT_CONFIG))
            self.directory = demo_directory()
            self.meetings = {}
            self.calendars = {}
            # The cal_ids of deleted calendars: update and del answer 90459 for them, not the
            # 90457 of an id that never was (90313).
            self.deleted_calendars = []
            # access_token -> the unix time it expires; expired ones stay so that they answer
            # 42001 rather than 40014.
            self.tokens = {}
            self.current_token = None
            # Creates the server holds before applying them (meetings.hold_create): token ->
            # (admin_userid, title, meeting_start). Never saved: none outlives the process.
            self.creating = {}
            # The app messages delivered (messages.py), oldest first.
            self.messages = []

    def now(self):
        return self.clock.now()

    # --- access tokens -----------------------------------------------------------------------

    def gettoken(self, corpid, corpsecret):
        if corpid != self.corp_id:
            raise Reject("corpid_invalid")
        if corpsecret != self.secret:
            raise Reject("secret_invalid")
        now = self.now()
        expires_at = self.tokens.get(self.current_token)
        if expires_at is None or expires_at <= now:
            self.current_token = secrets.token_urlsafe(48)
            expires_at = now + self.config["token_lifetime"]
            self.tokens[self.current_token] = expires_at
        # WeCom hands out the same token until it expires. expires_in is what is left of it,
        # so a client that trusts it never holds a token longer than the sandbox honours it.
        return {"access_token": self.current_token, "expires_in": expires_at - now}

    def check_token(self, token):
        if not token:
            raise Reject("token_missing")
        expires_at = self.tokens.get(token)
        if expires_at is None:
            raise Reject("token_invalid")
        if expires_at <= self.now():
            raise Reject("token_expired")

    def forget_tokens(self):
        """WeCom may drop a token before its time; every token known so far becomes 40014."""
        self.tokens = {}
        self.current_token = None

    # --- configuration -----------------------------------------------------------------------

    def configure(self, changes):
        """Apply a POST /__sandbox__/config body, or ValueError without changing anything."""
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        config = dict(self.config)
        for key, value in changes.items():
            if key == "invitee_cap" or key == "token_lifetime":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"{key} must be a whole number of at least 1")
            elif key in ("latency", "create_seconds"):
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"{key} must be a number of seconds, 0 or more")
            elif key in ("excess_users", "unlicensed_users"):
                if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
                    raise ValueError(f"{key} must be a list of userids")
            elif key == "callback_url":
                if value is not None and (
                    not isinstance(value, str) or not value.startswith(("http://", "https://"))
                ):
                    raise ValueError("callback_url must be an http(s) URL, or null")
            elif key == "callback_token":
                if not isinstance(value, str) or not value:
                    raise ValueError("callback_token must be a non-empty string")
            elif key == "callback_aes_key":
                if not is_encoding_aes_key(value):
                    raise ValueError("callback_aes_key must be 43 characters of base64")
            else:
                raise ValueError(f"unknown setting {key!r}")
            config[key] = value
        self.config = config
        self.changed()

    # --- the state file ----------------------------------------------------------------------

    def changed(self):
        """Called after every change worth keeping; writes the state file when there is one."""
        if self.state_path is not None:
            self.save(self.state_path)

    def snapshot(self):
        return {
            "version": STATE_VERSION,
            # The clock is kept too: meetings made after moving it would otherwise jump from
            # "scheduled" to "ended" at the next start.
            "clock_offset": self.clock.offset,
            "config": self.config,
            "directory": list(self.directory.values()),
            "meetings": self.meetings,
            "calendars": self.calendars,
            "deleted_calendars": self.deleted_calendars,
            "messages": self.messages,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(
            json.dumps(self.snapshot(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        # A reader (or a crash) never sees half a file.
        os.replace(temporary, path)

    def load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            self.clock.offset = float(data["clock_offset"])
            self.config = {**DEFAULT_CONFIG, **data["config"]}
            self.directory = {person["userid"]: person for person in data["directory"]}
            self.meetings = dict(data["meetings"])
            self.calendars = dict(data["calendars"])
            # Absent from files written before calendars were remembered once deleted.
            self.deleted_calendars = list(data.get("deleted_calendars", []))
            # Absent from files written before app messages were kept.
            self.messages = list(data.get("messages", []))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Starting empty would overwrite a demo's meetings at the first change.
            raise ValueError(
                f"the sandbox state file {path} cannot be read ({exc}); "
                "fix it or delete it to start afresh"
            ) from exc
