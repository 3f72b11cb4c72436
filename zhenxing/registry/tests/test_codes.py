"""Code lists as data: the seeded table, label → stored value across versions, the cache."""

import importlib

import pytest
from django.apps import apps as global_apps

from zhenxing.registry import codes
from zhenxing.registry.models import Code

pytestmark = pytest.mark.django_db

seed = importlib.import_module("zhenxing.registry.migrations.0002_seed_national_code_lists")


@pytest.fixture(autouse=True)
def fresh_cache():
    codes.clear_cache()
    yield
    codes.clear_cache()


def test_it_offers_the_28_national_relations_in_list_order():
    labels = codes.current_labels("relation")
    assert len(labels) == 28
    assert labels[:4] == ["户主", "配偶", "之子", "之女"]
    assert labels[-3:] == ["之兄弟媳妇", "之叔伯", "其他"]


def test_it_maps_the_old_21_relations_onto_the_same_values():
    old = Code.objects.filter(item="relation", version="2016").order_by("position")
    assert old.count() == 21
    assert all(codes.canonical("relation", c.label) == c.label for c in old)


def test_it_resolves_a_pair_label_by_the_persons_sex():
    assert codes.canonical("relation", "之孙子女", sex="男") == "之孙子"
    assert codes.canonical("relation", "之孙子女", sex="女") == "之孙女"
    assert codes.canonical("relation", "之父母", sex="女") == "之母"
    assert codes.canonical("relation", "之孙子女") == "之孙子|之孙女"


def test_it_maps_old_education_labels():
    assert codes.canonical("education", "大专及以上") == "大专"
    assert codes.canonical("education", "学龄前儿童") == ""  # moved to 在校生状况 by the importer
    assert codes.canonical("education", "本科及以上") == "本科及以上"
    assert codes.current_labels("education") == ["文盲或半文盲", "小学", "初中", "高中", "大专", "本科及以上"]


@pytest.mark.parametrize(
    "label, stored",
    [
        ("七年级", "初中"),
        ("普通高中一年级", "高中"),
        ("中职二年级", "中职"),
        ("高职高专一年级", "高职"),
        ("本科一年级", "本科及以上"),
        ("硕士研究生及以上", "本科及以上"),
        ("技师学院三年级", "中职"),
        ("学龄前儿童", "学前"),
        ("学前教育", "学前"),
        ("非在校生", ""),
        ("高中二年级", "高中"),
        ("高中（含职业高中、技校）", "高中"),
        ("小学", "小学"),
    ],
)
def test_it_maps_national_grades_onto_the_coarse_schooling_stage(label, stored):
    assert codes.canonical("schooling", label) == stored


def test_it_offers_the_coarse_schooling_stages():
    assert codes.current_labels("schooling") == ["学前", "小学", "初中", "高中", "中职", "高职", "本科及以上"]


def test_it_reads_the_old_four_value_labour_list_and_aliases():
    assert [
        codes.canonical("labour_capacity", v) for v in ("普通劳动力", "技能劳动力", "丧失劳动力", "无劳动力")
    ] == [
        "普通劳动力",
        "技能劳动力",
        "丧失劳动力",
        "无劳动力",
    ]
    assert codes.canonical("labour_capacity", "半劳动力") == "弱劳动力或半劳动力"
    assert codes.canonical("labour_capacity", "全劳动力") is None


def test_it_orders_multi_valued_health_canonically():
    assert codes.canonical_multi("health", "残疾，长期慢性病") == ("长期慢性病,残疾", [])
    assert codes.canonical_multi("health", "患有大病,残疾,患有大病") == ("患有大病,残疾", [])
    assert codes.canonical_multi("health", "残疾、感冒") == ("残疾", ["感冒"])


def test_it_maps_employment_of_2016_and_full_width_brackets():
    assert codes.canonical("employment", "乡（镇）外县内务工") == "县内务工"
    assert codes.canonical("employment", "乡(镇)内务工") == "乡镇内务工"
    assert codes.canonical("employment", "县外省内务工") == "省内县外务工"
    assert codes.canonical("employment", "其他") == ""


def test_it_reads_household_kinds_and_lifted_attributes():
    for label in ("脱贫户", "一般脱贫户", "低保脱贫户", "特困供养脱贫户", "低保特困供养贫困户"):
        assert codes.canonical("household_kind", label) == "lifted"
    assert codes.canonical("household_kind", "一般农户") == "ordinary"
    assert codes.canonical("lifted_attribute", "低保贫困户") == "低保脱贫户"
    assert codes.canonical("lifted_attribute", "低保特困供养贫困户") == "低保特困供养贫困户"
    assert codes.current_labels("household_kind") == ["脱贫户", "一般农户"]
    assert codes.current_labels("lifted_attribute") == ["一般脱贫户", "低保脱贫户", "特困供养脱贫户"]


def test_it_reads_political_status_aliases():
    assert codes.canonical("political_status", "党员") == "中共党员"
    assert codes.current_labels("political_status") == ["中共党员", "中共预备党员", "共青团员", "群众"]


def test_no_label_means_two_things_within_an_item():
    seen: dict[tuple[str, str], str] = {}
    for item, label, canonical in Code.objects.values_list("item", "label", "canonical"):
        key = (item, codes.normalize_label(label))
        assert seen.setdefault(key, canonical) == canonical, key


def test_the_seed_is_rerunnable():
    before = list(Code.objects.order_by("item", "version", "label").values_list())
    seed.load(global_apps, None)
    seed.load(global_apps, None)
    assert list(Code.objects.order_by("item", "version", "label").values_list()) == before


def test_a_new_version_is_data_and_shows_after_the_cache_is_cleared():
    assert codes.canonical("relation", "之堂兄弟") is None
    Code.objects.create(item="relation", version="2025", label="之堂兄弟", canonical="其他", position=1)
    assert codes.canonical("relation", "之堂兄弟") is None  # cached
    codes.clear_cache()
    assert codes.canonical("relation", "之堂兄弟") == "其他"


def test_it_refuses_an_unknown_item():
    with pytest.raises(ValueError):
        codes.canonical("colour", "红")
