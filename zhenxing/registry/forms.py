"""Forms of the registry screens: the list's filters and one form per change action.

Forms only collect and type the values; the actions apply every rule (and say why they refuse).
People are chosen by their public id, never by primary key.
"""

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone

from zhenxing.accounts.scope import scoped
from zhenxing.areas.models import Area, Level
from zhenxing.registry import rules
from zhenxing.registry.actions import ADD_REASONS, REMOVE_REASONS, PersonData
from zhenxing.registry.models import (
    HEAD,
    Household,
    HouseholdKind,
    IncomeBand,
    IncomeYear,
    Membership,
    MonitoringStatus,
)
from zhenxing.registry.queries import STATUS_CHOICES, HouseholdFilter, latest_income_year

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


def _blank(label: str, values) -> list[tuple[str, str]]:
    return [("", label), *((v, v) for v in values)]


def _members(household: Household, include_head: bool = True) -> list[Membership]:
    memberships = Membership.objects.filter(household=household, end_date__isnull=True).select_related(
        "person"
    )
    rows = sorted(memberships, key=lambda m: (m.relation != HEAD, m.start_date, m.pk))
    return [m for m in rows if include_head or m.relation != HEAD]


def _member_choices(memberships) -> list[tuple[str, str]]:
    return [
        (str(m.person.public_id), f"{m.person.name}（{m.relation}，{m.person.id_masked}）")
        for m in memberships
    ]


# —— List filters ——————————————————————————————————————————————————————————————————————————————————


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(label="查询", required=False, max_length=60)
    township = forms.ChoiceField(label="乡镇（街道）", required=False)
    village = forms.ChoiceField(label="村（社区）", required=False)
    kind = forms.ChoiceField(
        label="户类型", required=False, choices=[("", "全部户类型"), *HouseholdKind.choices]
    )
    monitoring_status = forms.ChoiceField(
        label="监测状态", required=False, choices=[("", "全部监测状态"), *MonitoringStatus.choices]
    )
    year = forms.IntegerField(
        label="收入年度", required=False, min_value=rules.INCOME_YEAR_MIN, max_value=2100
    )
    band = forms.ChoiceField(
        label="收入档次", required=False, choices=[("", "全部收入档次"), *IncomeBand.choices]
    )
    labour_capacity = forms.ChoiceField(label="劳动能力", required=False)
    health = forms.ChoiceField(label="健康状况", required=False)
    status = forms.ChoiceField(label="户状态", required=False, choices=STATUS_CHOICES)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        within = Area.objects.within(user.area).order_by("code")
        townships = list(within.filter(level=Level.TOWNSHIP).values_list("code", "name"))
        self.fields["township"].choices = [("", "全部乡镇"), *townships]
        villages = within.filter(level=Level.VILLAGE)
        township = self.data.get("township", "")
        if township in dict(townships):
            villages = villages.filter(code__startswith=township)
        self.fields["village"].choices = [("", "全部村"), *villages.values_list("code", "name")]
        self.fields["labour_capacity"].choices = _blank(
            "全部劳动能力", rules.code_values("labour_capacity", rules.LABOUR_CAPACITIES)
        )
        self.fields["health"].choices = _blank("全部健康状况", rules.code_values("health", rules.HEALTH))
        self.show_township = len(townships) > 0

    def to_filter(self) -> HouseholdFilter:
        """The valid values (an invalid one is left out and shown as an error)."""
        self.is_valid()
        values = {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}
        f = HouseholdFilter(**{**values, "status": values.get("status", "active")})
        if f.year is None:
            f.year = latest_income_year()
        return f


# —— Change forms ——————————————————————————————————————————————————————————————————————————————————


class ChangeForm(forms.Form):
    """A change of one household, with the date it took effect (the last field)."""

    effective_date = forms.DateField(
        label="生效日期",
        widget=DATE_WIDGET,
        help_text="变动实际发生的日期，不能晚于今天，也不能早于该户最近一次变动",
    )

    def __init__(self, household: Household, user, *args, **kwargs):
        self.household, self.user = household, user
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].initial = timezone.localdate()
        self.fields["effective_date"] = self.fields.pop("effective_date")  # shown last

    def _person(self, value: str, memberships):
        return {str(m.person.public_id): m.person for m in memberships}[value]


class MemberAddForm(ChangeForm):
    name = forms.CharField(label="姓名", max_length=40)
    id_number = forms.CharField(
        label="公民身份号码", max_length=30, help_text="18位，性别和出生日期由号码自动得出"
    )
    relation = forms.ChoiceField(label="与户主关系")
    reason = forms.ChoiceField(label="增加原因", choices=[(r.value, r.label) for r in ADD_REASONS])
    health = forms.MultipleChoiceField(label="健康状况", widget=forms.CheckboxSelectMultiple)
    labour_capacity = forms.ChoiceField(label="劳动能力")
    ethnicity = forms.CharField(label="民族", max_length=20, required=False, initial="汉族")
    political_status = forms.ChoiceField(label="政治面貌", required=False)
    education = forms.ChoiceField(label="文化程度", required=False, help_text="在校生不填")
    schooling = forms.ChoiceField(label="在校生状况", required=False, help_text="不是在校生不填")
    employment = forms.ChoiceField(label="务工状况", required=False)
    months_worked = forms.IntegerField(label="务工时间（月）", required=False, min_value=0, max_value=12)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    external_id = forms.CharField(label="人编号（国家系统）", max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_person_choices(self.fields, include_head=False)

    def person_data(self) -> PersonData:
        d = self.cleaned_data
        return PersonData(
            id_number=d["id_number"],
            name=d["name"],
            relation=d["relation"],
            health=",".join(d["health"]),
            labour_capacity=d["labour_capacity"],
            external_id=d["external_id"],
            ethnicity=d["ethnicity"],
            political_status=d["political_status"],
            education=d["education"],
            schooling=d["schooling"],
            employment=d["employment"],
            months_worked=d["months_worked"],
            phone=d["phone"],
        )


def set_person_choices(fields: dict, include_head: bool) -> None:
    """Choices of the person attribute fields from the current code lists."""
    relations = [r for r in rules.relation_labels() if include_head or r != HEAD]
    fields["relation"].choices = _blank("请选择", relations)
    fields["health"].choices = [(v, v) for v in rules.code_values("health", rules.HEALTH)]
    fields["labour_capacity"].choices = _blank(
        "请选择", rules.code_values("labour_capacity", rules.LABOUR_CAPACITIES)
    )
    fields["political_status"].choices = _blank(
        "（不填）", rules.code_values("political_status", rules.POLITICAL_STATUS)
    )
    fields["education"].choices = _blank("（不填）", rules.code_values("education", rules.EDUCATION))
    fields["schooling"].choices = _blank("（非在校生）", rules.code_values("schooling", rules.SCHOOLING))
    fields["employment"].choices = _blank("（不填）", rules.code_values("employment", rules.EMPLOYMENT))


class MemberRemoveForm(ChangeForm):
    person = forms.ChoiceField(label="减少的成员")
    reason = forms.ChoiceField(label="减少原因", choices=[(r.value, r.label) for r in REMOVE_REASONS])
    note = forms.CharField(label="说明", max_length=150, required=False, help_text="如迁入地、死亡证明编号等")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = _members(self.household)
        self.fields["person"].choices = _blank("请选择", []) + _member_choices(self.memberships)

    def clean_person(self):
        return self._person(self.cleaned_data["person"], self.memberships)


class HeadChangeForm(ChangeForm):
    new_head = forms.ChoiceField(label="新户主")
    old_head_relation = forms.ChoiceField(label="原户主与新户主的关系")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = _members(self.household, include_head=False)
        self.fields["new_head"].choices = _blank("请选择", []) + _member_choices(self.memberships)
        self.fields["old_head_relation"].choices = _blank(
            "请选择", [r for r in rules.relation_labels() if r != HEAD]
        )

    def clean_new_head(self):
        return self._person(self.cleaned_data["new_head"], self.memberships)


class SplitForm(ChangeForm):
    new_number = forms.CharField(label="新户户编号", max_length=40)
    new_head = forms.ChoiceField(label="新户户主")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = _members(self.household, include_head=False)
        self.fields["new_head"].choices = _blank("请选择", []) + _member_choices(self.memberships)
        relations = _blank("（留在原户）", [r for r in rules.relation_labels() if r != HEAD])
        self.relation_fields = []
        for m in self.memberships:
            name = f"relation_{m.person.public_id.hex}"
            self.fields[name] = forms.ChoiceField(
                label=f"{m.person.name}（现为{m.relation}）：分出后与新户主的关系",
                required=False,
                choices=relations,
            )
            self.relation_fields.append(name)
        self.fields["effective_date"] = self.fields.pop("effective_date")

    def clean_new_head(self):
        return self._person(self.cleaned_data["new_head"], self.memberships)

    def split_plan(self) -> tuple[list, dict]:
        """(persons who leave, {person pk: relation to the new head})."""
        head = self.cleaned_data["new_head"]
        persons, relations = [head], {}
        for m in self.memberships:
            relation = self.cleaned_data.get(f"relation_{m.person.public_id.hex}")
            if m.person.pk != head.pk and relation:
                persons.append(m.person)
                relations[m.person.pk] = relation
        return persons, relations


class MergeForm(ChangeForm):
    source = forms.CharField(label="被合并户的户编号", max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        number = (self.data.get("source") if self.is_bound else self.initial.get("source")) or ""
        self.source = (
            scoped(Household.objects.select_related("area"), self.user).filter(number=number.strip()).first()
            if number.strip()
            else None
        )
        self.memberships = _members(self.source) if self.source else []
        relations = _blank("请选择", [r for r in rules.relation_labels() if r != HEAD])
        self.relation_fields = []
        for m in self.memberships:
            name = f"relation_{m.person.public_id.hex}"
            self.fields[name] = forms.ChoiceField(
                label=f"{m.person.name}（原为{m.relation}）与户主的关系", choices=relations
            )
            self.relation_fields.append(name)
        self.fields["effective_date"] = self.fields.pop("effective_date")

    def clean_source(self):
        number = self.cleaned_data["source"].strip()
        if self.source is None:
            raise forms.ValidationError(f"在您的管辖范围内找不到户编号为 {number} 的户，请核对户编号")
        if self.source.pk == self.household.pk:
            raise forms.ValidationError("不能把一户合并到它自己，请填写另一户的户编号")
        if not self.source.is_active:
            raise forms.ValidationError(f"户 {number} 已注销，不能再合并")
        return self.source

    def relations(self) -> dict:
        return {
            m.person.pk: self.cleaned_data[f"relation_{m.person.public_id.hex}"] for m in self.memberships
        }


class MoveForm(ChangeForm):
    new_village = forms.ChoiceField(label="迁往的村（社区）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        villages = (
            Area.objects.within(self.user.area)
            .filter(level=Level.VILLAGE, is_active=True)
            .exclude(pk=self.household.area_id)
            .select_related("parent")
            .order_by("code")
        )
        self.villages = {v.code: v for v in villages}
        self.fields["new_village"].choices = _blank("请选择", []) + [
            (v.code, f"{v.parent.name if v.parent else ''}{v.name}（{v.code}）") for v in villages
        ]

    def clean_new_village(self):
        return self.villages[self.cleaned_data["new_village"]]


class HouseholdEditForm(ChangeForm):
    kind = forms.ChoiceField(label="户类型", choices=HouseholdKind.choices)
    lifted_year = forms.IntegerField(
        label="脱贫年度",
        required=False,
        min_value=rules.LIFTED_YEAR_MIN,
        max_value=rules.LIFTED_YEAR_MAX,
        help_text="仅脱贫户填写，2014–2020",
    )
    lifted_attribute = forms.ChoiceField(
        label="脱贫属性",
        required=False,
        choices=_blank("（不填）", rules.LIFTED_ATTRIBUTES),
        help_text="仅脱贫户填写",
    )


PERSON_EDIT_FIELDS = (
    "name",
    "relation",
    "ethnicity",
    "political_status",
    "education",
    "schooling",
    "health",
    "labour_capacity",
    "employment",
    "months_worked",
    "phone",
    "external_id",
)


class PersonEditForm(ChangeForm):
    name = MemberAddForm.base_fields["name"]
    relation = forms.ChoiceField(label="与户主关系")
    ethnicity = MemberAddForm.base_fields["ethnicity"]
    political_status = MemberAddForm.base_fields["political_status"]
    education = MemberAddForm.base_fields["education"]
    schooling = MemberAddForm.base_fields["schooling"]
    health = MemberAddForm.base_fields["health"]
    labour_capacity = MemberAddForm.base_fields["labour_capacity"]
    employment = MemberAddForm.base_fields["employment"]
    months_worked = MemberAddForm.base_fields["months_worked"]
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    external_id = MemberAddForm.base_fields["external_id"]

    def __init__(self, household, user, membership: Membership, *args, **kwargs):
        person = membership.person
        kwargs.setdefault(
            "initial",
            {
                **{
                    f: getattr(person, f)
                    for f in PERSON_EDIT_FIELDS
                    if f not in ("relation", "health", "phone")
                },
                "relation": membership.relation,
                "health": [v for v in person.health.split(",") if v],
            },
        )
        super().__init__(household, user, *args, **kwargs)
        self.membership = membership
        is_head = membership.relation == HEAD
        set_person_choices(self.fields, include_head=is_head)
        if is_head:
            self.fields["relation"].disabled = True
            self.fields["relation"].help_text = "户主的关系不能在此修改，请办理“变更户主”"
        current = person.phone_masked or "未登记"
        self.fields["phone"].help_text = f"不修改请留空（当前为 {current}）"

    def values(self) -> dict:
        d = self.cleaned_data
        values = {f: d[f] for f in PERSON_EDIT_FIELDS if f not in ("health", "phone")}
        values["health"] = ",".join(d["health"])
        if d["phone"].strip():
            values["phone"] = d["phone"]
        return values


class IncomeForm(ChangeForm):
    year = forms.IntegerField(label="年度", min_value=rules.INCOME_YEAR_MIN)
    wage_income = forms.DecimalField(label="工资性收入（元）", **MONEY)
    business_income = forms.DecimalField(label="生产经营性收入（元）", **MONEY)
    property_income = forms.DecimalField(label="财产性收入（元）", **MONEY)
    transfer_income = forms.DecimalField(label="转移性收入（元）", **MONEY)
    production_costs = forms.DecimalField(label="生产经营性支出（元）", **MONEY)
    claims_income = forms.DecimalField(label="理赔收入（元）", required=False, **MONEY)
    compliant_out_of_pocket = forms.DecimalField(
        label="合规自付支出（元）", required=False, help_text="医疗、教育等报销后个人负担部分", **MONEY
    )

    def __init__(self, household, user, *args, **kwargs):
        super().__init__(household, user, *args, **kwargs)
        # Incomes are recorded with today's date (the as-of view shows what was known when).
        del self.fields["effective_date"]
        this_year = timezone.localdate().year
        self.fields["year"].validators.append(MaxValueValidator(this_year, f"年度不能晚于{this_year}年"))
        self.fields["year"].widget.attrs["max"] = this_year

    @staticmethod
    def initial_for(household: Household, year: int) -> dict:
        income = IncomeYear.objects.filter(household=household, year=year).first()
        if income is None:
            return {"year": year}
        return {"year": year, **{f: getattr(income, f) for f in IncomeForm.amount_fields()}}

    @staticmethod
    def amount_fields() -> tuple[str, ...]:
        return (
            "wage_income",
            "business_income",
            "property_income",
            "transfer_income",
            "production_costs",
            "claims_income",
            "compliant_out_of_pocket",
        )

    def amounts(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.amount_fields()}
