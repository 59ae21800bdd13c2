"""A worker process killed outright in the middle of a call to WeCom."""

import uuid

import pytest
from django.utils import timezone

from meetings import tasks
from meetings.models import Meeting, SyncState

from .broker import purge
from .conftest import (
    WorkerProcess,
    _route_to,
    edit,
    import_new,
    wait_for,
    wait_settled,
)

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 3


@pytest.fixture
def own_queue(_session_queue):
    # Not the session's queue: the in-process worker of the other tests must not take the
    # messages meant for the process this test kills.
    queue = f"{_session_queue}-killed-{uuid.uuid4().hex[:6]}"
    _route_to(queue)
    yield queue
    _route_to(_session_queue)
    purge(queue)


@pytest.fixture
def worker_processes(sandbox, own_queue, tmp_path):
    started = []

    def start():
        process = WorkerProcess(
            sandbox,
            extra_env={
                "CELERY_TASK_DEFAULT_QUEUE": own_queue,
                "SYNC_LEASE_SECONDS": str(LEASE),
                "WECOM_READ_TIMEOUT": "10",
            },
        )
        started.append(process.start(tmp_path / f"worker-{len(started)}.log"))
        return process

    yield start
    for process in started:
        process.stop()


def test_it_ends_in_sync_after_a_worker_is_killed_during_a_call(
    sandbox, worker_processes, transactional_db
):
    meeting = import_new(sandbox)
    # WeCom takes its time over the first update: long enough to kill the worker meanwhile.
    sandbox.fault(path="meeting/update", kind="delay", value=2, times=1)
    first = worker_processes()

    meeting = edit(meeting, title="第一版")
    wait_for(lambda: sandbox.requests("meeting/update"), timeout=30, message="the update")
    first.kill()

    # Saved while no worker runs: its message waits, and then meets the dead worker's lease.
    meeting = edit(meeting, title="第二版")
    wait_for(lambda: sandbox.requests("meeting/update")[0]["applied"], message="the delayed update")
    worker_processes()
    dead_lease = Meeting.objects.get(pk=meeting.pk).lease_expires
    assert dead_lease is not None
    wait_for(lambda: timezone.now() > dead_lease, timeout=LEASE + 5, message="the lease")
    tasks.sweep()

    (meeting,) = wait_settled(meeting, timeout=30)
    assert meeting.sync_state == SyncState.SYNCED
    assert meeting.synced_version == meeting.version
    assert sandbox.meeting(meeting.meetingid)["title"] == "第二版"
    sent = [(r["body"]["title"], r["applied"]) for r in sandbox.requests("meeting/update")]
    # Each version once, in the order saved: nothing re-sent, nothing older after newer.
    assert sent == [("第一版", True), ("第二版", True)]
