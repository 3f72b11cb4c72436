import pytest
from django.core.exceptions import ValidationError

from zhenxing.areas import actions
from zhenxing.areas.models import Area
from zhenxing.audit.models import AuditEntry


@pytest.mark.django_db
def test_it_ships_echeng_and_its_fourteen_townships(county):
    assert (county.code, county.name, county.level) == ("420704", "鄂城区", "county")
    townships = list(Area.objects.filter(parent=county).values_list("code", "name"))
    assert townships == [
        ("420704001", "凤凰街道"), ("420704002", "古楼街道"), ("420704003", "西山街道"), ("420704004", "樊口街道"),
        ("420704100", "泽林镇"), ("420704101", "杜山镇"), ("420704102", "新庙镇"), ("420704103", "碧石渡镇"),
        ("420704104", "汀祖镇"), ("420704105", "燕矶镇"), ("420704106", "杨叶镇"), ("420704107", "花湖镇"),
        ("420704108", "长港镇"), ("420704200", "沙窝乡"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_it_adds_a_village_and_audits_it(cast, township):
    area = actions.add_area(cast["district_admin"], township, "420704100202", " 月山村 ")
    assert (area.code, area.name, area.level, area.parent, area.full_name) == (
        "420704100202",
        "月山村",
        "village",
        township,
        "鄂城区泽林镇月山村",
    )
    entry = AuditEntry.objects.get(action="add_area")
    assert (entry.area_code, entry.changes) == (
        "420704100202",
        {"code": [None, "420704100202"], "name": [None, "月山村"]},
    )


@pytest.mark.parametrize(
    "code, message",
    [
        ("42070410020", "村/社区的区划代码应为12位数字，当前为“42070410020”"),
        ("42070410020x", "村/社区的区划代码应为12位数字，当前为“42070410020x”"),
        ("420704101202", "区划代码 420704101202 应以上级“泽林镇”的代码 420704100 开头"),
        ("420704100000", "区划代码 420704100000 的本级部分不能全为0"),
        ("420704100201", "区划代码 420704100201 已存在"),
    ],
)
@pytest.mark.django_db
def test_it_refuses_bad_codes_and_writes_nothing(cast, township, code, message):
    count = Area.objects.count()
    with pytest.raises(ValidationError) as e:
        actions.add_area(cast["district_admin"], township, code, "某村")
    assert e.value.messages == [message]
    assert Area.objects.count() == count
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_it_adds_a_group_under_a_village_but_nothing_under_a_group(cast, village):
    group = actions.add_area(cast["district_admin"], village, "420704100201001", "第一村民小组")
    assert group.level == "group"
    with pytest.raises(ValidationError) as e:
        actions.add_area(cast["district_admin"], group, "420704100201001001", "x")
    assert e.value.messages == ["“第一村民小组”是村民小组，不能再添加下级"]


@pytest.mark.django_db
def test_it_refuses_to_delete_an_area_with_records_and_keeps_it(cast, village):
    with pytest.raises(ValidationError) as e:
        actions.delete_area(cast["district_admin"], village)  # the village cadre belongs to it
    assert "不能删除" in e.value.messages[0]
    assert Area.objects.filter(code=village.code).exists()
    assert not AuditEntry.objects.filter(action="delete_area").exists()


@pytest.mark.django_db
def test_it_deletes_an_unused_area_with_an_audit_row(cast, township):
    area = actions.add_area(cast["district_admin"], township, "420704100209", "空村")
    actions.delete_area(cast["district_admin"], area)
    assert not Area.objects.filter(code="420704100209").exists()
    assert AuditEntry.objects.get(action="delete_area").changes == {
        "code": ["420704100209", None],
        "name": ["空村", None],
    }


@pytest.mark.django_db
def test_it_retires_a_subtree_but_not_while_active_users_belong_to_it(cast, village):
    admin = cast["district_admin"]
    group = actions.add_area(admin, village, "420704100201001", "一组")
    with pytest.raises(ValidationError) as e:
        actions.retire_area(admin, village)
    assert e.value.messages == [
        "该区划下还有在用账户（xingang（xingang）），请先调整这些用户的所属区划或停用账户"
    ]
    assert Area.objects.get(pk=village.pk).is_active is True

    cast["village_cadre"].is_active = False
    cast["village_cadre"].save()
    assert actions.retire_area(admin, village) == 2
    group.refresh_from_db()
    assert (village.is_active, group.is_active) == (False, False)
    with pytest.raises(ValidationError):
        actions.add_area(admin, village, "420704100201002", "二组")
    actions.restore_area(admin, village)
    assert Area.objects.get(pk=village.pk).is_active is True
    assert list(AuditEntry.objects.filter(object_id=str(village.pk)).values_list("action", flat=True)) == [
        "retire_area",
        "restore_area",
    ]


@pytest.mark.django_db
def test_it_renames_with_before_and_after(cast, village):
    actions.rename_area(cast["district_admin"], village, "新港社区")
    assert Area.objects.get(pk=village.pk).name == "新港社区"
    assert AuditEntry.objects.get(action="rename_area").changes == {"name": ["新港村", "新港社区"]}
