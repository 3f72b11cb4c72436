"""Forms of the monitoring-case screens: list filters, the lead forms, one form per procedure step and the
forms of the case page.

Forms only collect and type the values; the actions apply every rule of policy.md §7 and say why they
refuse (so uploads required by a rule, such as the signed consent, are optional here and refused there).
Households are chosen by their number, users by their login name, never by primary key.
"""

import datetime
import re

from django import forms
from django.utils import timezone

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import ROLE_CAPABILITIES, Capability
from zhenxing.accounts.scope import scoped
from zhenxing.areas.models import Area, Level
from zhenxing.cases import actions
from zhenxing.cases.models import (
    GUARANTEES,
    CaseStatus,
    Channel,
    DiscrepancyKind,
    LeadStatus,
    MeasureCategory,
    MeasureStatus,
    MonitoringType,
    Procedure,
    RiskType,
    Step,
)
from zhenxing.cases.rules import INCOME_LABELS
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.models import Household, IncomeYear

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}
YES_NO = [("yes", "是"), ("no", "否")]
COMPARISON_ROWS = 5  # blank 疑点 rows on the comparison form; more can be added on the case page
_CJK = re.compile(r"[\u3400-\u9fff]")


def _today() -> datetime.date:
    return timezone.localdate()


def _date(label: str, help_text: str = "", required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE, help_text=help_text, required=required, initial=_today)


def _text(label: str, max_length: int, rows: int = 0, **kwargs) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, widget=widget, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files (the list of them); type and size are checked when stored."""

    def __init__(self, *args, accept: str = "image/*,.pdf", **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


def _files(label: str, help_text: str, photos: bool = False) -> MultipleFileField:
    return MultipleFileField(
        label=label,
        help_text=help_text + "（JPG、PNG 或 PDF，可多选）",
        accept="image/*" if photos else "image/*,.pdf",
    )


class YesNoField(forms.TypedChoiceField):
    """是/否 radios → True/False, or None when left blank (the action says what is missing)."""

    def __init__(self, label: str, **kwargs):
        super().__init__(
            label=label,
            choices=YES_NO,
            coerce=lambda value: value == "yes",
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            **kwargs,
        )


def _risk_types(label: str = "风险类型", required: bool = False) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=RiskType.choices, required=required, widget=forms.CheckboxSelectMultiple
    )


# —— List filters ——————————————————————————————————————————————————————————————————————————————————


def _all(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


class AreaFilterForm(forms.Form):
    """Filters with the townships and villages of the user's scope (an invalid value is ignored)."""

    q = forms.CharField(label="查询", required=False, max_length=60)
    township = forms.ChoiceField(label="乡镇（街道）", required=False)
    village = forms.ChoiceField(label="村（社区）", required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        within = Area.objects.within(user.area).order_by("code")
        townships = list(within.filter(level=Level.TOWNSHIP).values_list("code", "name"))
        self.fields["township"].choices = _all("全部乡镇", townships)
        villages = within.filter(level=Level.VILLAGE)
        if self.data.get("township", "") in dict(townships):
            villages = villages.filter(code__startswith=self.data["township"])
        self.fields["village"].choices = _all("全部村", villages.values_list("code", "name"))
        self.show_township = bool(townships)

    def values(self) -> dict:
        """The valid, non-empty filter values."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None, False)}


def household_search(text: str, prefix: str = "household__"):
    """A head's name (Chinese characters: names starting with it) or a household number (prefix)."""
    from django.db.models import Q

    text = text.strip()
    if _CJK.search(text):
        return Q(**{f"{prefix}head__name__startswith": text})
    return Q(**{f"{prefix}number__startswith": text}) | Q(number__iexact=text)


class LeadFilterForm(AreaFilterForm):
    status = forms.ChoiceField(label="状态", required=False, choices=_all("全部状态", LeadStatus.choices))
    channel = forms.ChoiceField(label="发现渠道", required=False, choices=_all("全部渠道", Channel.choices))


class CaseFilterForm(AreaFilterForm):
    status = forms.ChoiceField(label="状态", required=False, choices=_all("全部状态", CaseStatus.choices))
    procedure = forms.ChoiceField(label="程序", required=False, choices=_all("全部程序", Procedure.choices))
    stage = forms.ChoiceField(label="待办环节", required=False, choices=_all("全部环节", Step.choices))
    monitoring_type = forms.ChoiceField(
        label="监测对象类型", required=False, choices=_all("全部类型", MonitoringType.choices)
    )
    overdue = forms.BooleanField(label="只看环节逾期", required=False)
    total_overdue = forms.BooleanField(label="只看识别认定超过总期限", required=False)
    visit_overdue = forms.BooleanField(label="只看走访逾期", required=False)


# —— Leads —————————————————————————————————————————————————————————————————————————————————————————


class LeadForm(forms.Form):
    household_number = forms.CharField(
        label="户编号",
        max_length=40,
        help_text="填写您管辖范围内农户的户编号；也可在农户页面点“登记风险线索”",
    )
    channel = forms.ChoiceField(label="发现渠道", choices=Channel.choices, initial=Channel.CADRE_VISIT)
    description = _text(
        "反映情况", 2000, rows=4, help_text="写明发现的困难：什么事、何时发生、涉及谁、花费或损失多少"
    )
    risk_types = _risk_types("反映的风险类型")
    found_on = _date("发现日期")
    found_by = forms.CharField(label="发现人", max_length=40, required=False, help_text="不填则记为您本人")

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_household_number(self) -> str:
        number = self.cleaned_data["household_number"].strip()
        self.household = (
            scoped(Household.objects.select_related("area"), self.user).filter(number=number).first()
        )
        if self.household is None:
            raise forms.ValidationError(f"您的管辖范围内没有户编号为“{number}”的农户，请核对户编号")
        return number


class LeadCloseForm(forms.Form):
    reason = _text("核实无风险的理由", 300, rows=2, help_text="写明入户核实的情况，为什么不存在返贫致贫风险")
    closed_on = _date("核实日期")


class LeadOpenForm(forms.Form):
    opened_on = _date("启动日期")
    green_channel = forms.BooleanField(
        label="开通绿色通道（先帮扶、后补办程序）",
        required=False,
        help_text="因灾、因意外事故等紧急情况可先落实帮扶措施，识别认定程序随后补办",
    )
    green_channel_reason = forms.CharField(label="绿色通道原因", max_length=200, required=False)


class LeadAttachForm(forms.Form):
    attached_on = _date("办理日期")


# —— Procedure steps ———————————————————————————————————————————————————————————————————————————————


class StepForm(forms.Form):
    """A step of the case's procedure; `prefill(case)` sets what the registry and the case already know."""

    def __init__(self, case, *args, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.prefill(case)

    def prefill(self, case) -> None:
        pass


class ConsentForm(StepForm):
    signed_on = _date("签署日期")
    signer = forms.CharField(label="签字人", max_length=40, help_text="户主本人，或代写人姓名（注明“代签”）")
    files = _files("承诺授权书扫描件或照片", "必须上传签字（按手印）的《监测对象申请及承诺授权查询书》")

    def prefill(self, case):
        head = case.household.head
        self.initial["signer"] = head.name if head else ""


class HomeCheckForm(StepForm):
    income_year = None  # the registry year the amounts were pre-filled from
    checked_on = _date("核实日期", "收入测算期为核实日期所在月之前的12个整月")
    findings = _text("入户核实情况", 2000, rows=4)
    wage_income = forms.DecimalField(label="工资性收入（元）", **MONEY)
    business_income = forms.DecimalField(label="生产经营性收入（元）", **MONEY)
    property_income = forms.DecimalField(label="财产性收入（元）", **MONEY)
    transfer_income = forms.DecimalField(label="转移性收入（元）", **MONEY)
    production_costs = forms.DecimalField(label="生产经营性支出（元）", **MONEY)
    household_size = forms.IntegerField(
        label="家庭人口数",
        min_value=1,
        max_value=99,
        help_text="默认为户籍在册人数；按共同生活、共享收支的人数填写",
    )
    monitoring_type = forms.ChoiceField(
        label="拟认定的监测对象类型", choices=_all("请选择", MonitoringType.choices)
    )
    risk_types = _risk_types("风险类型（可多选）")
    main_risk = forms.ChoiceField(label="主要风险", choices=_all("请选择", RiskType.choices), required=False)
    sudden_event = forms.CharField(
        label="突发事件", max_length=200, required=False, help_text="突发严重困难户必须填写"
    )
    sudden_amount = forms.DecimalField(
        label="刚性支出或收入缩减金额（元）", required=False, help_text="突发严重困难户必须填写", **MONEY
    )
    photos = _files("入户照片", "可选", photos=True)

    def prefill(self, case):
        household = case.household
        income = IncomeYear.objects.filter(household=household).order_by("-year").first()
        if income is not None:
            for key in INCOME_LABELS:
                self.initial[key] = getattr(income, key)
            self.income_year = income.year
        self.initial["household_size"] = household.member_count or None
        self.initial["risk_types"] = list(case.risk_types)
        if len(case.risk_types) == 1:
            self.initial["main_risk"] = case.risk_types[0]

    def check(self) -> actions.HomeCheck:
        d = self.cleaned_data
        return actions.HomeCheck(
            checked_on=d["checked_on"],
            findings=d["findings"],
            incomes={key: d[key] for key in INCOME_LABELS},
            monitoring_type=d["monitoring_type"],
            risk_types=d["risk_types"],
            main_risk=d["main_risk"],
            household_size=d["household_size"],
            sudden_event=d["sudden_event"],
            sudden_amount=d["sudden_amount"],
        )


class ComparisonForm(StepForm):
    compared_on = _date("比对日期")
    note = _text("比对情况", 500, rows=2, required=False, help_text="与哪些部门数据比对、结果如何")

    def __init__(self, case, *args, **kwargs):
        super().__init__(case, *args, **kwargs)
        kinds = _all("（无）", DiscrepancyKind.choices)
        for i in range(1, COMPARISON_ROWS + 1):
            self.fields[f"kind_{i}"] = forms.ChoiceField(label=f"疑点{i}类型", choices=kinds, required=False)
            self.fields[f"detail_{i}"] = forms.CharField(label=f"疑点{i}内容", max_length=300, required=False)

    @property
    def rows(self):
        return [(self[f"kind_{i}"], self[f"detail_{i}"]) for i in range(1, COMPARISON_ROWS + 1)]

    def clean(self):
        d = super().clean()
        self.discrepancies = []
        for i in range(1, COMPARISON_ROWS + 1):
            kind, detail = d.get(f"kind_{i}", ""), (d.get(f"detail_{i}") or "").strip()
            if kind and not detail:
                self.add_error(f"detail_{i}", "请写明疑点内容")
            elif detail and not kind:
                self.add_error(f"kind_{i}", "请选择疑点类型")
            elif kind:
                self.discrepancies.append((kind, detail))
        return d


class ReviewForm(StepForm):
    held_on = _date("评议日期")
    attendance = forms.IntegerField(label="参会人数", min_value=0)
    votes_for = forms.IntegerField(label="同意票数", min_value=0)
    votes_against = forms.IntegerField(label="反对票数", min_value=0, initial=0)
    minutes = _files("评议会议记录", "必须上传会议记录的扫描件或照片")
    note = _text("评议意见", 500, rows=2, required=False)


class NoticeForm(StepForm):
    start = _date("公示开始日期")
    end = forms.DateField(label="公示结束日期", widget=DATE)

    def prefill(self, case):
        self.initial["end"] = _today() + datetime.timedelta(days=self.min_days)

    @property
    def min_days(self) -> int:
        return policy_for(_today().year)["notice_min_days"]


class ResubmitForm(StepForm):
    resubmitted_on = _date("报送日期")
    note = _text("补正说明", 500, rows=3, help_text="写明按退回意见补正了什么")


class TownshipForm(StepForm):
    decision = forms.ChoiceField(
        label="审核意见",
        choices=[("approve", "同意，报区级审定"), ("return", "退回村里补正")],
        widget=forms.RadioSelect,
        initial="approve",
    )
    reason = _text(
        "意见或退回原因", 300, rows=2, required=False, help_text="退回时必须写明原因和需要补正的内容"
    )
    reviewed_on = _date("审核日期")


class CountyForm(StepForm):
    decision = forms.ChoiceField(label="审定意见", widget=forms.RadioSelect, initial=actions.APPROVE)
    reason = _text("意见或原因", 300, rows=2, required=False, help_text="退回或不同意时必须写明原因")
    decided_on = _date("审定日期")

    def __init__(self, case, *args, **kwargs):
        super().__init__(case, *args, **kwargs)
        eliminating = case.procedure == Procedure.ELIMINATION
        self.fields["decision"].choices = [
            (actions.APPROVE, "同意风险消除" if eliminating else "同意纳入监测"),
            (actions.RETURN, "退回乡镇"),
            (actions.REJECT, "不同意风险消除，继续监测帮扶" if eliminating else "不予认定"),
        ]


class AnnouncementForm(StepForm):
    announced_on = _date("公告日期")


class GuaranteesMixin(forms.Form):
    """两不愁三保障及饮水安全 (one 是/否 each), income stability and the risks, as a `VisitData`."""

    def add_verification_fields(self) -> None:
        for key, label in GUARANTEES:
            self.fields[f"g_{key}"] = YesNoField(label)
        self.fields["income_stable"] = YesNoField("收入持续稳定（半年以上）")
        self.fields["risks_resolved"] = YesNoField("识别时的风险已消除")
        self.fields["new_risks"] = forms.CharField(
            label="新增风险", max_length=200, required=False, help_text="没有则不填"
        )

    @property
    def guarantee_fields(self):
        return [self[f"g_{key}"] for key, _ in GUARANTEES]

    def visit_data(self, is_verification: bool) -> actions.VisitData:
        d = self.cleaned_data
        return actions.VisitData(
            visited_on=d["visited_on"],
            findings=d["findings"],
            is_verification=is_verification,
            guarantees={key: d.get(f"g_{key}") for key, _ in GUARANTEES} if is_verification else {},
            income_stable=d.get("income_stable") if is_verification else None,
            risks_resolved=d.get("risks_resolved") if is_verification else None,
            new_risks=d.get("new_risks", "") if is_verification else "",
        )


class EliminationCheckForm(GuaranteesMixin, StepForm):
    visited_on = _date("核实日期")
    findings = _text("入户核实情况", 2000, rows=4)
    photos = _files("入户照片", "可选", photos=True)

    def __init__(self, case, *args, **kwargs):
        super().__init__(case, *args, **kwargs)
        self.add_verification_fields()
        self.fields["photos"] = self.fields.pop("photos")  # last


# —— Case page forms ———————————————————————————————————————————————————————————————————————————————


class ObjectionForm(forms.Form):
    received_on = _date("收到日期", "只登记公示期内收到的异议")
    content = _text("异议内容", 2000, rows=3)


class ObjectionAnswerForm(forms.Form):
    answer = _text("答复内容", 2000, rows=3, help_text="写明核实情况和答复结论")
    answered_on = _date("答复日期")


class DiscrepancyForm(forms.Form):
    kind = forms.ChoiceField(label="疑点类型", choices=_all("请选择", DiscrepancyKind.choices))
    detail = forms.CharField(label="疑点内容", max_length=300)
    found_on = _date("发现日期")


class DiscrepancyResolveForm(forms.Form):
    resolution = _text("核实说明", 2000, rows=3, help_text="写明核实的过程和结论")
    resolved_on = _date("核实日期")
    file = forms.FileField(
        label="佐证材料（可选）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf"}),
    )


class ExtendForm(forms.Form):
    new_due = forms.DateField(label="新的办理期限", widget=DATE)
    reason = _text("延期原因", 300, rows=2)


def cadre_candidates(case):
    """Active staff who may record cases and whose area contains the case's village."""
    code = case.area.code
    prefixes = [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.RECORD_CASES in caps]
    return (
        User.objects.filter(is_active=True, role__in=roles, area__code__in=prefixes)
        .select_related("area")
        .order_by("-area__code", "full_name", "username")
    )


class CadreForm(forms.Form):
    cadre = forms.ChoiceField(label="帮扶责任人")
    assigned_on = _date("确定日期")

    def __init__(self, case, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {u.username: u for u in cadre_candidates(case)}
        self.fields["cadre"].choices = _all(
            "请选择",
            [
                (u.username, f"{u.full_name}（{u.get_role_display()}，{u.area.name}）")
                for u in self.users.values()
            ],
        )
        if case.cadre_id and not self.is_bound:
            self.initial["cadre"] = case.cadre.username

    def clean_cadre(self):
        return self.users[self.cleaned_data["cadre"]]


class MeasureForm(forms.Form):
    category = forms.ChoiceField(label="措施类别", choices=_all("请选择", MeasureCategory.choices))
    content = forms.CharField(label="措施内容", max_length=300)
    responsible = forms.CharField(label="责任人或责任单位", max_length=60)
    start_date = _date("开始日期")
    end_date = forms.DateField(label="结束日期", widget=DATE, required=False)
    amount = forms.DecimalField(label="金额（元）", required=False, **MONEY)
    status = forms.ChoiceField(label="状态", choices=MeasureStatus.choices, initial=MeasureStatus.PLANNED)
    note = forms.CharField(label="说明", max_length=300, required=False)
    evidence = _files("佐证材料", "可选")

    def measure_data(self, evidence) -> actions.MeasureData:
        d = self.cleaned_data
        return actions.MeasureData(
            category=d["category"],
            content=d["content"],
            responsible=d["responsible"],
            start_date=d["start_date"],
            end_date=d["end_date"],
            amount=d["amount"],
            status=d["status"],
            note=d["note"],
            evidence=evidence,
        )


class MeasureUpdateForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=MeasureStatus.choices)
    end_date = forms.DateField(label="结束日期", widget=DATE, required=False)
    note = forms.CharField(label="说明", max_length=300, required=False)
    evidence = _files("补充佐证材料", "可选")


class VisitForm(GuaranteesMixin, forms.Form):
    visited_on = _date("走访日期")
    findings = _text("走访情况", 2000, rows=4)
    photos = _files("走访照片", "可选；照片是佐证，不是考核工作量的依据", photos=True)
    is_verification = forms.BooleanField(
        label="本次走访核实两不愁三保障及饮水安全、收入和风险情况",
        required=False,
        help_text="风险消除前须有一次核实走访；勾选后请逐项填写下面各项",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_verification_fields()


class EliminationStartForm(forms.Form):
    started_on = _date("启动日期")


class RollbackForm(forms.Form):
    reason = _text("回退原因", 300, rows=2, help_text="如：仍需低保兜底、收入不稳定")
    rolled_back_on = _date("回退日期")
