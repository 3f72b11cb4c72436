"""The Django side's snapshot writer: the engine's schema, and the join key derived from each ID hash."""

import pyarrow.parquet as pq
import pytest

from zhenxing.lib import personal
from zhenxing.registry.models import Person
from zhenxing.registry.tests.change_helpers import id_number
from zhenxing.screening.engine import schema
from zhenxing.screening.snapshot import write_snapshot
from zhenxing.screening.tests.run_helpers import lifted, medical, push

pytestmark = pytest.mark.django_db


def test_it_writes_the_engine_schema_with_the_join_key_of_every_hash(cast, village, tmp_path):
    lifted(cast, village)
    unknown = medical(9, "100.00")  # nobody in the registry has this number
    push(cast, "medical", [medical(1, "3000.00"), unknown])

    info = write_snapshot(tmp_path)

    assert (info.households, info.persons, info.feeds) == (1, 3, {"medical": 2})
    for table in ("households", "persons", "incomes", "feed_medical"):
        assert pq.read_schema(tmp_path / schema.file_name(table)) == schema.TABLES[table], table
    persons = pq.read_table(tmp_path / "persons.parquet").to_pylist()
    assert sorted(p["id_hash"] for p in persons) == sorted(Person.objects.values_list("id_hash", flat=True))
    feed = pq.read_table(tmp_path / "feed_medical.parquet").to_pylist()
    assert [r["id_hash"] for r in feed] == [personal.lookup_hash(id_number(n)) for n in (1, 9)]
    for row in persons + feed:
        # the first and second 16 hex characters of the keyed hash, as signed 64-bit integers
        hi, lo = int(row["id_hash"][:16], 16), int(row["id_hash"][16:32], 16)
        assert row["key_hi"] == (hi - 2**64 if hi >= 2**63 else hi)
        assert row["key_lo"] == (lo - 2**64 if lo >= 2**63 else lo)
        assert (row["key_hi"], row["key_lo"]) == schema.hash_key(row["id_hash"])
