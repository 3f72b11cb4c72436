"""Seed the national code lists (与户主关系, 文化程度, 在校生状况, …) into `registry.Code`. Re-runnable.

The lists are frozen here (migrations never import app code). Versions:
- "2021": the national system's labels since 2021 (national-formats §2.3); `is_current` rows are the
  ones offered in the import templates' drop-down lists.
- "2016": the 2016–2020 labels (national-formats §4) and how they map onto today's values.
- "platform": labels of the platform's own templates that the national list does not have (the
  coarse 在校生状况 stages; 脱贫户/一般农户 as 户类型).
- "alias": spellings seen in local files (儿子, 党员, 慢性病, 县外省内, …).

Decisions (documented in `registry/codes.py` as well):
- Relation labels that name a pair (之孙子女, 之父母, …) map to "male|female": the importer picks one by
  the person's sex, which comes from the ID number.
- 文化程度 学龄前儿童 (2016) is not an education level: it maps to blank, and the importer moves it to
  在校生状况 (学前). 大专及以上 → 大专.
- 在校生状况 is stored as the coarse stage the screening rules use: national grades map onto it
  (七年级 → 初中, 普通高中一年级 → 高中, 中职二年级 → 中职, 高职高专一年级 → 高职, 本科一年级 → 本科及以上,
  技师学院 → 中职 as 技工院校 count as secondary vocational education, 硕士 → 本科及以上); 非在校生 → blank;
  the 2016 student value 大专及以上 → 高职 (its lower bound: a 大专 is a 高职高专 student).
- 务工状况 2016 其他 → blank (it does not say where or whether the person worked).
"""

from django.db import migrations

MALE_FEMALE = "|"

RELATIONS_2021 = [
    "户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之外孙子", "之外孙女",
    "之父", "之母", "之岳父", "之岳母", "之公公", "之婆婆", "之祖父", "之祖母", "之外祖父", "之外祖母",
    "之兄弟姐妹", "之曾孙子", "之曾孙女", "之侄儿", "之侄女", "之兄弟媳妇", "之叔伯", "其他",
]
RELATIONS_2016 = RELATIONS_2021[:20] + ["其他"]
RELATION_ALIASES = {
    "本人": "户主", "妻子": "配偶", "妻": "配偶", "丈夫": "配偶", "夫": "配偶",
    "儿子": "之子", "子": "之子", "之儿子": "之子", "女儿": "之女", "之女儿": "之女",
    "儿媳": "之儿媳", "女婿": "之女婿", "孙子": "之孙子", "孙女": "之孙女",
    "外孙子": "之外孙子", "外孙": "之外孙子", "外孙女": "之外孙女",
    "父亲": "之父", "母亲": "之母", "岳父": "之岳父", "岳母": "之岳母", "公公": "之公公", "婆婆": "之婆婆",
    "祖父": "之祖父", "祖母": "之祖母", "外祖父": "之外祖父", "外祖母": "之外祖母",
    "兄弟姐妹": "之兄弟姐妹", "之兄弟": "之兄弟姐妹", "之姐妹": "之兄弟姐妹",
    "曾孙子": "之曾孙子", "曾孙女": "之曾孙女", "侄儿": "之侄儿", "侄子": "之侄儿", "之侄子": "之侄儿",
    "侄女": "之侄女", "兄弟媳妇": "之兄弟媳妇", "叔伯": "之叔伯", "其它": "其他",
    # Pairs: resolved by the person's sex (male|female).
    "之孙子女": "之孙子|之孙女", "孙子女": "之孙子|之孙女",
    "之外孙子女": "之外孙子|之外孙女", "外孙子女": "之外孙子|之外孙女",
    "之父母": "之父|之母", "父母": "之父|之母",
    "之岳父母": "之岳父|之岳母", "岳父母": "之岳父|之岳母",
    "之公婆": "之公公|之婆婆", "公婆": "之公公|之婆婆",
    "之祖父母": "之祖父|之祖母", "祖父母": "之祖父|之祖母",
    "之外祖父母": "之外祖父|之外祖母", "外祖父母": "之外祖父|之外祖母",
    "之曾孙子女": "之曾孙子|之曾孙女", "曾孙子女": "之曾孙子|之曾孙女",
    "之侄儿女": "之侄儿|之侄女", "之侄子女": "之侄儿|之侄女",
}

EDUCATION_2021 = ["文盲或半文盲", "小学", "初中", "高中", "大专", "本科及以上"]
EDUCATION_2016 = {
    "文盲或半文盲": "文盲或半文盲", "小学": "小学", "初中": "初中", "高中": "高中",
    "大专及以上": "大专",
    "学龄前儿童": "",  # not an education level: the importer moves it to 在校生状况 (学前)
}
EDUCATION_ALIASES = {
    "文盲": "文盲或半文盲", "半文盲": "文盲或半文盲", "中专": "高中", "中职": "高中", "职高": "高中",
    "技校": "高中", "专科": "大专", "本科": "本科及以上", "研究生": "本科及以上", "硕士": "本科及以上",
    "博士": "本科及以上",
}

SCHOOLING_CURRENT = ["学前", "小学", "初中", "高中", "中职", "高职", "本科及以上"]
SCHOOLING_2021 = {
    "学龄前儿童": "学前", "学前教育": "学前", "小学": "小学",
    "七年级": "初中", "八年级": "初中", "九年级": "初中",
    "普通高中一年级": "高中", "普通高中二年级": "高中", "普通高中三年级": "高中",
    "中职一年级": "中职", "中职二年级": "中职", "中职三年级": "中职",
    "高职高专一年级": "高职", "高职高专二年级": "高职", "高职高专三年级": "高职",
    "技师学院一年级": "中职", "技师学院二年级": "中职", "技师学院三年级": "中职", "技师学院四年级": "中职",
    "本科一年级": "本科及以上", "本科二年级": "本科及以上", "本科三年级": "本科及以上",
    "本科四年级": "本科及以上", "本科五年级": "本科及以上", "硕士研究生及以上": "本科及以上",
}
SCHOOLING_2016 = {
    "非在校生": "", "学前教育": "学前", "小学": "小学", "七年级": "初中", "八年级": "初中", "九年级": "初中",
    "高中一年级": "高中", "高中二年级": "高中", "高中三年级": "高中",
    "中职一年级": "中职", "中职二年级": "中职", "中职三年级": "中职",
    "高职一年级": "高职", "高职二年级": "高职", "高职三年级": "高职",
    "大专及以上": "高职",
}
SCHOOLING_ALIASES = {
    "学龄前": "学前", "幼儿园": "学前", "一年级": "小学", "二年级": "小学", "三年级": "小学", "四年级": "小学",
    "五年级": "小学", "六年级": "小学", "初一": "初中", "初二": "初中", "初三": "初中",
    "高一": "高中", "高二": "高中", "高三": "高中", "普通高中": "高中", "高中(含职业高中、技校)": "高中",
    "中专": "中职", "职高": "中职", "技校": "中职", "技师学院": "中职", "高职高专": "高职", "大专": "高职",
    "本科": "本科及以上", "研究生": "本科及以上", "非在校学生": "", "不在校": "", "否": "",
}

HEALTH = ["健康", "长期慢性病", "患有大病", "残疾"]
HEALTH_ALIASES = {"慢性病": "长期慢性病", "大病": "患有大病", "重病": "患有大病", "残疾人": "残疾"}

LABOUR_2021 = ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"]
LABOUR_2016 = ["普通劳动力", "技能劳动力", "丧失劳动力", "无劳动力"]
LABOUR_ALIASES = {"弱劳动力": "弱劳动力或半劳动力", "半劳动力": "弱劳动力或半劳动力"}

EMPLOYMENT_CURRENT = ["省外务工", "省内县外务工", "县内务工", "乡镇内务工", "未务工"]
EMPLOYMENT_2016 = {
    "乡（镇）内务工": "乡镇内务工", "乡（镇）外县内务工": "县内务工", "县外省内务工": "省内县外务工",
    "省外务工": "省外务工",
    "其他": "",  # says neither where nor whether the person worked
}
EMPLOYMENT_ALIASES = {
    "省外": "省外务工", "国外": "省外务工", "境外": "省外务工", "国外务工": "省外务工",
    "县外省内": "省内县外务工", "省内县外": "省内县外务工", "省内": "省内县外务工",
    "县内": "县内务工", "乡外县内": "县内务工", "县内乡外": "县内务工", "乡镇外县内": "县内务工",
    "乡(镇)外县内": "县内务工",
    "乡内": "乡镇内务工", "镇内": "乡镇内务工", "乡镇内": "乡镇内务工", "乡(镇)内": "乡镇内务工",
    "无": "未务工", "未外出务工": "未务工", "不务工": "未务工",
}

POLITICAL = ["中共党员", "中共预备党员", "共青团员", "群众"]
POLITICAL_ALIASES = {"党员": "中共党员", "预备党员": "中共预备党员", "团员": "共青团员", "共青团": "共青团员"}

# 户类型: canonical values are the platform's HouseholdKind values.
KIND_CURRENT = {"脱贫户": "lifted", "一般农户": "ordinary"}
KIND_2021 = {"一般脱贫户": "lifted", "低保脱贫户": "lifted", "特困供养脱贫户": "lifted"}
KIND_2016 = {
    "低保特困供养贫困户": "lifted", "一般贫困户": "lifted", "低保贫困户": "lifted", "五保贫困户": "lifted",
    "特困供养贫困户": "lifted",
    # 2016–2020 脱贫标志 (exported as 脱贫属性): every such household was a registered poor household.
    "脱贫": "lifted", "已脱贫": "lifted", "未脱贫": "lifted", "预脱贫": "lifted", "返贫": "lifted",
}
KIND_ALIASES = {
    "建档立卡户": "lifted", "建档立卡贫困户": "lifted", "贫困户": "lifted", "脱贫不稳定户": "lifted",
    "一般户": "ordinary", "普通农户": "ordinary", "非贫困户": "ordinary", "农户": "ordinary",
}

# 脱贫属性 (Household.lifted_attribute); "" = a valid 脱贫属性 cell that names no attribute.
ATTRIBUTE_2021 = ["一般脱贫户", "低保脱贫户", "特困供养脱贫户"]
ATTRIBUTE_2016 = {
    "低保特困供养贫困户": "低保特困供养贫困户", "一般贫困户": "一般脱贫户", "低保贫困户": "低保脱贫户",
    "五保贫困户": "特困供养脱贫户", "特困供养贫困户": "特困供养脱贫户",
    "脱贫": "", "已脱贫": "", "未脱贫": "", "预脱贫": "", "返贫": "",
}
ATTRIBUTE_ALIASES = {"脱贫户": ""}


def rows():
    """(item, version, label, canonical, is_current) in position order per item."""

    def same(item, version, labels, current):
        return [(item, version, label, label, current) for label in labels]

    def mapped(item, version, mapping, current=False):
        return [(item, version, label, canonical, current) for label, canonical in mapping.items()]

    return [
        *same("relation", "2021", RELATIONS_2021, True),
        *same("relation", "2016", RELATIONS_2016, False),
        *mapped("relation", "alias", RELATION_ALIASES),
        *same("education", "2021", EDUCATION_2021, True),
        *mapped("education", "2016", EDUCATION_2016),
        *mapped("education", "alias", EDUCATION_ALIASES),
        *same("schooling", "platform", SCHOOLING_CURRENT, True),
        *mapped("schooling", "2021", SCHOOLING_2021),
        *mapped("schooling", "2016", SCHOOLING_2016),
        *mapped("schooling", "alias", SCHOOLING_ALIASES),
        *same("health", "2021", HEALTH, True),
        *same("health", "2016", HEALTH, False),
        *mapped("health", "alias", HEALTH_ALIASES),
        *same("labour_capacity", "2021", LABOUR_2021, True),
        *same("labour_capacity", "2016", LABOUR_2016, False),
        *mapped("labour_capacity", "alias", LABOUR_ALIASES),
        *same("employment", "platform", EMPLOYMENT_CURRENT, True),
        *mapped("employment", "2016", EMPLOYMENT_2016),
        *mapped("employment", "alias", EMPLOYMENT_ALIASES),
        *same("political_status", "2021", POLITICAL, True),
        *mapped("political_status", "alias", POLITICAL_ALIASES),
        *mapped("household_kind", "platform", KIND_CURRENT, True),
        *mapped("household_kind", "2021", KIND_2021),
        *mapped("household_kind", "2016", KIND_2016),
        *mapped("household_kind", "alias", KIND_ALIASES),
        *same("lifted_attribute", "2021", ATTRIBUTE_2021, True),
        *mapped("lifted_attribute", "2016", ATTRIBUTE_2016),
        *mapped("lifted_attribute", "alias", ATTRIBUTE_ALIASES),
    ]


def load(apps, schema_editor):
    Code = apps.get_model("registry", "Code")
    positions: dict[tuple[str, str], int] = {}
    for item, version, label, canonical, current in rows():
        position = positions[(item, version)] = positions.get((item, version), 0) + 1
        Code.objects.update_or_create(
            item=item,
            version=version,
            label=label,
            defaults={"canonical": canonical, "position": position, "is_current": current},
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
