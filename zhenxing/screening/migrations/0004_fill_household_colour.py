from django.db import migrations


def fill_colour(apps, schema_editor):
    """Fill the households' risk-colour columns (added by registry 0006) from the warnings, leads and cases:
    `colour.refresh_all`, which looks only at the households the colour rule names."""
    from zhenxing.screening.colour import refresh_all

    refresh_all()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_household_income_and_colour"),
        ("cases", "0003_case_household_members"),
        ("screening", "0003_feed_row_hash_kind_index"),
    ]

    operations = [migrations.RunPython(fill_colour, migrations.RunPython.noop, elidable=True)]
