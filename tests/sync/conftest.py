"""Worker-level fixtures: meetings imported from the sandbox, edits made the way the edit page
makes them, and a real Celery worker on the configured broker.

Every test session gets a queue of its own, so that a message left behind by an earlier run
(or by another test suite on the same Redis) is never consumed here.
"""

import copy
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from config.celery import app
from meetings import importing, payloads
from meetings.actions import meeting as meeting_actions
from meetings.models import Meeting, SyncState
from tests.fixtures.flushed import transactional

from .broker import purge

QUEUE = f"sync-tests-{uuid.uuid4().hex[:12]}"
BASE_DIR = Path(__file__).resolve().parents[2]
SETTLED = {SyncState.SYNCED, SyncState.FAILED, SyncState.CONFLICT}


def _route_to(queue):
    app.conf.task_default_queue = queue
    # The queue table, the default queue and the router are worked out once and kept; the
    # session's own queue must replace them even when an earlier test already published.
    for cached in ("queues", "default_queue", "default_exchange", "router"):
        app.amqp.__dict__.pop(cached, None)
    app.amqp.flush_routes()


@pytest.fixture(scope="session", autouse=True)
def _session_queue():
    previous = app.conf.task_default_queue
    _route_to(QUEUE)
    yield QUEUE
    purge(QUEUE)
    _route_to(previous)


@pytest.fixture(autouse=True)
def _quick_sync(settings):
    """Short waits, so that retries and the lease fit in a test's seconds."""
    settings.SYNC_BACKOFF_BASE = 0.05
    settings.SYNC_BACKOFF_MAX = 0.4
    settings.SYNC_SETTLE_SECONDS = 0.3
    settings.SYNC_MAX_TRIES = 8
    settings.WECOM_CONNECT_TIMEOUT = 2
    settings.WECOM_READ_TIMEOUT = 2


@pytest.fixture(autouse=True)
def _fresh_shared_cache(request):
    # The database cache outlives a test too: no token and no pause from an earlier test.
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("transactional_db")
        cache.clear()


# The session's worker once a test has started it.
_running = None


@pytest.fixture(scope="session")
def _session_worker(django_db_setup, django_db_blocker, _session_queue):
    """A Celery worker in this process (four threads) on the session's queue, started once:
    its threads open their own connections to the test database."""
    global _running
    with start_worker(
        app,
        pool="threads",
        concurrency=4,
        perform_ping_check=False,
        queues=[QUEUE],
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as running:
        _running = running
        yield running
    _running = None


@pytest.fixture
def worker(_session_worker, transactional_db, sandbox):
    yield _session_worker


@pytest.fixture(autouse=True)
def _idle_before_flush(request):
    """Once started, the session's worker takes every run queued, by any later test, whether
    it asked for the worker or not. A test's data is flushed only when the runs under way are
    done: one writing while its tables are being emptied deadlocks the flush."""
    if not transactional(request):
        yield
        return
    yield
    if _running is not None:
        wait_for(_no_active_tasks, timeout=15, message="the worker to go idle")


def _no_active_tasks():
    from celery.worker import state

    return not state.active_requests


def import_new(sandbox, **fields):
    """A meeting created in the sandbox and imported, as an administrator would find it."""
    meetingid = sandbox.create_meeting(**fields)
    meeting, _ = importing.import_by_id(meetingid)
    return meeting


def edit(meeting, **changes):
    """Save an edit through the edit page's action: the current desired state with `changes`
    (settings and reminders merged key by key). Returns the saved meeting."""
    meeting = Meeting.objects.get(pk=meeting.pk)
    body = payloads.desired_body(meeting)
    for key, value in changes.items():
        if key in ("settings", "reminders"):
            body[key] = {**body.get(key, {}), **copy.deepcopy(value)}
        else:
            body[key] = value
    return meeting_actions.edit_meeting(
        meeting, body, actor=None, loaded_version=meeting.version
    ).meeting


def in_site_language(message):
    """A message as the worker stores it: in the site's language (a worker has no request)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def wait_for(predicate, timeout=20.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def wait_settled(*meetings, timeout=20.0):
    """Wait until every meeting's sync is over (synced, failed or conflict) with its latest
    version; return them fresh from the database."""
    pks = [m.pk for m in meetings]

    def settled():
        rows = list(Meeting.objects.filter(pk__in=pks))
        done = all(
            row.sync_state in SETTLED
            and (row.sync_state != SyncState.SYNCED or row.synced_version == row.version)
            for row in rows
        )
        return rows if done else None

    try:
        rows = wait_for(settled, timeout=timeout, message="the meetings to settle")
    except AssertionError:
        states = Meeting.objects.filter(pk__in=pks).values_list(
            "pk", "sync_state", "version", "synced_version", "sync_error", "lease_owner"
        )
        raise AssertionError(f"not settled: {list(states)}") from None
    by_pk = {row.pk: row for row in rows}
    return [by_pk[pk] for pk in pks]


def sandbox_view(sandbox, meetingid):
    """The sandbox's meeting in the project's update-body shape, for comparisons."""
    info = sandbox.call("meeting/get_info", {"meetingid": meetingid})
    assert info["errcode"] == 0, info
    return payloads.body_from_info(info)


class WorkerProcess:
    """`celery worker` as its own process, on the test database and the sandbox, so that a
    test can kill it outright."""

    def __init__(self, sandbox, extra_env=None, pool="threads", concurrency=2):
        self.sandbox = sandbox
        self.extra_env = extra_env or {}
        self.pool = pool
        self.concurrency = concurrency
        self.process = None
        self.log = None

    def env(self):
        env = dict(os.environ)
        database = connection.settings_dict
        if connection.vendor == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
        else:
            env["DATABASE_URL"] = (
                f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or ''}"
                f":{database['PORT'] or 5432}/{database['NAME']}"
            )
        env.update(
            WECOM_API_BASE=self.sandbox.url,
            WECOM_CORP_ID=self.sandbox.corp_id,
            WECOM_SECRET=self.sandbox.secret,
            WECOM_AGENT_ID=str(self.sandbox.agent_id),
            CELERY_TASK_DEFAULT_QUEUE=QUEUE,
            SYNC_SETTLE_SECONDS="0",
            SYNC_BACKOFF_BASE="1",
            SYNC_BACKOFF_MAX="2",
            LOG_LEVEL="INFO",
        )
        env.update(self.extra_env)
        return env

    def start(self, log_path):
        env = self.env()
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "config",
                "worker",
                f"--pool={self.pool}",
                f"--concurrency={self.concurrency}",
                "-Q",
                env["CELERY_TASK_DEFAULT_QUEUE"],
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """SIGKILL the whole process group: no clean-up, no message handed back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.log is not None:
            self.log.close()
