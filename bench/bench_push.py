"""Push benchmark: one feed row pushed through `/api/v1/feeds/medical/` until its warning is in the database.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_registry_web.py --no-deep --no-plans   # 1,000,000 households into zx_bench
    .venv/bin/python bench/bench_push.py                                 # 20 pushes, worker polling every 1 s

Goal (issue 5): one pushed feed row to its warning visible in the UI in ≤ 1 s.

What it does: on the registry benchmark's database (`zx_bench`, PostgreSQL; any `--database-url` holding
households works), creates a 医保局 clerk with an API key (once), starts the platform's job worker in a
thread of this process (`jobs.worker.Worker`, the same loop `zhenxing worker` runs: woken by the
queuing transaction's notification, `jobs/wakeup.py`, and polling every `--poll` seconds besides), then `--pushes` times: picks a random current member who has no warning
yet, POSTs one 住院 settlement with a 个人自付 far above both medical thresholds through Django's test
`Client` with the key (the whole API request: validation, the stored upload and rows, the queued
feed-triggered run), and polls the database every 10 ms until the household's warning exists, then opens
the warning's page as a district admin. It prints, per push and as p50/p95: the API request, the wait from
the answer to the warning row, the run's own seconds (`ScreeningRun.seconds`: snapshot of the upload's
households, engine, storing) and the warning page request.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_registry_web as web  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=web.DEFAULT_URL)
    parser.add_argument("--pushes", type=int, default=20)
    parser.add_argument("--poll", type=float, default=1.0, help="the worker's poll interval (seconds)")
    parser.add_argument("--seed", type=int, default=12317)
    return parser.parse_args()


def clerk_key(admin) -> str:
    from zhenxing.accounts.models import User
    from zhenxing.accounts.roles import Department, Role
    from zhenxing.screening.actions import tokens

    clerk, _ = User.objects.get_or_create(
        username="bench_medical_clerk",
        defaults=dict(
            full_name="医保局填报员",
            role=Role.DEPARTMENT_CLERK,
            department=Department.MEDICAL,
            area=admin.area,
            must_change_password=False,
        ),
    )
    return tokens.create_api_token(admin, clerk, "基准测试推送")[1]


def stats(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94] if len(ms) > 1 else ms[0]
    return f"  {label:34} p50 {statistics.median(ms):7.0f} ms  p95 {p95:7.0f} ms  max {ms[-1]:7.0f} ms"


def main() -> None:
    args = parse_args()
    web.ensure_database(args.database_url)
    web.setup_django(args.database_url)
    from django.db import close_old_connections
    from django.test import Client
    from django.urls import reverse

    from zhenxing.jobs.worker import Worker
    from zhenxing.screening.models import ScreeningRun, Warning

    admin = web.bench_admin()
    key = clerk_key(admin)
    rng = random.Random(args.seed)
    candidates = web.sample_persons(args.pushes * 5, args.seed)
    stop = threading.Event()
    worker = Worker(name="bench-push", poll_interval=args.poll, report=lambda line: None)
    worker._last_schedule = time.monotonic()  # no monthly full screening queued ahead of the pushes
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    api, ui = Client(), Client()
    ui.force_login(admin)
    day = (datetime.date.today() - datetime.timedelta(days=5)).isoformat()
    requests, waits, runs, pages, totals = [], [], [], [], []
    print(f"{args.pushes} pushes, worker polling every {args.poll:g} s:")
    try:
        done = 0
        for id_number, household_number in candidates:
            if done == args.pushes:
                break
            if Warning.objects.filter(household__number=household_number).exists():
                continue
            body = {
                "period": day[:7],
                "rows": [
                    {
                        "公民身份号码": id_number,
                        "姓名": "基准",
                        "结算日期": day,
                        "就诊类型": "住院",
                        "个人自付": f"{rng.randrange(80_000, 90_000)}.00",
                    }
                ],
            }
            started = time.perf_counter()
            response = api.post(
                reverse("api:feed_push", args=["medical"]),
                json.dumps(body, ensure_ascii=False),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {key}",
            )
            answered = time.perf_counter()
            if response.status_code != 200 or response.json()["matched"] != 1:
                print(f"  push refused: {response.status_code} {response.content[:300]!r}")
                continue
            warning = None
            while warning is None and time.perf_counter() - started < 60:
                warning = Warning.objects.filter(household__number=household_number).first()
                if warning is None:
                    time.sleep(0.01)
            seen = time.perf_counter()
            if warning is None:
                print("  no warning within 60 s")
                continue
            page = ui.get(reverse("screening:warning_detail", args=[warning.number]))
            shown = time.perf_counter()
            run = ScreeningRun.objects.filter(trigger=ScreeningRun.Trigger.FEED).order_by("-id").first()
            requests.append(answered - started)
            waits.append(seen - answered)
            runs.append(run.seconds or 0.0)
            pages.append(shown - seen)
            totals.append(shown - started)
            done += 1
            print(
                f"  push {done:2}: request {1000 * (answered - started):5.0f} ms, warning after "
                f"{1000 * (seen - answered):5.0f} ms (run {1000 * (run.seconds or 0):5.0f} ms), page "
                f"{1000 * (shown - seen):4.0f} ms (HTTP {page.status_code}), total {1000 * (shown - started):5.0f} ms",
                flush=True,
            )
            close_old_connections()
    finally:
        stop.set()
        thread.join(timeout=30)
    if totals:
        print(stats("API request", requests))
        print(stats("answer → warning row", waits))
        print(stats("the run (ScreeningRun.seconds)", runs))
        print(stats("warning page", pages))
        print(stats("push → warning page shown", totals))


if __name__ == "__main__":
    main()
