"""Ship 鄂城区 (420704) and its 14 township-level units, per the Ministry of Civil Affairs list of
2025-12-31. Villages are added by the district (UI or `zhenxing import areas`). Re-runnable."""

from django.db import migrations

COUNTY = ("420704", "鄂城区")
TOWNSHIPS = [
    ("420704001", "凤凰街道"),
    ("420704002", "古楼街道"),
    ("420704003", "西山街道"),
    ("420704004", "樊口街道"),
    ("420704100", "泽林镇"),
    ("420704101", "杜山镇"),
    ("420704102", "新庙镇"),
    ("420704103", "碧石渡镇"),
    ("420704104", "汀祖镇"),
    ("420704105", "燕矶镇"),
    ("420704106", "杨叶镇"),
    ("420704107", "花湖镇"),
    ("420704108", "长港镇"),
    ("420704200", "沙窝乡"),
]


def load(apps, schema_editor):
    Area = apps.get_model("areas", "Area")
    county, _ = Area.objects.get_or_create(code=COUNTY[0], defaults={"name": COUNTY[1], "level": "county"})
    for code, name in TOWNSHIPS:
        Area.objects.get_or_create(code=code, defaults={"name": name, "level": "township", "parent": county})


class Migration(migrations.Migration):
    dependencies = [("areas", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
