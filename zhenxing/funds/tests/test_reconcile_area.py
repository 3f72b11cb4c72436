"""Reconciliation batches belong to the county and are read through the scope module; the migration
gives batches made before that the county of whoever imported them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.funds import actions
from zhenxing.funds.models import Difference, ReconciliationBatch
from zhenxing.funds.reconcile import HEADERS, validate_reconciliation
from zhenxing.lib.tabular import SheetSpec, write_xlsx

ROWS = [["2024-X-1", "外地项目", "中央衔接资金", "2024-05-01", "500.00"]]


def plan():
    return validate_reconciliation(write_xlsx([SheetSpec("支付明细", HEADERS, ROWS)]), "直达.xlsx", 2024)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["district_officer", "district_admin"])
def test_a_batch_belongs_to_the_county(cast, county, who):
    batch = actions.commit_reconciliation(cast[who], plan())
    assert ReconciliationBatch.objects.get(pk=batch.pk).area == county


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["township_officer", "village_cadre"])
def test_it_refuses_a_batch_from_below_the_county_and_writes_nothing(cast, who):
    with pytest.raises(ValidationError) as e:
        actions.commit_reconciliation(cast[who], plan())
    assert e.value.messages == ["“鄂城区”不在您的管辖范围内"]
    assert (ReconciliationBatch.objects.count(), Difference.objects.count(), AuditEntry.objects.count()) == (
        0,
        0,
        0,
    )


@pytest.mark.django_db
def test_the_pages_find_batches_and_differences_through_the_scope(client, cast):
    batch = actions.commit_reconciliation(cast["district_officer"], plan())
    diff = batch.differences.get()
    client.force_login(cast["district_admin"])
    assert client.get(reverse("funds:reconcile_detail", args=[batch.public_id])).status_code == 200
    assert batch.filename in client.get(reverse("funds:reconcile")).content.decode()
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(reverse("funds:reconcile_detail", args=[missing])).status_code == 404
    assert (
        client.post(reverse("funds:difference_resolve", args=[diff.pk + 1]), {"note": "x"}).status_code == 404
    )
    client.force_login(cast["township_officer"])
    assert client.get(reverse("funds:reconcile_detail", args=[batch.public_id])).status_code == 403
    assert client.post(reverse("funds:difference_resolve", args=[diff.pk]), {"note": "x"}).status_code == 403
    assert Difference.objects.get(pk=diff.pk).is_resolved is False


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_batches_the_county(cast, county):
    before = [("funds", "0002_reconciliationbatch_area")]
    executor = MigrationExecutor(connection)
    after = executor.loader.graph.leaf_nodes("funds")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    batch = old.get_model("funds", "ReconciliationBatch").objects.create(
        year=2024, filename="旧.xlsx", row_count=1, imported_by_id=cast["district_officer"].pk
    )
    assert batch.area_id is None

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    assert ReconciliationBatch.objects.get(pk=batch.pk).area == county
