"""The sandbox over HTTP: WeCom's paths under /cgi-bin/, the control API under /__sandbox__/.

    server = SandboxServer(port=0).start()   # serves in a daemon thread
    server.url                               # "http://127.0.0.1:54321"
    server.sandbox                           # the state, for tests to inspect
    server.stop()

Every WeCom call is logged (see `requests`), may be slowed by the configured latency and may
meet an injected fault (faults.py) before the rules in api.py answer it. A meeting/create
also takes WeCom's own processing time (config "create_seconds", on by default). While
latency, processing or a delay holds a call that will then be applied, it counts as being
processed (api.hold): an identical meeting/create meanwhile answers 400301.
"""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from wecom.logging import mask

from . import api, control
from .errors import errmsg
from .faults import Faults
from .state import DEFAULT_AGENT_ID, DEFAULT_CORP_ID, DEFAULT_SECRET, Sandbox

WECOM_PREFIX = "/cgi-bin/"
CONTROL_PREFIX = "/__sandbox__/"
# Secrets never reach the request log, even a sandbox's.
MASKED_QUERY = ("access_token", "corpsecret")
MASK = "***"
# A demo left running for days keeps its newest calls only; sequence numbers keep counting.
REQUEST_LOG_MAX = 10_000

logger = logging.getLogger("wecom.sandbox")


class Reply:
    def __init__(self, status, body, content_type):
        self.status = status
        self.body = body
        self.content_type = content_type

    @classmethod
    def json(cls, payload, status=200):
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return cls(status, body, "application/json; charset=UTF-8")


class Drop:
    """Close the connection without an answer, after holding it `hold` seconds."""

    def __init__(self, hold):
        self.hold = hold


class _HTTPServer(ThreadingHTTPServer):
    # The standard backlog of 5 resets connections when many workers call at once, which
    # WeCom never does; the sandbox must not invent transient errors of its own.
    request_queue_size = 128
    owner: "SandboxServer"


class SandboxServer:
    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        corp_id=DEFAULT_CORP_ID,
        secret=DEFAULT_SECRET,
        agent_id=DEFAULT_AGENT_ID,
        state_path=None,
    ):
        self.sandbox = Sandbox(
            corp_id=corp_id, secret=secret, agent_id=agent_id, state_path=state_path
        )
        self.faults = Faults()
        self._log = []
        self._seq = 0
        # Set on stop, to release the connections that timeout and delay faults hold.
        self._closing = threading.Event()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self._thread = None

    @property
    def url(self):
        host, port = self._httpd.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self):
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"wecom-sandbox-{self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self):
        """Serve in this thread until interrupted (Ctrl-C raises KeyboardInterrupt here)."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._closing.set()
            self._httpd.server_close()

    def stop(self):
        self._closing.set()
        if self._thread is not None:
            # shutdown() waits for serve_forever to return, so only when it runs.
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def reset(self):
        """Everything back to a fresh start: state, faults and request log."""
        with self.sandbox.lock:
            self.sandbox.reset()
            self.sandbox.changed()
            self.faults.clear()
            self._log.clear()
            self._seq = 0

    def requests(self):
        """Every WeCom call received, oldest first. `path` has no /cgi-bin/ prefix."""
        with self.sandbox.lock:
            return json.loads(json.dumps(self._log))

    def clear_requests(self):
        with self.sandbox.lock:
            self._log.clear()
            self._seq = 0

    def pause(self, seconds):
        """Sleep, but wake at once when the server stops."""
        if seconds > 0:
            self._closing.wait(seconds)

    def handle_wecom(self, method, path, query, raw_body):
        """The Reply (or Drop) for one WeCom call, faults and latency included."""
        sandbox = self.sandbox
        with sandbox.lock:
            entry = self._record(method, path, query, raw_body)
            latency = sandbox.config["latency"]
            fault = self.faults.take(path)
            if fault is not None:
                entry["fault"] = fault.kind
            delay = fault.value if fault is not None and fault.kind == "delay" else 0
            # A call held before it is applied is being processed meanwhile (an identical
            # create answers 400301). Only calls that reach the apply below may be marked:
            # one that a fault answers or drops would never end its mark.
            release = None
            applies = fault is None or fault.kind == "delay" or fault.after
            processing = api.processing_seconds(sandbox, path) if applies else 0
            if applies and latency + delay + processing > 0:
                release = api.hold(sandbox, method, path, query, raw_body)
            if release is None:
                # Only a call that will be applied takes WeCom's processing time: one refused
                # anyway (a duplicate meanwhile, say) is answered at once.
                processing = 0
        self.pause(latency)
        self.pause(delay)
        self.pause(processing)

        if fault is not None and not fault.after:
            if fault.kind == "errcode":
                answer = {"errcode": fault.value, "errmsg": errmsg(fault.value)}
                self._note(entry, 200, fault.value)
                return Reply.json(answer)
            if fault.kind == "http_status":
                self._note(entry, fault.value, None)
                page = f"<html><body><h1>{fault.value}</h1>upstream error</body></html>"
                return Reply(fault.value, page.encode(), "text/html; charset=UTF-8")
            if fault.kind == "timeout":
                return Drop(fault.value)
            if fault.kind == "disconnect":
                return Drop(0)

        if not api.knows(path):
            self._note(entry, 404, None)
            return Reply(404, b"not found", "text/plain; charset=UTF-8")
        with sandbox.lock:
            # Ended under the lock the call itself takes, before it runs (whatever it then
            # answers): an identical create sees this one being processed or stored, never
            # neither, and the call does not find itself being processed.
            if release is not None:
                release()
            answer = api.call(sandbox, method, path, query, raw_body)
            entry["errcode"] = answer["errcode"]
            entry["applied"] = answer["errcode"] == 0
        if fault is not None and fault.after:
            # timeout or disconnect with "after": done, but the answer is lost.
            return Drop(fault.value or 0)
        self._note(entry, 200, answer["errcode"])
        return Reply.json(answer)

    def _record(self, method, path, query, raw_body):
        masked = {key: MASK if key in MASKED_QUERY else value for key, value in query.items()}
        try:
            body = json.loads(raw_body.decode("utf-8")) if raw_body else None
        except (UnicodeDecodeError, ValueError):
            body = raw_body.decode("utf-8", errors="replace")
        self._seq += 1
        entry = {
            "seq": self._seq,
            "time": self.sandbox.now(),
            "method": method,
            "path": path,
            "query": masked,
            "body": body,
            "errcode": None,
            "http_status": None,
            "fault": None,
            "applied": False,
        }
        self._log.append(entry)
        del self._log[:-REQUEST_LOG_MAX]
        return entry

    def _note(self, entry, http_status, errcode):
        with self.sandbox.lock:
            entry["http_status"] = http_status
            entry["errcode"] = errcode


class _Handler(BaseHTTPRequestHandler):
    server_version = "WeComSandbox/1.0"
    # Like WeCom's servers, answer in HTTP/1.1 and keep the connection for the next call, as
    # the client's session expects; HTTP/1.0, the default here, opens one per call. Every
    # answer says its Content-Length, so the connection can carry the next one. The headers
    # and the body go out in one write, without waiting for the client's ACK of the headers
    # (Nagle's algorithm against delayed ACKs holds a kept connection's answers ~40 ms).
    protocol_version = "HTTP/1.1"
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    def _serve(self, method):
        owner = self.server.owner
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length > 0 else b""
        try:
            if parts.path.startswith(CONTROL_PREFIX):
                path = parts.path[len(CONTROL_PREFIX) :].strip("/")
                status, payload = control.handle(owner, method, path, query, raw_body)
                outcome = Reply.json(payload, status)
            elif parts.path.startswith(WECOM_PREFIX):
                path = parts.path[len(WECOM_PREFIX) :].strip("/")
                outcome = owner.handle_wecom(method, path, query, raw_body)
            else:
                outcome = Reply(404, b"not found", "text/plain; charset=UTF-8")
        except Exception:
            # A fault of the sandbox itself must show, not pass for one of WeCom's answers.
            logger.exception("sandbox failure on %s %s", method, parts.path)
            outcome = Reply(500, b"sandbox failure, see its log", "text/plain; charset=UTF-8")

        if isinstance(outcome, Drop):
            owner.pause(outcome.hold)
            self.close_connection = True
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)

    def log_message(self, format, *args):
        # The request line carries access_token and corpsecret in its query string.
        logger.debug("%s %s", self.address_string(), mask(format % args))
