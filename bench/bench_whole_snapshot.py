"""Whole screening snapshot out of PostgreSQL: each table's time.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_registry_web.py --no-deep --no-plans     # loads zx_bench (see bench/README.md)
    .venv/bin/python bench/bench_whole_snapshot.py [--database-url …/zx_bench20] [--repeat 2] [--no-feeds]
        [--change 1000]

Context (issue 5): the whole run at 20 million persons must take ≤ 60 s, and the snapshot is most of it.
`screening.snapshot.write_snapshot(directory, as_of=today)` is timed `--repeat` times as a run calls it
(outside a transaction: one REPEATABLE READ transaction). Feed tables come from the uploads' cached parts
(`settings.SCREENING_CACHE_DIR`): a fresh folder (or `--cache DIR`, kept), so the first repetition also
reads every upload once — `--no-feeds` fills the folder before timing. The same folder keeps the registry
files between repetitions (PostgreSQL): the first reads the registry in full, the next only what changed;
`--change N` changes N random households before each later repetition (one member's labour capacity,
through SQL: the triggers mark them, as for any writer). Prints each table's seconds (`SnapshotInfo.seconds`),
how the registry was read, the total and the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_registry_web as web  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=web.DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-feeds", action="store_true", help="fill the parts' folder before timing")
    parser.add_argument("--cache", help="a folder of uploads' parts to use (and keep) instead of a fresh one")
    parser.add_argument(
        "--change", type=int, default=0, help="households changed before each later repetition"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    web.setup_django(args.database_url)
    from django.conf import settings
    from django.utils import timezone

    from zhenxing.screening.snapshot import write_snapshot

    cache = args.cache or tempfile.mkdtemp(prefix="zx-snapshot-cache-")
    settings.SCREENING_CACHE_DIR = cache
    today = timezone.localdate()

    def once(label: str) -> None:
        directory = Path(tempfile.mkdtemp(prefix="zx-snapshot-"))
        started = time.perf_counter()
        try:
            info = write_snapshot(directory, as_of=today)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        seconds = time.perf_counter() - started
        tables = ", ".join(f"{table} {s:5.1f} s" for table, s in info.seconds.items())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{label:13} {seconds:6.1f} s  ({tables}; peak RSS {peak:.0f} MB)")
        counts = f"{info.households:,} households, {info.persons:,} persons, {info.incomes:,} incomes"
        print(f"{'':13} {counts}, feeds {info.feeds}")
        print(f"{'':13} {info.registry}")

    def change(n: int, seed: int) -> None:
        """One member's labour capacity in each of n random households (committed)."""
        import random

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT min(id), max(id) FROM registry_household")
            low, high = cursor.fetchone()
            chosen = random.Random(seed).sample(range(low, high + 1), n)
            cursor.execute(
                "UPDATE registry_person p SET labour_capacity = CASE WHEN p.labour_capacity = '无劳动力'"
                " THEN '普通劳动力' ELSE '无劳动力' END FROM registry_membership m WHERE m.person_id = p.id"
                " AND m.end_date IS NULL AND m.household_id = ANY(%s) AND m.relation = '户主'",
                [chosen],
            )

    try:
        if args.no_feeds:
            once("(fill parts)")
        for n in range(args.repeat):
            if n and args.change:
                change(args.change, seed=n)
            once(f"snapshot {n + 1}")
    finally:
        if not args.cache:
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
