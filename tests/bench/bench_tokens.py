"""gettoken calls per token lifetime when several processes call WeCom without pause. Run on
demand; prints figures, asserts none.

    .venv/bin/python tests/bench/bench_tokens.py [--processes 3] [--threads 4]
                                                 [--lifetime 20] [--lifetimes 4]

It starts a sandbox process of its own whose tokens live `--lifetime` seconds, then
`--processes` processes (the web application and two workers, say) of `--threads` threads
each, calling meeting/get_user_meetingid back to back for `--lifetimes` lifetimes through the
product's client and the shared cache (CACHE_URL: Redis, or the database cache of
DATABASE_URL; a fresh SQLite file under var/bench/ when neither is set). It prints the
gettoken calls beside the number of token lifetimes the run spanned (the ideal: one each),
and the calls WeCom refused for an invalid or expired token (the ideal: none).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = BASE_DIR / "var" / "bench"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import free_port, start, stop, wait_until  # noqa: E402

REFUSED_TOKEN = (40014, 42001)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--lifetime", type=int, default=20, help="seconds a token lives")
    parser.add_argument("--lifetimes", type=float, default=4, help="how long to run")
    parser.add_argument("--caller", type=float, help=argparse.SUPPRESS)
    return parser.parse_args()


def caller(until, threads):
    """One process: `threads` threads calling WeCom until `until` (unix time)."""
    import threading

    import django

    django.setup()
    from django.db import connections

    from wecom.client import get_client
    from wecom.errors import WeComError
    from wecom.limits import RateLimited

    # A call over WeCom's per-minute budget is held back here (never sent): not an error.
    counts = {"calls": 0, "errors": 0, "held": 0}
    guard = threading.Lock()

    def run():
        client = get_client()
        try:
            while time.time() < until:
                try:
                    client.meeting_get_user_meetingid("zhangsan")
                    outcome = "calls"
                except RateLimited:
                    outcome = "held"
                except WeComError:
                    outcome = "errors"
                with guard:
                    counts[outcome] += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps(counts))


def main():
    args = parse()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if "DATABASE_URL" not in os.environ:
        for leftover in BENCH_DIR.glob("tokens.sqlite3*"):
            leftover.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'tokens.sqlite3'}"
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING")
    sys.path.insert(0, str(BASE_DIR))
    if args.caller:
        return caller(args.caller, args.threads)
    port = free_port()
    os.environ["WECOM_API_BASE"] = f"http://127.0.0.1:{port}"

    import django

    django.setup()
    import requests
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    cache.clear()
    sandbox = start(
        [sys.executable, "manage.py", "wecom_sandbox", "--port", str(port)], "tokens-sandbox.log"
    )
    url = f"http://127.0.0.1:{port}/__sandbox__"
    try:

        def up():
            try:
                return requests.get(f"{url}/clock", timeout=1).ok
            except requests.ConnectionError:
                return False

        wait_until(up, 30, "the sandbox")
        requests.post(f"{url}/config", json={"token_lifetime": args.lifetime}, timeout=5)
        duration = args.lifetime * args.lifetimes
        began = time.time()
        until = began + 3 + duration
        callers = [
            subprocess.Popen(
                [sys.executable, __file__, "--caller", str(until), "--threads", str(args.threads)],
                cwd=BASE_DIR,
                env=dict(os.environ),
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(args.processes)
        ]
        outputs = [process.communicate()[0].strip().splitlines() for process in callers]
        counts = [json.loads(output[-1]) for output in outputs if output]
        log = requests.get(f"{url}/requests", timeout=10).json()["requests"]
    finally:
        stop(sandbox)

    calls = [entry for entry in log if entry["path"] != "gettoken"]
    # From the first call until the callers stopped: once the call limits hold calls back,
    # the last one sent comes before that, and a caller still wanting a token then gets one.
    first = calls[0]["time"]
    spanned = (until - first) / args.lifetime
    gettoken = sum(1 for entry in log if entry["path"] == "gettoken")
    refused = sum(1 for entry in calls if entry["errcode"] in REFUSED_TOKEN)
    print(
        f"{args.processes} processes × {args.threads} threads, tokens of {args.lifetime} s, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
    )
    print(
        f"calls to WeCom                 {len(calls)} "
        f"({sum(c['errors'] for c in counts)} answered with an error; "
        f"{sum(c['held'] for c in counts)} held back by the call limits, never sent)"
    )
    print(f"token lifetimes spanned        {spanned:.2f} (whole or begun: {int(spanned) + 1})")
    print(
        f"gettoken calls                 {gettoken}   "
        f"{gettoken / (int(spanned) + 1):.2f}× one per lifetime"
    )
    print(f"refused for the token          {refused} (40014/42001)")
    for entry in calls:
        if entry["errcode"] in REFUSED_TOKEN:
            print(f"  refused at {entry['time'] - first:+d} s: {entry['errcode']}")


if __name__ == "__main__":
    main()
