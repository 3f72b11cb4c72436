"""Reconciliation batches made before they carried an area get the county of the user who imported
them (only district users reconcile, so that is the county itself). Re-runnable: only empty areas."""

from django.db import migrations


def set_county(apps, schema_editor):
    Area = apps.get_model("areas", "Area")
    ReconciliationBatch = apps.get_model("funds", "ReconciliationBatch")
    missing = ReconciliationBatch.objects.filter(area__isnull=True)
    for code in set(missing.values_list("imported_by__area__code", flat=True)):
        county = Area.objects.get(code=code[:6])
        missing.filter(imported_by__area__code=code).update(area=county)


class Migration(migrations.Migration):
    dependencies = [("funds", "0002_reconciliationbatch_area")]
    operations = [migrations.RunPython(set_county, migrations.RunPython.noop)]
