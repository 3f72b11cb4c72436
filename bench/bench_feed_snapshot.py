"""Feed snapshot benchmark: whole feed tables out of PostgreSQL by COPY against row by row, and the whole run.

Run by hand; it prints figures and asserts nothing:

    .venv/bin/python bench/bench_registry_web.py --no-deep --no-plans   # loads 1,000,000 households into zx_bench
    .venv/bin/python bench/bench_feed_snapshot.py                        # adds 2,000,000 medical rows once; measures

Context (issue 5): the whole screening run at 20 million persons and 10 million feed rows must take ≤ 60 s
including the snapshot out of PostgreSQL. The registry tables already go through COPY; this measures the
feed tables' COPY path (`screening.snapshot._copy_feed`: PostgreSQL takes each value out of the JSON,
DuckDB casts it) against the row-by-row path (the ORM's iterator, JSON decoded and cast in Python), on the
same rows. The whole run is then `zhenxing screen` (bench/README.md shows how it is timed).

What it does:
1. reuses the registry benchmark's database (`zx_bench`) and, once (marker: an upload with period
   `基准整批`), stores `--rows` 医保 rows in one upload with `INSERT … SELECT` from the registry's persons
   (every k-th current member; canonical values as validation stores them: dates `YYYY-MM-DD` within the
   last 330 days, so that the 12-month rules read them, amounts with
   two decimals; about 1 % of them above the 脱贫户 threshold), then `ANALYZE`;
2. times `snapshot._write_feed` for the 医保 table with COPY and row by row (each in a fresh temporary
   directory, no cached parts), checks the two files are equal, and prints rows/s; then with a fresh folder
   of cached parts twice: the first reads the upload into its part, the next run only links it;
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_registry_web as web  # noqa: E402

MARKER = "基准整批"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=web.DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=2_000_000, help="医保 rows to store once")
    parser.add_argument("--skip-rows-path", action="store_true", help="time only the COPY path")
    return parser.parse_args()


def seed(rows: int) -> None:
    from django.db import transaction

    from zhenxing.accounts.models import User
    from zhenxing.screening.models import FeedUpload

    if FeedUpload.objects.filter(period=MARKER).exists():
        print(f"医保 rows already stored (upload {MARKER!r})")
        return
    admin = User.objects.filter(area__level="county").order_by("pk").first()
    with transaction.atomic():
        _store(admin, rows)


def _store(admin, rows: int) -> None:
    from django.db import connection

    from zhenxing.screening.models import FeedUpload

    upload = FeedUpload.objects.create(
        kind="medical", source=FeedUpload.Source.API, period=MARKER, uploaded_by=admin, rows_total=rows
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_membership WHERE end_date IS NULL")
        members = cursor.fetchone()[0]
        step = max(1, members // rows)
        cursor.execute(
            """
            INSERT INTO screening_feedrow
                (upload_id, kind, row_number, id_hash, id_masked, name, data, area_id, household_id, person_id)
            SELECT %s, 'medical', n, p.id_hash, p.id_masked, '', jsonb_build_object(
                       'settlement_date', to_char(CURRENT_DATE - (n %% 330)::int, 'YYYY-MM-DD'),
                       'visit_type', CASE WHEN n %% 3 = 0 THEN '住院' ELSE '门诊' END,
                       'total_cost', to_char(1000 + (n %% 50000), 'FM999999990.00'),
                       'basic_insurance', to_char((n %% 500), 'FM999999990.00'),
                       'critical_illness_insurance', '',
                       'medical_assistance', '0.00',
                       'self_pay', to_char(CASE WHEN n %% 100 = 0 THEN 5000 + (n %% 3000) ELSE n %% 900 END
                                           + (n %% 100) / 100.0, 'FM999999990.00')),
                   h.area_id, m.household_id, p.id
            FROM (SELECT m.*, row_number() OVER (ORDER BY m.person_id) AS n
                  FROM registry_membership m WHERE m.end_date IS NULL) m
            JOIN registry_person p ON p.id = m.person_id
            JOIN registry_household h ON h.id = m.household_id
            WHERE m.n %% %s = 0 AND m.n / %s <= %s
            """,
            [upload.pk, step, step, rows],
        )
        stored = cursor.rowcount
        cursor.execute("ANALYZE screening_feedrow")
    FeedUpload.objects.filter(pk=upload.pk).update(rows_total=stored, rows_matched=stored)
    print(f"stored {stored:,} 医保 rows in {time.perf_counter() - started:.1f} s")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_feed(copy: bool, cache: str = "") -> tuple[float, Path, int]:
    """One whole snapshot's 医保 table; `cache`: the folder of uploads' parts ("": none, every row is read)."""
    from django.conf import settings

    from zhenxing.screening import snapshot

    directory = Path(tempfile.mkdtemp(prefix="zx-feed-"))
    original = snapshot._copies
    snapshot._copies = lambda: copy
    settings.SCREENING_CACHE_DIR = cache
    try:
        started = time.perf_counter()
        rows, unreadable = snapshot._write_feed(directory, "medical", None)
        seconds = time.perf_counter() - started
    finally:
        snapshot._copies = original
    assert unreadable == 0, unreadable
    return seconds, directory, rows


def main() -> None:
    args = parse_args()
    web.setup_django(args.database_url)
    import pyarrow.parquet as pq

    from zhenxing.screening.engine import schema

    seed(args.rows)
    name = schema.file_name("feed_medical")
    seconds, copied, rows = time_feed(copy=True)
    print(
        f"COPY path:       {rows:,} rows in {seconds:6.1f} s ({rows / seconds:,.0f} rows/s), peak RSS {rss_mb():.0f} MB"
    )
    if not args.skip_rows_path:
        seconds, streamed, rows = time_feed(copy=False)
        print(
            f"row-by-row path: {rows:,} rows in {seconds:6.1f} s ({rows / seconds:,.0f} rows/s), peak RSS {rss_mb():.0f} MB"
        )
        same = pq.read_table(copied / name).equals(pq.read_table(streamed / name), check_metadata=True)
        print(f"files equal: {'yes' if same else 'NO'}")
    cache = tempfile.mkdtemp(prefix="zx-feed-cache-")
    for label in ("cached part, first read:", "cached part, next run:  "):
        seconds, cached, rows = time_feed(copy=True, cache=cache)
        print(f"{label} {rows:,} rows in {seconds:6.2f} s, peak RSS {rss_mb():.0f} MB")
    same = pq.read_table(copied / name).equals(pq.read_table(cached / name), check_metadata=True)
    print(f"files equal (cached part against COPY): {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
