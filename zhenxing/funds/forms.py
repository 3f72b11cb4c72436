import datetime

from django import forms

from zhenxing.areas.models import Area, Level
from zhenxing.funds.actions import EQUAL_CASH, AssetData, ProjectData
from zhenxing.funds.models import (
    SOURCE_FIELDS,
    AssetKind,
    DistributionPurpose,
    FundSource,
    OwnerLevel,
    Project,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _year_default():
    return datetime.date.today().year


class ProjectForm(forms.ModelForm):
    household_numbers = forms.CharField(
        label="受益户编号",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="联农带农受益户的户编号，用逗号或换行分隔；公告中只显示户数",
    )

    class Meta:
        model = Project
        fields = [
            "year",
            "name",
            "category",
            "sub_type",
            "is_leading_industry",
            "content",
            "area",
            "period_start",
            "period_end",
            *SOURCE_FIELDS.values(),
            "performance_targets",
            "linkage_mechanism",
            "responsible_unit",
            "responsible_person",
        ]
        widgets = {
            "period_start": DATE,
            "period_end": DATE,
            "content": forms.Textarea(attrs={"rows": 3}),
            "performance_targets": forms.Textarea(attrs={"rows": 2}),
            "linkage_mechanism": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "performance_targets": "区级审定前必须填写（规则32）",
            "linkage_mechanism": "区级审定前必须填写（规则32）",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.within(user.area).filter(
            level__in=[Level.VILLAGE, Level.TOWNSHIP], is_active=True
        )
        self.fields["area"].label = "实施地点（村或乡镇）"
        if not self.instance.pk:
            self.initial.setdefault("year", _year_default())

    def project_data(self) -> ProjectData:
        d = self.cleaned_data
        return ProjectData(
            year=d["year"],
            name=d["name"],
            category=d["category"],
            content=d["content"],
            area=d["area"],
            period_start=d["period_start"],
            period_end=d["period_end"],
            responsible_unit=d["responsible_unit"],
            responsible_person=d["responsible_person"],
            amounts={s: d[f] for s, f in SOURCE_FIELDS.items()},
            sub_type=d["sub_type"],
            is_leading_industry=d["is_leading_industry"],
            performance_targets=d["performance_targets"],
            linkage_mechanism=d["linkage_mechanism"],
            household_numbers=d["household_numbers"].replace("，", ",").replace("\n", ",").split(","),
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class DisposalRejectForm(forms.Form):
    reason = forms.CharField(
        label="驳回原因", max_length=200, help_text="写明不同意处置的理由，资产将恢复为“在用”"
    )


class NoticeForm(forms.Form):
    notice_start = forms.DateField(label="公告开始", widget=DATE)
    notice_end = forms.DateField(label="公告结束", widget=DATE)


class DateNoteForm(forms.Form):
    day = forms.DateField(label="日期", widget=DATE)
    note = forms.CharField(label="说明/佐证材料", max_length=200, required=False)


class DisbursementForm(forms.Form):
    year = forms.IntegerField(label="计划年度", initial=_year_default)
    source = forms.ChoiceField(label="资金来源", choices=FundSource.choices)
    paid_on = forms.DateField(label="拨付日期", widget=DATE)
    amount = forms.DecimalField(label="拨付金额（元）", max_digits=14, decimal_places=2)
    voucher_number = forms.CharField(label="凭证号", max_length=40)


class AllocationForm(forms.Form):
    year = forms.IntegerField(label="年度", initial=_year_default)
    source = forms.ChoiceField(label="资金来源", choices=FundSource.choices)
    amount = forms.DecimalField(label="下达金额（元）", max_digits=14, decimal_places=2)
    document_number = forms.CharField(label="文号", max_length=60)
    document_date = forms.DateField(label="下达日期", widget=DATE)


class PlanItemForm(forms.Form):
    project = forms.CharField(
        label="项目编码", max_length=40, widget=forms.TextInput(attrs={"list": "library-projects"})
    )
    source = forms.ChoiceField(label="资金来源", choices=FundSource.choices)
    amount = forms.DecimalField(label="安排金额（元）", max_digits=14, decimal_places=2)


class AcceptForm(forms.Form):
    accepted_on = forms.DateField(label="验收日期", widget=DATE)
    name = forms.CharField(label="资产名称", max_length=100)
    kind = forms.ChoiceField(label="资产类型", choices=AssetKind.choices)
    owner_level = forms.ChoiceField(label="确权层级", choices=OwnerLevel.choices, initial=OwnerLevel.VILLAGE)
    household_number = forms.CharField(label="确权到户的户编号", max_length=40, required=False)
    value = forms.DecimalField(label="资产价值（元）", max_digits=14, decimal_places=2)
    custodian = forms.CharField(label="管护主体", max_length=60)
    duties = forms.CharField(label="管护责任", max_length=200)

    def asset_data(self) -> AssetData:
        d = self.cleaned_data
        return AssetData(
            d["name"],
            d["kind"],
            d["owner_level"],
            d["value"],
            d["custodian"],
            d["duties"],
            d["household_number"],
        )


class RevenueForm(forms.Form):
    year = forms.IntegerField(label="年度", initial=_year_default)
    amount = forms.DecimalField(label="年收益（元）", max_digits=14, decimal_places=2)


class PvStationForm(forms.Form):
    code = forms.CharField(label="电站编号", max_length=40)
    name = forms.CharField(label="电站名称", max_length=100)
    area = forms.ModelChoiceField(label="所在村", queryset=Area.objects.none())
    capacity_kw = forms.DecimalField(label="装机容量（kW）", max_digits=10, decimal_places=2)
    grid_date = forms.DateField(label="并网日期", widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.within(user.area).filter(
            level=Level.VILLAGE, is_active=True
        )


class PvMonthForm(forms.Form):
    month = forms.DateField(label="月份（任一天）", widget=DATE)
    output_kwh = forms.DecimalField(label="发电量（kWh）", max_digits=12, decimal_places=2)
    revenue = forms.DecimalField(label="售电收益（元）", max_digits=14, decimal_places=2)


class PvDistributionForm(forms.Form):
    paid_on = forms.DateField(label="分配日期", widget=DATE)
    method = forms.ChoiceField(
        label="分配方式",
        choices=[("targeted", "按岗位、事项或奖补对象分配"), (EQUAL_CASH, "按户平均发放现金")],
    )
    purpose = forms.ChoiceField(label="用途", choices=DistributionPurpose.choices)
    amount = forms.DecimalField(label="金额（元）", max_digits=14, decimal_places=2)
    description = forms.CharField(label="说明", max_length=200)


class UploadForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx/.xls/.csv）")


class ReconcileForm(UploadForm):
    year = forms.IntegerField(label="年度", initial=_year_default)


class NoteForm(forms.Form):
    note = forms.CharField(label="处理说明", max_length=200)
