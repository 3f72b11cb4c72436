"""Whole screening snapshot out of PostgreSQL: each table's time, one part after another against side by side.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_registry_web.py --no-deep --no-plans     # loads zx_bench (see bench/README.md)
    .venv/bin/python bench/bench_whole_snapshot.py [--database-url …/zx_bench20] [--repeat 2]

Context (issue 5): the whole run at 20 million persons must take ≤ 60 s, and the snapshot is most of it.
`screening.snapshot.write_snapshot(directory, as_of=today)` is timed `--repeat` times each way:
- **one by one**: inside a transaction, as the test suite runs it: every table on the run's connection;
- **side by side**: as a run does (outside a transaction): one REPEATABLE READ transaction exports its
  snapshot of the database and each registry table is copied in two halves at once, the second on a helper
  connection reading that snapshot (`snapshot._one_view`, `_copy_all`).
Feed tables come from the uploads' cached parts (`settings.SCREENING_CACHE_DIR`); a fresh cache folder is
used, so the first repetition of the first way also reads every upload once (`--no-feeds` leaves them out
of the comparison by filling the folder first). Prints each table's seconds (`SnapshotInfo.seconds`),
the total and the peak RSS.
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
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    web.setup_django(args.database_url)
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from zhenxing.screening.snapshot import write_snapshot

    cache = tempfile.mkdtemp(prefix="zx-snapshot-cache-")
    settings.SCREENING_CACHE_DIR = cache
    today = timezone.localdate()

    def once(label: str, in_transaction: bool) -> None:
        directory = Path(tempfile.mkdtemp(prefix="zx-snapshot-"))
        started = time.perf_counter()
        try:
            if in_transaction:
                with transaction.atomic():
                    info = write_snapshot(directory, as_of=today)
            else:
                info = write_snapshot(directory, as_of=today)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        seconds = time.perf_counter() - started
        tables = ", ".join(f"{table} {s:5.1f} s" for table, s in info.seconds.items())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{label:13} {seconds:6.1f} s  ({tables}; peak RSS {peak:.0f} MB)")
        print(
            f"{'':13} {info.households:,} households, {info.persons:,} persons, {info.incomes:,} incomes, feeds {info.feeds}"
        )

    try:
        if args.no_feeds:
            once("(fill parts)", True)
        for _ in range(args.repeat):
            once("one by one", True)
            once("side by side", False)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
