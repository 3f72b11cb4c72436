"""The measure catalogue of the household plan (一户一策, policy §1.8).

For each `MeasureCategory`: what it is, example measures, the risk types it answers, and whether it is
a development measure (开发式帮扶: 产业, 就业, 公益性岗位, 小额信贷) or the safety net (兜底: 综合保障).
`suggest(case)` proposes categories for a case from its risks (main risk first) and from the labour
capacity of its current members: labour-capable households get development measures; a household
with no labour gets 综合保障（兜底） first and no development measures (§1.8: 有劳动能力 → 开发式帮扶;
无劳动能力 → 兜底保障).
"""

from dataclasses import dataclass

from zhenxing.cases import rules
from zhenxing.cases.models import Case, MeasureCategory, RiskType

C = MeasureCategory

# Which categories answer which risk, in the order they are suggested.
RISK_CATEGORIES: dict[str, tuple[str, ...]] = {
    RiskType.ILLNESS: (C.HEALTH, C.SAFETY_NET),
    RiskType.EDUCATION: (C.EDUCATION,),
    RiskType.DISABILITY: (C.SAFETY_NET, C.HEALTH),
    RiskType.DISASTER: (C.HOUSING, C.SOCIAL),
    RiskType.ACCIDENT: (C.HEALTH, C.SOCIAL),
    RiskType.BUSINESS_FAILURE: (C.INDUSTRY, C.MICROCREDIT),
    RiskType.UNSTABLE_EMPLOYMENT: (C.EMPLOYMENT, C.PUBLIC_WELFARE_JOB),
    RiskType.LABOUR_SHORTAGE: (C.SAFETY_NET, C.PUBLIC_WELFARE_JOB),
    RiskType.HOUSING: (C.HOUSING,),
    RiskType.WATER: (C.WATER,),
    RiskType.OTHER: (C.OTHER,),
}
DEVELOPMENT = (C.INDUSTRY, C.EMPLOYMENT, C.PUBLIC_WELFARE_JOB, C.MICROCREDIT)
SAFETY_NET = C.SAFETY_NET

LABOUR_REASON = "家庭有劳动能力成员，优先开发式帮扶"
NO_LABOUR_REASON = "整户无劳动力，落实低保、特困供养等兜底保障"


@dataclass(frozen=True)
class Entry:
    category: str
    label: str
    description: str
    examples: tuple[str, ...]
    risks: tuple[str, ...]  # RiskType values it answers

    @property
    def is_development(self) -> bool:
        return self.category in DEVELOPMENT

    @property
    def is_safety_net(self) -> bool:
        return self.category == SAFETY_NET

    @property
    def kind_label(self) -> str:
        if self.is_development:
            return "开发式帮扶"
        return "兜底保障" if self.is_safety_net else "专项帮扶"

    @property
    def risk_labels(self) -> list[str]:
        return [RiskType(r).label for r in self.risks]


_TEXT: dict[str, tuple[str, tuple[str, ...]]] = {
    C.INDUSTRY: (
        "支持发展种养殖、庭院经济等增收产业，给予产业奖补、技术指导或由经营主体带动。",
        ("产业发展奖补", "种养殖技术指导", "经营主体联农带农", "消费帮扶助销"),
    ),
    C.EMPLOYMENT: (
        "帮助有劳动能力的成员稳定就业：技能培训、岗位推荐、务工交通补贴和就业奖补。",
        ("职业技能培训", "就业岗位推荐", "务工交通补贴", "稳岗就业奖补"),
    ),
    C.PUBLIC_WELFARE_JOB: (
        "为有一定劳动能力、难以外出务工的成员安排乡村公益性岗位，按协议发放报酬。",
        ("村级保洁员", "护林员", "护路员", "光伏收益设置的公益岗位"),
    ),
    C.MICROCREDIT: (
        "脱贫人口小额信贷（监测对象参照执行），免担保免抵押、财政贴息，只用于发展生产经营。",
        ("申请小额信贷发展生产", "落实财政贴息", "续贷或展期"),
    ),
    C.HEALTH: (
        "落实医保参保资助、大病保险和医疗救助，减轻合规自付医疗费用。",
        ("城乡居民医保参保资助", "大病保险", "医疗救助", "家庭医生签约服务"),
    ),
    C.EDUCATION: (
        "落实学生资助，防止因学返贫、因学辍学。",
        ("学生资助", "雨露计划", "控辍保学"),
    ),
    C.HOUSING: (
        "农村危房改造和受灾房屋修缮，保障住房安全。",
        ("农村危房改造", "受灾房屋修缮", "住房安全鉴定"),
    ),
    C.WATER: (
        "解决断水、水质不达标、取水不便等饮水安全问题。",
        ("供水管网入户", "水质净化处理", "应急送水"),
    ),
    C.SAFETY_NET: (
        "对无劳动能力或劳动能力弱的家庭落实兜底保障。",
        ("纳入农村低保", "特困人员供养", "临时救助", "残疾人两项补贴", "协调子女赡养"),
    ),
    C.SOCIAL: (
        "动员企业、社会组织和爱心人士结对帮扶、捐赠救助。",
        ("结对帮扶", "慈善救助", "爱心捐赠"),
    ),
    C.OTHER: (
        "上述类别以外的帮扶措施。",
        ("扶志扶智", "政策宣传和明白纸送达"),
    ),
}

CATALOGUE: dict[str, Entry] = {
    category.value: Entry(
        category=category.value,
        label=category.label,
        description=_TEXT[category][0],
        examples=_TEXT[category][1],
        risks=tuple(risk for risk, categories in RISK_CATEGORIES.items() if category in categories),
    )
    for category in MeasureCategory
}


def _ordered_risks(case: Case) -> list[str]:
    risks = [r for r in case.risk_types if r in RISK_CATEGORIES]
    if case.main_risk in risks:
        risks.remove(case.main_risk)
        risks.insert(0, case.main_risk)
    return list(dict.fromkeys(risks))


def suggest(case: Case) -> list[tuple[str, str]]:
    """(category, reason) for the case's household plan: the categories answering its risks, main risk
    first; then development measures if a current member can work, or 综合保障（兜底） first and no
    development measures if none can."""
    suggestions: dict[str, str] = {}
    for risk in _ordered_risks(case):
        label = RiskType(risk).label
        reason = f"针对主要风险“{label}”" if risk == case.main_risk else f"针对风险“{label}”"
        for category in RISK_CATEGORIES[risk]:
            suggestions.setdefault(category, reason)
    if rules.has_labour(case.household):
        for category in DEVELOPMENT:
            suggestions.setdefault(category, LABOUR_REASON)
        return [(str(c), r) for c, r in suggestions.items()]
    rest = [(str(c), r) for c, r in suggestions.items() if c not in DEVELOPMENT and c != SAFETY_NET]
    return [(SAFETY_NET.value, NO_LABOUR_REASON), *rest]
