"""The editable wording of the leaflets: a fixed list of placeholders, checked and filled by hand.

A district admin edits a leaflet's title and body as plain text. Placeholders are names in braces,
`{户主姓名}` (full-width braces `｛户主姓名｝` work too); nothing else is interpreted, so an edited text can
never run template code or reach data that is not in `PLACEHOLDERS`. The body's lines are paragraphs;
a line wholly in 【】 is a section heading; a line starting with （1） or 1. is a list item. The
multi-line placeholders ({帮扶措施}, {帮扶政策}) stand alone on their line and become one list item each.

This module is plain Python: the values come from `leaflets.content`.
"""

import re
from dataclasses import dataclass

from zhenxing.reports.models import LeafletKind

BOTH = frozenset(LeafletKind.values)
ASSISTANCE = frozenset({LeafletKind.ASSISTANCE.value})

TITLE_MAX = 30
# Room to spare over the shipped wording (about 710 and 430 characters), yet the longest body the check
# accepts still prints on one A4 page, for 帮扶 with six measures and six policies (tested).
BODY_MAX = {LeafletKind.DECLARATION: 1100, LeafletKind.ASSISTANCE: 600}
LINES_MAX = {LeafletKind.DECLARATION: 30, LeafletKind.ASSISTANCE: 18}


@dataclass(frozen=True)
class Placeholder:
    name: str  # without braces
    description: str  # shown next to the editor
    kinds: frozenset[str] = BOTH  # the leaflet kinds that may use it
    multiline: bool = False  # expands to several list items; must stand alone on its line

    @property
    def token(self) -> str:
        return "{" + self.name + "}"


# fmt: off
PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("户主姓名", "户主的姓名（明白纸上只出现户主姓名，不出现其他家庭成员）"),
    Placeholder("所在村", "户所在的村（社区）和村民小组，如“新港村第一村民小组”"),
    Placeholder("村", "村（社区）名称"),
    Placeholder("乡镇", "乡镇（街道）名称"),
    Placeholder("区", "区名称，如“鄂城区”"),
    Placeholder("村委会", "如“新港村村民委员会”“××社区居民委员会”"),
    Placeholder("乡镇政府", "如“泽林镇人民政府”“××街道办事处”"),
    Placeholder("年度", "印制年度，如“2024”"),
    Placeholder("监测范围", "该年度的监测范围（年度政策参数），如“8300”，单位元/人·年"),
    Placeholder("监测范围名称", "年度政策参数中监测范围的名称，如“防止返贫监测范围”"),
    Placeholder("公示天数", "村内公示最少天数（年度政策参数），如“5”"),
    Placeholder("认定天数", "识别认定总时限（年度政策参数），如“15”"),
    Placeholder("消除前监测月数", "风险消除前最短监测时长（年度政策参数），如“6”"),
    Placeholder("热线名称", "咨询服务电话名称（年度政策参数）"),
    Placeholder("热线", "咨询服务电话号码（年度政策参数），如“12317”"),
    Placeholder("村联系人", "本村村干部账号的姓名和工作电话；本村没有村干部账号时为村委会名称"),
    Placeholder("帮扶责任人", "在办监测案件的帮扶责任人姓名和工作电话；尚未确定时写“尚未确定”"),
    Placeholder("申报网址", "系统设置的网上申报地址；未设置时写明向村委会申报"),
    Placeholder("监测对象类型", "如“边缘易致贫户”", ASSISTANCE),
    Placeholder("风险类型", "主要风险在前，如“因病、因学”", ASSISTANCE),
    Placeholder("纳入监测日期", "县级审定日期，如“2025年3月13日”", ASSISTANCE),
    Placeholder("帮扶措施", "该户的帮扶措施，每项一条（须单独占一行）", ASSISTANCE, multiline=True),
    Placeholder("帮扶政策", "这些措施所依据的帮扶政策，每类一条（须单独占一行）", ASSISTANCE, multiline=True),
)
# fmt: on
BY_NAME = {p.name: p for p in PLACEHOLDERS}

TOKEN = re.compile(r"[{｛]([^{}｛｝\n]{1,30})[}｝]")
HEADING = re.compile(r"^【[^【】]+】$")
ITEM = re.compile(r"^(?:[（(]\d{1,2}[）)]|\d{1,2}[.．、])")


def for_kind(kind: str) -> list[Placeholder]:
    return [p for p in PLACEHOLDERS if kind in p.kinds]


def normalize(text: str) -> str:
    """Unix line ends, no trailing spaces, no blank lines at either end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def _braces(name: str) -> str:
    return "{" + name + "}"


def check(kind: str, title: str, body: str) -> list[str]:
    """Every problem of an edited text, each a Chinese sentence naming what to fix; [] when it is fine."""
    kind_label = LeafletKind(kind).label
    errors = []
    title, body = title.strip(), normalize(body)
    if not title:
        errors.append("请填写标题")
    elif len(title) > TITLE_MAX:
        errors.append(f"标题最多{TITLE_MAX}个字，现有{len(title)}个字，请缩短")
    if not body.strip():
        errors.append("请填写正文")
    elif len(body) > BODY_MAX[kind]:
        errors.append(
            f"{kind_label}正文最多{BODY_MAX[kind]}个字（含标点），现有{len(body)}个字，"
            "请精简，以保证每户明白纸印在一页A4纸上"
        )
    lines = [line for line in body.split("\n") if line.strip()]
    if len(lines) > LINES_MAX[kind]:
        errors.append(f"{kind_label}正文最多{LINES_MAX[kind]}段，现有{len(lines)}段，请合并或删减")
    texts = [("标题", title), *((f"正文第{i}段", line) for i, line in enumerate(lines, start=1))]
    unknown, foreign, mixed, stray, multiline_in_title = [], [], [], [], []
    for where, text in texts:
        for match in TOKEN.finditer(text):
            name = match.group(1).strip()
            placeholder = BY_NAME.get(name)
            if placeholder is None:
                unknown.append(_braces(name))
            elif kind not in placeholder.kinds:
                foreign.append(placeholder.token)
            elif placeholder.multiline and (where == "标题" or text.strip() != match.group(0)):
                (multiline_in_title if where == "标题" else mixed).append(placeholder.token)
        if re.search(r"[{}｛｝]", TOKEN.sub("", text)):
            stray.append(where)
    if unknown:
        names = "、".join(dict.fromkeys(unknown))
        errors.append(f"有未知的占位符：{names}。请改用右侧列出的占位符（注意名称须完全一致），或删去花括号")
    if foreign:
        names = "、".join(dict.fromkeys(foreign))
        errors.append(f"{kind_label}不能使用占位符{names}：它们只用于帮扶政策明白纸，请删去")
    for token in dict.fromkeys(multiline_in_title):
        errors.append(f"占位符{token}会展开为多条，不能用在标题中，请移到正文并单独占一行")
    for token in dict.fromkeys(mixed):
        errors.append(f"占位符{token}会展开为多条，须单独占一行，请把同一行的其他文字移到另一行")
    if stray:
        errors.append(f"{'、'.join(stray)}有不成对的花括号，请补全占位符（如 {{户主姓名}}）或删去多余的括号")
    return errors


@dataclass(frozen=True)
class Block:
    text: str
    style: str  # "heading", "item" or "paragraph"


def _style(line: str) -> str:
    if HEADING.match(line):
        return "heading"
    return "item" if ITEM.match(line) else "paragraph"


def fill(text: str, values: dict[str, str | list[str]]) -> str:
    """One line of text with its single-line placeholders replaced (in one pass: values are never
    scanned again, so a name that looks like a placeholder prints as it is)."""

    def replace(match: re.Match) -> str:
        value = values.get(match.group(1).strip())
        return value if isinstance(value, str) else match.group(0)

    return TOKEN.sub(replace, text)


def blocks(body: str, values: dict[str, str | list[str]]) -> list[Block]:
    """The body as paragraphs, headings and list items, placeholders filled."""
    result = []
    for line in normalize(body).split("\n"):
        line = line.strip()
        if not line:
            continue
        match = TOKEN.fullmatch(line)
        items = values.get(match.group(1).strip()) if match else None
        if isinstance(items, list):
            result += [Block(item, "item") for item in items]
            continue
        text = fill(line, values)
        result.append(Block(text, _style(text)))
    return result
