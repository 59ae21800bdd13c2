"""How fast saved edits reach WeCom: 1,000 meetings with a pending edit each, a sandbox that
answers every call 50 ms late, and one worker process at a stated concurrency.

    .venv/bin/python tests/bench/bench_sync.py [--meetings 1000] [--latency 0.05]
                                               [--concurrency 8] [--pool threads]

It prints figures and asserts nothing about time. It uses a database of its own (a fresh
SQLite file under var/bench/, or BENCH_DATABASE_URL, which it empties), a sandbox process of
its own and a broker queue of its own, on the broker the settings name (CELERY_BROKER_URL).

The ideal throughput is concurrency ÷ (calls per meeting × latency): every worker thread
waiting on WeCom all the time, and nothing else costing anything.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = BASE_DIR / "var" / "bench"
PYTHON = Path(sys.executable)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per call")
    parser.add_argument("--concurrency", type=int, default=8, help="worker threads/processes")
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork"])
    parser.add_argument("--timeout", type=float, default=600, help="give up after (seconds)")
    return parser.parse_args()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_environment(port, queue):
    """Everything the bench, its sandbox and its worker share, set before Django starts."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("BENCH_DATABASE_URL")
    if not database_url:
        database = BENCH_DIR / "bench.sqlite3"
        for leftover in BENCH_DIR.glob("bench.sqlite3*"):
            leftover.unlink()
        database_url = f"sqlite:///{database}"
    os.environ.update(
        DATABASE_URL=database_url,
        WECOM_API_BASE=f"http://127.0.0.1:{port}",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        # Each meeting gets one edit: no burst to gather, so the worker starts at once.
        SYNC_SETTLE_SECONDS="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    sys.path.insert(0, str(BASE_DIR))


def start(command, log_name):
    # Left open: the process writes to it until it stops.
    log = open(BENCH_DIR / log_name, "wb")
    return subprocess.Popen(
        command, cwd=BASE_DIR, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.1)


def main():
    args = parse()
    port = free_port()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    prepare_environment(port, queue)

    import django

    django.setup()

    import requests
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from meetings import payloads
    from meetings.actions import meeting as meeting_actions
    from meetings.actions import pulls as pull_actions
    from meetings.models import Meeting, SyncState

    # The flush below empties the append-only audit tables, which only this allows.
    from tests.fixtures import audit_flush  # noqa: F401
    from tests.fixtures.sandbox import SandboxHandle
    from tests.sync.broker import purge

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)

    sandbox_process = start(
        [str(PYTHON), "manage.py", "wecom_sandbox", "--port", str(port)], "sandbox.log"
    )
    worker = None
    try:
        url = settings.WECOM_API_BASE

        def sandbox_up():
            try:
                return requests.get(f"{url}/__sandbox__/clock", timeout=1).ok
            except requests.ConnectionError:
                return False

        wait_until(sandbox_up, 30, "the sandbox")
        sandbox = SandboxHandle(_Server(url))

        print(f"Setting up {args.meetings} meetings…", flush=True)
        token = sandbox.token()
        for number in range(args.meetings):
            meetingid = sandbox.create_meeting(title=f"基准会议 {number}")
            info = sandbox.call("meeting/get_info", {"meetingid": meetingid}, token=token)
            pull_actions.import_meeting(info)
        sandbox.configure(latency=args.latency)
        sandbox.clear_requests()
        cache.clear()

        print(f"Saving {args.meetings} edits while no worker runs…", flush=True)
        saved_at = {}
        meetings = list(
            Meeting.objects.select_related("settings", "reminders").prefetch_related(
                "participants"
            )
        )
        first_save = time.time()
        for meeting in meetings:
            body = payloads.desired_body(meeting) | {"title": f"{meeting.title}（已改）"}
            meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=meeting.version)
            saved_at[meeting.pk] = time.time()
        saving = time.time() - first_save

        print(
            f"Syncing: worker {args.pool} × {args.concurrency}, "
            f"WeCom latency {args.latency * 1000:.0f} ms, database {connection.vendor}, "
            f"broker {settings.CELERY_BROKER_URL.split(':')[0]}",
            flush=True,
        )
        worker = start(
            [
                str(PYTHON.with_name("celery")), "-A", "config", "worker",
                f"--pool={args.pool}", f"--concurrency={args.concurrency}", "-Q", queue,
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            "worker.log",
        )
        # The clock starts at the worker's first call to WeCom, not at its start-up.
        wait_until(lambda: sandbox.requests("meeting/get_info"), 60, "the worker's first call")
        worker_started = time.time()

        def all_synced():
            return not Meeting.objects.exclude(sync_state=SyncState.SYNCED).exists()

        wait_until(all_synced, args.timeout, "every meeting to sync")
        rows = list(Meeting.objects.values_list("pk", "synced_at", "synced_version", "version"))
        log = sandbox.requests()
        cpu = {"worker": cpu_seconds(worker), "sandbox": cpu_seconds(sandbox_process)}
    finally:
        if worker is not None:
            stop(worker)
        stop(sandbox_process)
        purge(queue)

    report(args, saved_at, rows, log, worker_started, saving, cpu)


def cpu_seconds(process):
    """User and system CPU seconds of a process and its children (a prefork pool's)."""
    total = 0.0
    pids = [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def report(args, saved_at, rows, log, worker_started, saving, cpu):
    latencies = sorted(synced.timestamp() - saved_at[pk] for pk, synced, _s, _v in rows)
    last_synced = max(synced.timestamp() for _pk, synced, _s, _v in rows)
    behind = sum(1 for _pk, _synced, synced_version, version in rows if synced_version != version)
    elapsed = last_synced - worker_started
    calls = {}
    for entry in log:
        calls[entry["path"]] = calls.get(entry["path"], 0) + 1
    updates = calls.get("meeting/update", 0)
    info = calls.get("meeting/get_info", 0)
    per_meeting = (updates + info) / len(rows)
    throughput = len(rows) / elapsed
    ideal = args.concurrency / (per_meeting * args.latency)

    print()
    print(f"meetings synced              {len(rows)} ({behind} behind their version)")
    print(f"saving the edits took        {saving:.1f} s ({len(rows) / saving:.0f} saves/s)")
    print(f"first call to last synced    {elapsed:.1f} s")
    print(f"throughput                   {throughput:.1f} meetings/s")
    print(
        f"ideal                        {ideal:.1f} meetings/s "
        f"({args.concurrency} ÷ ({per_meeting:.2f} calls × {args.latency * 1000:.0f} ms))"
    )
    print(f"ratio to ideal               {throughput / ideal:.0%}")
    print(f"save → synced p50            {statistics.median(latencies):.2f} s")
    print(f"save → synced p95            {latencies[int(0.95 * (len(latencies) - 1))]:.2f} s")
    print(f"gettoken calls               {calls.get('gettoken', 0)}")
    print(f"update calls                 {updates} (meetings: {len(rows)})")
    print(f"get_info calls               {info}")
    print(
        f"CPU seconds                  worker {cpu['worker']:.1f} "
        f"({cpu['worker'] / len(rows) * 1000:.1f} ms a meeting), sandbox {cpu['sandbox']:.1f}"
    )


class _Server:
    """What SandboxHandle needs of a server it did not start: its address."""

    def __init__(self, url):
        self.url = url
        self.sandbox = None


if __name__ == "__main__":
    if shutil.which("celery", path=str(PYTHON.parent)) is None:
        raise SystemExit(f"no celery beside {PYTHON}: run with the project's virtualenv")
    main()
