"""How fast saved edits reach WeCom, and what one meeting costs the worker.

    .venv/bin/python tests/bench/bench_sync.py [--meetings 1000] [--latency 0.05]
        [--pool threads] [--concurrency 4] [--workers <cores>] [--sample 30] [--crowd 2000]

Two parts, each printed beside its reference as a ratio:

1. The drain: `--meetings` meetings (10 invitees each) with one saved edit each, a sandbox that
   answers every call `--latency` late, and `--workers` Celery worker processes with a pool of
   `--pool` × `--concurrency` each, as the README recommends for production. Its reference is
   the ideal throughput: workers × concurrency ÷ (calls per meeting × latency), every slot
   waiting on WeCom all the time and nothing else costing anything. The worker processes' CPU
   (Celery and the broker included) is divided by the meetings synced, beside its 8 ms goal;
   then as many tasks that do nothing show what Celery and the broker alone cost a task.
2. One meeting at a time in this process, `--sample` meetings of 10 invitees and as many of
   `--crowd`: the database queries of a run (beside the 6 of the goal) and its CPU; the CPU at
   `--crowd` invitees beside twice the CPU at 10. The runs of 10 invitees are followed by as
   many answered `--latency` late: the same work, so their CPU beside the CPU with no latency
   shows what the machine charges a process for resuming after each wait on WeCom.

It asserts nothing about time. It runs on whatever DATABASE_URL, CELERY_BROKER_URL and
CACHE_URL name, in a database of its own: a fresh SQLite file under $VAR_DIR/bench, or on
PostgreSQL a database it creates beside DATABASE_URL's (as that URL's role, which must be
allowed to create databases) and drops at the end. The append-only audit tables are never
emptied. A sandbox process and a broker queue of its own complete it.
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
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var") / "bench"
PYTHON = Path(sys.executable)
# The goals of the worker (issue "Performance"), the references of part 2.
CPU_GOAL_MS = 8
QUERIES_GOAL = 6
INVITEES = 10


def sqlite_url(name):
    """The URL of a SQLite file of the bench's own, named `name`, under $VAR_DIR/bench."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{BENCH_DIR / name}"


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per call")
    # As the README recommends for production: one worker of threads per core.
    parser.add_argument("--pool", default="threads", choices=["prefork", "threads"])
    parser.add_argument("--concurrency", type=int, default=4, help="slots per worker process")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="celery worker processes"
    )
    parser.add_argument("--sample", type=int, default=30, help="meetings run one by one")
    parser.add_argument("--crowd", type=int, default=2000, help="invitees of a crowded meeting")
    parser.add_argument("--timeout", type=float, default=900, help="give up after (seconds)")
    return parser.parse_args()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def own_database():
    """DATABASE_URL pointed at a database of the bench's own for the duration."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        for leftover in BENCH_DIR.glob("bench.sqlite3*"):
            leftover.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
        yield
        return
    import psycopg
    from psycopg import sql

    name = f"{parts.path.lstrip('/') or 'wecom'}_bench_{uuid.uuid4().hex[:8]}"
    server = psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )
    server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = parts._replace(path=f"/{name}").geturl()
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        server.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        server.close()


def prepare_environment(port, queue):
    """What the bench, its sandbox and its workers share, set before Django starts."""
    os.environ.update(
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
        command,
        cwd=BASE_DIR,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
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
    with own_database():
        run(args, port, queue)


def run(args, port, queue):
    import django

    django.setup()

    import requests
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from tests.fixtures.sandbox import SandboxHandle
    from tests.sync.broker import purge

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    cache.clear()

    sandbox_process = start(
        # No --state: the sandbox would write its whole state to disk after each change.
        [str(PYTHON), "manage.py", "wecom_sandbox", "--port", str(port)],
        "sandbox.log",
    )
    workers = []
    try:
        url = settings.WECOM_API_BASE

        def sandbox_up():
            try:
                return requests.get(f"{url}/__sandbox__/clock", timeout=1).ok
            except requests.ConnectionError:
                return False

        wait_until(sandbox_up, 30, "the sandbox")
        sandbox = SandboxHandle(_Server(url))
        users = [f"user{n:04d}" for n in range(max(args.crowd, INVITEES))]
        sandbox.set_users(["zhangsan", "lisi", "wangwu", *users])

        print(
            f"Database {connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}, "
            f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}",
            flush=True,
        )
        print(
            f"One by one: {args.sample} meetings of {INVITEES} and of {args.crowd} invitees…",
            flush=True,
        )
        alone = {
            INVITEES: one_by_one(sandbox, users[:INVITEES], args.sample, args.latency),
            args.crowd: one_by_one(sandbox, users[: args.crowd], args.sample),
        }

        # The saves above queued their syncs, which the runs here did already.
        purge(queue)
        print(f"Setting up {args.meetings} meetings…", flush=True)
        pks = set(saved_meetings(sandbox, users[:INVITEES], args.meetings))
        sandbox.configure(latency=args.latency)
        sandbox.clear_requests()

        print(
            f"Draining: {args.workers} worker process(es), pool {args.pool} × "
            f"{args.concurrency}, WeCom latency {args.latency * 1000:.0f} ms",
            flush=True,
        )
        for number in range(args.workers):
            workers.append(
                start(
                    [
                        str(PYTHON.with_name("celery")),
                        "-A",
                        "config",
                        "worker",
                        f"--pool={args.pool}",
                        f"--concurrency={args.concurrency}",
                        "-Q",
                        queue,
                        "-n",
                        f"bench{number}-{queue}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "--loglevel=WARNING",
                    ],
                    f"worker{number}.log",
                )
            )
        # The clock (and the CPU count) starts at the first call to WeCom, not at start-up.
        wait_until(lambda: sandbox.requests("meeting/get_info"), 120, "the first call")
        started, cpu_before = time.time(), sum(cpu_seconds(w) for w in workers)
        main_before = sum(own_cpu_seconds(w.pid) for w in workers)
        sandbox_before = cpu_seconds(sandbox_process)
        drain = drained(pks, args.timeout)
        cpu = sum(cpu_seconds(w) for w in workers) - cpu_before
        # A prefork pool's main process takes the messages from the broker and hands them to
        # the pool: Celery's share, apart from the runs.
        main_cpu = sum(own_cpu_seconds(w.pid) for w in workers) - main_before
        # Beside the worker on the same cores, and so part of what paced it.
        sandbox_cpu = cpu_seconds(sandbox_process) - sandbox_before
        log = sandbox.requests()
        floor = celery_floor(workers, queue, len(pks))
    finally:
        for worker in workers:
            stop(worker)
        stop(sandbox_process)
        purge(queue)

    report(args, alone, drain, started, (cpu, main_cpu, floor), sandbox_cpu, log)


def new_meetings(sandbox, userids, count):
    """`count` meetings made in the sandbox with these invitees and imported; their pks."""
    from meetings.actions import pulls as pull_actions

    token = sandbox.token()
    pks = []
    for number in range(count):
        meetingid = sandbox.create_meeting(
            title=f"基准会议 {number}", invitees={"userid": userids[:100]}
        )
        if len(userids) > 100:
            invitees = [{"userid": userid} for userid in ["zhangsan", *userids]]
            sandbox.call(
                "meeting/set_invitees",
                {"meetingid": meetingid, "invitees": invitees},
                token=token,
            )
        info = sandbox.call("meeting/get_info", {"meetingid": meetingid}, token=token)
        meeting, _created = pull_actions.import_meeting(info)
        pks.append(meeting.pk)
    return pks


def saved_meetings(sandbox, userids, count):
    """New meetings, each with an edit saved as the edit page saves it; their pks."""
    from meetings import payloads
    from meetings.actions import meeting as meeting_actions
    from meetings.models import Meeting

    pks = new_meetings(sandbox, userids, count)
    for meeting in Meeting.objects.select_related("settings", "reminders").filter(pk__in=pks):
        meeting.load_userids()
        body = payloads.desired_body(meeting) | {"title": f"{meeting.title}（已改）"}
        meeting_actions.edit_meeting(meeting, body, actor=None, loaded_version=meeting.version)
    return pks


def one_by_one(sandbox, userids, count, latency=0.0):
    """Sync `count` meetings of these invitees one after the other in this process, as the
    task does, the sandbox answering at once: the CPU seconds and the database statements
    (transaction control left out) of each run, as {"cpu": [...], "queries": [...],
    "cache_queries": [...]}. With `latency`, as many more runs follow, each call answered
    that late, their CPU seconds in "cpu_late"."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meetings import tasks
    from meetings.models import Meeting, SyncState

    late = saved_meetings(sandbox, userids, count) if latency else []
    pks = saved_meetings(sandbox, userids, count + 1)
    # The first run pays for what a process does once (a token, connections).
    tasks.sync_meeting(pks.pop())
    figures = {"cpu": [], "queries": [], "cache_queries": [], "cpu_late": []}
    for pk in pks:
        with CaptureQueriesContext(connection) as queries:
            began = time.process_time()
            tasks.sync_meeting(pk)
            figures["cpu"].append(time.process_time() - began)
        statements = [
            q["sql"]
            for q in queries.captured_queries
            if not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
        ]
        cached = [s for s in statements if "django_cache" in s]
        figures["queries"].append(len(statements) - len(cached))
        figures["cache_queries"].append(len(cached))
    # After the others, not alternating with them: a run that follows a wait is slowed too.
    if late:
        sandbox.configure(latency=latency)
        for pk in late:
            began = time.process_time()
            tasks.sync_meeting(pk)
            figures["cpu_late"].append(time.process_time() - began)
        sandbox.configure(latency=0)
    unsynced = (
        Meeting.objects.filter(pk__in=[*pks, *late]).exclude(sync_state=SyncState.SYNCED).count()
    )
    if unsynced:
        raise SystemExit(f"{unsynced} meetings of {len(userids)} invitees did not sync")
    return figures


def drained(pks, timeout):
    """Wait until every meeting of the drain is synced; their (pk, synced_at, saved_at)."""
    from meetings.models import Meeting, SyncState

    mine = Meeting.objects.filter(pk__in=pks)
    wait_until(
        lambda: not mine.exclude(sync_state=SyncState.SYNCED).exists(),
        timeout,
        "every meeting to sync",
    )
    return list(mine.values_list("pk", "synced_at", "saved_at"))


def celery_floor(workers, queue, count):
    """The workers' CPU seconds a task for `count` tasks that do nothing (Celery's own
    `celery.accumulate`, acknowledged late as the sync's are): what Celery and the broker
    cost a task on this pool, apart from the sync."""
    from config.celery import app

    nothing = app.tasks["celery.accumulate"]

    def cpu():
        return sum(cpu_seconds(w) for w in workers)

    def waiting():
        with app.connection_for_write() as conn:
            # Not passive: an empty Redis list does not exist, and a passive declare says so.
            return conn.default_channel.queue_declare(queue=queue).message_count

    # What the idle pool spends by itself (its timers), taken off below.
    idle_from, idle_began = cpu(), time.monotonic()
    time.sleep(1)
    idle_rate = (cpu() - idle_from) / (time.monotonic() - idle_began)
    began, cpu_before = time.monotonic(), cpu()
    for number in range(count):
        nothing.apply_async((number,), queue=queue)
    wait_until(lambda: waiting() == 0, 300, "the tasks that do nothing")
    # The last tasks taken are still running.
    time.sleep(0.5)
    spent = cpu() - cpu_before - idle_rate * (time.monotonic() - began)
    return spent / count


def cpu_seconds(process):
    """User and system CPU seconds of a process and its children (a prefork pool's)."""
    return own_cpu_seconds(process.pid) + sum(own_cpu_seconds(pid) for pid in children(process.pid))


def children(pid):
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in listed.read_text().split()] if listed.exists() else []


def own_cpu_seconds(pid):
    """User and system CPU seconds of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(args, alone, drain, started, cpus, sandbox_cpu, log):
    meetings = len(drain)
    elapsed = max(synced.timestamp() for _pk, synced, _saved in drain) - started
    latencies = sorted((synced - saved).total_seconds() for _pk, synced, saved in drain)
    calls = {}
    for entry in log:
        calls[entry["path"]] = calls.get(entry["path"], 0) + 1
    per_meeting = sum(n for path, n in calls.items() if path != "gettoken") / meetings
    slots = args.workers * args.concurrency
    ideal = slots / (per_meeting * args.latency)
    throughput = meetings / elapsed
    cpu, main_cpu, floor = cpus
    cpu_ms = cpu / meetings * 1000
    few, crowd = alone[INVITEES], alone[args.crowd]
    few_cpu = statistics.median(few["cpu"]) * 1000
    late_cpu = statistics.median(few["cpu_late"]) * 1000
    crowd_cpu = statistics.median(crowd["cpu"]) * 1000
    queries = statistics.median(few["queries"])
    crowd_queries = statistics.median(crowd["queries"])

    print()
    print(f"{'figure':<44}{'measured':>12}{'reference':>14}{'ratio':>9}")

    def row(label, measured, reference, ratio):
        print(f"{label:<44}{measured:>12}{reference:>14}{ratio:>9.2f}")

    row(
        "throughput, meetings/s (goal ≥ 0.8 × ideal)",
        f"{throughput:.1f}",
        f"{ideal:.1f}",
        throughput / ideal,
    )
    row(
        f"worker CPU per meeting, ms (goal ≤ {CPU_GOAL_MS})",
        f"{cpu_ms:.1f}",
        CPU_GOAL_MS,
        cpu_ms / CPU_GOAL_MS,
    )
    row(
        f"queries per run, {INVITEES} invitees (goal ≤ {QUERIES_GOAL})",
        f"{queries:g}",
        QUERIES_GOAL,
        queries / QUERIES_GOAL,
    )
    row(
        f"run CPU at {args.crowd} invitees vs 2 × at {INVITEES}, ms",
        f"{crowd_cpu:.1f}",
        f"{2 * few_cpu:.1f}",
        crowd_cpu / (2 * few_cpu),
    )
    row(
        f"run CPU at {args.latency * 1000:.0f} ms latency vs at none, ms",
        f"{late_cpu:.1f}",
        f"{few_cpu:.1f}",
        late_cpu / few_cpu,
    )
    print()
    print(
        f"ideal = {slots} slots ÷ ({per_meeting:.2f} calls × {args.latency * 1000:.0f} ms); "
        f"calls: {dict(sorted(calls.items()))}"
    )
    print(
        f"a task that does nothing costs the same pool {floor * 1000:.1f} ms of CPU "
        "(Celery and the broker)"
    )
    if args.pool == "prefork":
        print(
            f"of the worker's CPU per meeting, {main_cpu / meetings * 1000:.1f} ms in the pool's "
            f"main process and {(cpu - main_cpu) / meetings * 1000:.1f} ms in its children"
        )
    print(
        f"sandbox CPU per meeting {sandbox_cpu / meetings * 1000:.1f} ms, on the same "
        f"{os.cpu_count()} cores as the worker"
    )
    print(
        f"drain: {meetings} meetings in {elapsed:.1f} s; save → synced p50 "
        f"{statistics.median(latencies):.2f} s, p95 "
        f"{latencies[int(0.95 * (len(latencies) - 1))]:.2f} s"
    )
    print(
        f"one by one, {INVITEES} invitees: run CPU p50 {few_cpu:.1f} ms, queries {queries:g}, "
        f"cache queries {statistics.median(few['cache_queries']):g}; "
        f"{late_cpu:.1f} ms with every call answered {args.latency * 1000:.0f} ms late "
        "(the same work: the rest is the machine resuming the process after each wait)"
    )
    print(
        f"one by one, {args.crowd} invitees: run CPU p50 {crowd_cpu:.1f} ms, queries "
        f"{crowd_queries:g}, cache queries {statistics.median(crowd['cache_queries']):g}"
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
