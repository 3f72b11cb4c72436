"""The editable wording of the 明白纸: the fixed placeholder list, the versioned and audited save, the
editor with its preview, and the promise that the longest accepted text still prints on one page."""

import importlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.cases.models import MeasureCategory, MeasureStatus
from zhenxing.reports.actions import save_leaflet_template
from zhenxing.reports.leaflets import content, placeholders
from zhenxing.reports.leaflets.placeholders import BODY_MAX, LINES_MAX, Block, blocks, check
from zhenxing.reports.models import LeafletKind, LeafletTemplate
from zhenxing.reports.tests.test_leaflets import flat, leaflet, make_household, monitored_with_measures

SEED = importlib.import_module("zhenxing.reports.migrations.0002_seed_leaflet_templates")
D, A = LeafletKind.DECLARATION, LeafletKind.ASSISTANCE


# --- the placeholder check (plain Python) ---------------------------------------------------------


def test_it_names_every_unknown_placeholder_in_chinese():
    assert check(D, "{户主名}的明白纸", "请联系{村干部}或{村干部}，电话{热线}") == [
        "有未知的占位符：{户主名}、{村干部}。请改用右侧列出的占位符（注意名称须完全一致），或删去花括号"
    ]


def test_it_refuses_assistance_placeholders_on_the_declaration_leaflet():
    assert check(D, "标题", "{帮扶措施}\n{帮扶政策}\n{监测对象类型}") == [
        "申报政策明白纸不能使用占位符{帮扶措施}、{帮扶政策}、{监测对象类型}：它们只用于帮扶政策明白纸，请删去"
    ]
    assert check(A, "标题", "{帮扶措施}\n{帮扶政策}\n{监测对象类型}") == []


def test_it_wants_list_placeholders_on_a_line_of_their_own_and_braces_in_pairs():
    assert check(A, "{帮扶措施}", "措施：{帮扶措施}\n{户主姓名 户\n多余}") == [
        "占位符{帮扶措施}会展开为多条，不能用在标题中，请移到正文并单独占一行",
        "占位符{帮扶措施}会展开为多条，须单独占一行，请把同一行的其他文字移到另一行",
        "正文第2段、正文第3段有不成对的花括号，请补全占位符（如 {户主姓名}）或删去多余的括号",
    ]


def test_it_refuses_template_syntax_and_prints_it_as_text_if_ever_stored():
    assert check(D, "标题", "{{ settings.SECRET_KEY }}\n{% now 'Y' %}") == [
        "有未知的占位符：{settings.SECRET_KEY}、{% now 'Y' %}。请改用右侧列出的占位符（注意名称须完全一致），或删去花括号",
        "正文第1段有不成对的花括号，请补全占位符（如 {户主姓名}）或删去多余的括号",
    ]
    # Substitution is one pass over the fixed names: nothing else is ever interpreted.
    values = {"户主姓名": "{热线}", "热线": "12317"}
    assert blocks("{% now 'Y' %}{{ x }}\n{户主姓名}户，拨打{热线}", values) == [
        Block("{% now 'Y' %}{{ x }}", "paragraph"),
        Block("{热线}户，拨打12317", "paragraph"),
    ]


def test_it_accepts_full_width_braces_and_reads_headings_and_items():
    assert check(D, "｛户主姓名｝户", "【怎样申报】\n（1）拨打｛热线｝") == []
    values = {"户主姓名": "张三", "热线": "12317", "帮扶措施": ["（1）甲", "（2）乙"]}
    assert blocks("【怎样申报】\n\n（1）拨打｛热线｝\n1. 第二条\n{帮扶措施}\n正文", values) == [
        Block("【怎样申报】", "heading"),
        Block("（1）拨打12317", "item"),
        Block("1. 第二条", "item"),
        Block("（1）甲", "item"),
        Block("（2）乙", "item"),
        Block("正文", "paragraph"),
    ]


def test_it_limits_the_title_and_the_body_of_each_kind():
    assert check(D, "题" * 31, "正文") == ["标题最多30个字，现有31个字，请缩短"]
    assert check(A, "标题", "字" * 601) == [
        "帮扶政策明白纸正文最多600个字（含标点），现有601个字，请精简，以保证每户明白纸印在一页A4纸上"
    ]
    assert check(D, "标题", "\n".join(["段"] * 31)) == ["申报政策明白纸正文最多30段，现有31段，请合并或删减"]
    assert check(D, " ", "\n \n") == ["请填写标题", "请填写正文"]


def test_the_shipped_wording_passes_the_check_and_is_seeded_as_version_one(db):
    for kind, (title, body) in SEED.TEMPLATES.items():
        assert check(kind, title, body) == []
        row = LeafletTemplate.objects.get(kind=kind)
        assert (row.version, row.title, row.body, row.created_by) == (1, title, body, None)
        used = {m.group(1) for m in placeholders.TOKEN.finditer(body)}
        assert used <= {p.name for p in placeholders.for_kind(kind)}
    assert {"监测范围", "热线", "村联系人", "公示天数", "认定天数"} <= {
        m.group(1) for m in placeholders.TOKEN.finditer(SEED.DECLARATION_BODY)
    }


# --- saving (the action) ---------------------------------------------------------------------------

NEW_BODY = "{户主姓名}户：\n【新政策】\n政策措辞已调整，请拨打{热线}咨询。"


def test_it_saves_a_new_version_with_an_audit_row_and_prints_from_it(cast, village):
    household = make_household(cast, village)
    admin = cast["district_admin"]
    first = LeafletTemplate.objects.get(kind=D)
    saved = save_leaflet_template(
        admin,
        D,
        title="申报政策明白纸（2025年版）",
        body=NEW_BODY + "\r\n",
        reason="省级文件调整",
        expected_version=first.pk,
    )
    assert (saved.version, saved.body, saved.created_by, saved.label) == (
        2,
        NEW_BODY,
        admin,
        "申报政策明白纸第2版",
    )
    entry = AuditEntry.objects.get(action="save_leaflet_template")
    assert (entry.actor, entry.object_type, entry.object_id, entry.area_code) == (
        admin,
        "reports.leaflettemplate",
        str(saved.pk),
        "420704",
    )
    assert entry.changes == {
        "title": [first.title, "申报政策明白纸（2025年版）"],
        "body": [first.body, NEW_BODY],
        "reason": [None, "省级文件调整"],
    }
    _, [page] = leaflet(D, household)
    assert "申报政策明白纸（2025年版）户主张三" in flat(page)
    assert "张三户：【新政策】政策措辞已调整，请拨打12317咨询。咨询申报电话" in flat(page)
    assert LeafletTemplate.objects.filter(kind=D).count() == 2
    with pytest.raises(PermissionError):
        saved.save()


@pytest.mark.parametrize(
    ("who", "values", "refusal", "message"),
    [
        ("district_officer", {}, PermissionDenied, "您的角色无权修改明白纸模板，请联系区级管理员"),
        ("district_admin", {"body": "{户主}户"}, ValidationError, "有未知的占位符：{户主}。"),
        ("district_admin", {"reason": " "}, ValidationError, "请填写修改原因（如政策调整的文件名称）"),
        (
            "district_admin",
            {"expected_version": 0},
            ValidationError,
            "申报政策明白纸第1版已由他人保存，请刷新页面，在最新版本上重新修改",
        ),
        (
            "district_admin",
            {"body": SEED.DECLARATION_BODY, "title": SEED.DECLARATION_TITLE},
            ValidationError,
            "标题和正文都没有变化，无需保存",
        ),
    ],
)
def test_a_refused_save_writes_nothing(cast, who, values, refusal, message):
    audit_rows = AuditEntry.objects.count()
    arguments = {"title": "新标题", "body": NEW_BODY, "reason": "调整", **values}
    with pytest.raises(refusal) as refused:
        save_leaflet_template(cast[who], D, **arguments)
    said = refused.value.messages[0] if refusal is ValidationError else str(refused.value)
    assert said.startswith(message)
    assert LeafletTemplate.objects.filter(kind=D).count() == 1
    assert AuditEntry.objects.count() == audit_rows


# --- the editor ------------------------------------------------------------------------------------


def edit_url(kind=D) -> str:
    return reverse("reports:leaflet_template", kwargs={"kind": kind})


def test_the_editor_previews_with_a_made_up_household_without_saving(admin_client):
    first = LeafletTemplate.objects.get(kind=A)
    page = admin_client.get(edit_url(A)).content.decode()
    assert "<code>{帮扶措施}</code>" in page and "当前使用帮扶政策明白纸第1版（平台预置" in page
    form = {"title": "帮扶明白纸", "body": "{户主姓名}户：\n{帮扶措施}", "based_on": first.pk}
    preview = admin_client.post(edit_url(A), {**form, "action": "preview"}).content.decode()
    assert "预览（示例户：王某某，示例镇示例村第一村民小组）" in preview
    assert "<p>（1）健康帮扶：落实城乡居民医保参保资助和医疗救助（区医保局，已落实）</p>" in preview
    pdf = admin_client.post(edit_url(A), {**form, "action": "pdf"})
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    wrong = admin_client.post(edit_url(A), {**form, "body": "{户主}户", "action": "preview"}).content.decode()
    assert "有未知的占位符：{户主}。" in wrong and "预览（示例户" not in wrong
    assert LeafletTemplate.objects.filter(kind=A).count() == 1
    assert not AuditEntry.objects.filter(action="save_leaflet_template").exists()


def test_the_editor_saves_a_new_version(admin_client):
    first = LeafletTemplate.objects.get(kind=A)
    form = {
        "title": "帮扶明白纸",
        "body": "{户主姓名}户：\n{帮扶措施}",
        "based_on": first.pk,
        "reason": "精简",
    }
    response = admin_client.post(edit_url(A), {**form, "action": "save"})
    assert response.status_code == 302 and response["Location"] == reverse("reports:leaflet_index")
    assert LeafletTemplate.objects.filter(kind=A).order_by("-version").first().title == "帮扶明白纸"
    missing = admin_client.post(edit_url(A), {**form, "reason": "", "action": "save"}).content.decode()
    assert "请填写修改原因（如政策调整的文件名称）" in missing
    assert admin_client.get(edit_url("other")).status_code == 404


# --- one page, whatever the editor accepts -----------------------------------------------------------


def longest_body(kind: str, paragraph: int = 57) -> str:
    """The most the check accepts, in paragraphs one character longer than a compact line."""
    lines = ["{帮扶措施}", "{帮扶政策}"] if kind == A else []
    while len("\n".join([*lines, "字" * paragraph])) <= BODY_MAX[kind] and len(lines) < LINES_MAX[kind]:
        lines.append("字" * paragraph)
    body = "\n".join(lines)
    assert check(kind, "题" * 30, body) == []
    return body


def test_the_longest_accepted_text_prints_on_one_page(cast, village):
    household = make_household(cast, village)
    heavy = [
        (category, "落实" + "帮扶措施" * 20, "区" + "有关部门" * 10, MeasureStatus.IN_PROGRESS)
        for category in list(MeasureCategory)[:6]
    ]
    monitored_with_measures(cast, household, heavy)
    for kind in (D, A):
        save_leaflet_template(
            cast["district_admin"], kind, title="题" * 30, body=longest_body(kind), reason="测试"
        )
        _, pages = leaflet(kind, household)
        assert len(pages) == 1, kind
    assert "（6）" in flat(pages[0]) and content.MEASURES_MAX == 6
