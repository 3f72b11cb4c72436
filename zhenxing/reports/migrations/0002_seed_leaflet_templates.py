"""Seed version 1 of both leaflets (明白纸) with the 2024 wording. Re-runnable.

The wording follows the 2024 work plan (item 3: 制作防止返贫监测对象申报政策及主要帮扶政策“明白纸”) and
policy.md §1 (the three discovery channels, the hotline, the procedure and its time limits, elimination).
Every number that policy sets per year is a placeholder filled from the year's settings ({监测范围},
{公示天数}, {认定天数}, {消除前监测月数}, {热线}), never typed here. The texts are frozen here on purpose
(migrations never import app code); a test checks they pass the placeholder check and fit one page.
"""

from django.db import migrations

REASON = "平台预置（2024年工作要点：制作防止返贫监测对象申报政策及主要帮扶政策明白纸）"

DECLARATION_TITLE = "防止返贫监测申报政策明白纸"
DECLARATION_BODY = """{户主姓名}户：
为巩固拓展脱贫攻坚成果、防止返贫致贫，{区}对农村低收入人口开展防止返贫动态监测和帮扶。{年度}年{监测范围名称}为家庭年人均纯收入{监测范围}元。家里遇到困难时，请及时申报。
【哪些家庭可以申报】
（1）家庭年人均纯收入低于{监测范围}元，存在返贫致贫风险的脱贫户和一般农户；
（2）因病、因学、因残、因灾、因意外事故、因产业项目失败、因务工就业不稳、缺劳动力等原因，刚性支出较大或收入大幅减少，基本生活出现严重困难的农户；
（3）住房安全、饮水安全、义务教育、基本医疗出现问题的农户。
【怎样申报】
（1）农户自主申报：本人或委托他人向村委会、村干部口头或书面申请，也可拨打{热线名称}{热线}（网上申报见本页下方）；
（2）基层干部排查：帮扶联系人、驻村工作队、村“两委”干部和网格员走访时，可当面反映家庭困难；
（3）部门筛查预警：医保、教育、民政、残联、住建、应急、人社等部门发现风险后推送到村核实，请配合入户核实。
【申报以后怎么办】
村里接到申报后入户核实，请如实说明家庭人口、收入和支出情况，签署承诺授权书。经信息比对、村民主评议、村内公示（不少于{公示天数}天）、乡镇审核和区级审定后公告，纳入监测对象，从发现风险到完成认定一般不超过{认定天数}天。因灾等突发困难可走绿色通道，先落实帮扶措施、后补办程序。纳入后按照“一户一策”落实帮扶措施，并确定帮扶责任人。
【温馨提示】
申报不设名额限制，符合条件的应纳尽纳；申报、核实和帮扶都不收取任何费用。公示只在村内进行，不公开身份证号、电话号码、银行账号和健康状况。如有疑问，或发现弄虚作假、优亲厚友等问题，请联系{村联系人}，或拨打{热线}。"""

ASSISTANCE_TITLE = "防止返贫监测帮扶政策明白纸"
ASSISTANCE_BODY = """{户主姓名}户：
经入户核实、民主评议、公示和审定，您家于{纳入监测日期}纳入防止返贫监测对象，监测对象类型为“{监测对象类型}”，主要风险为{风险类型}。区、乡镇、村将按照“一户一策”为您家落实帮扶措施，帮扶责任人为{帮扶责任人}。
【您家的帮扶措施】
{帮扶措施}
【相关帮扶政策】
{帮扶政策}
【风险怎样消除】
纳入监测满{消除前监测月数}个月、至少落实一项帮扶措施后，家庭收入持续稳定、年人均纯收入稳定超过当年{监测范围名称}（{年度}年为{监测范围}元），“两不愁三保障”和饮水安全有保障，识别时的风险已经消除的，经入户核实、民主评议、公示和审定后标注风险消除。风险消除后，小额信贷、公益性岗位、学生资助等措施按规定继续落实；再遇到困难可随时申报。
【温馨提示】
请配合帮扶责任人定期走访，家庭人口、收入、支出、住房、就业等情况发生变化时及时告知。帮扶政策不收取任何费用。如有疑问，请联系帮扶责任人或{村联系人}，也可拨打{热线名称}{热线}。"""

TEMPLATES = {
    "declaration": (DECLARATION_TITLE, DECLARATION_BODY),
    "assistance": (ASSISTANCE_TITLE, ASSISTANCE_BODY),
}


def seed(apps, schema_editor):
    LeafletTemplate = apps.get_model("reports", "LeafletTemplate")
    for kind, (title, body) in TEMPLATES.items():
        LeafletTemplate.objects.get_or_create(
            kind=kind, version=1, defaults={"title": title, "body": body, "reason": REASON}
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
