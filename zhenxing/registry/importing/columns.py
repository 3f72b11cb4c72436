"""The `户籍成员` and `家庭收入` columns: canonical headers (the template) and every accepted alias.

Headers match ignoring whitespace and full-/half-width brackets (`lib.tabular`), so 务工时间（月） and
务工时间(月) are one header. Aliases come from formats.md §1–2 and national-formats §3 and §6.1.
"""

from zhenxing.lib.tabular import Column

HOUSEHOLD_SHEET = "户籍成员"
INCOME_SHEET = "家庭收入"

HOUSEHOLD_COLUMNS = [
    Column("number", "户编号", required=True),
    Column("person_number", "人编号", ("人口编号", "人员编号")),
    Column("area_code", "行政区划代码", ("村行政区划代码", "村(社区)代码", "村代码")),
    # The national exports name the place instead of coding it (乡, 村 / 乡(镇), 行政村).
    Column("township", "乡(镇)", ("乡", "镇(乡)", "乡镇", "乡镇(街道)", "乡(镇、街道)")),
    Column("village", "行政村", ("村", "村(社区)", "行政村(社区)")),
    Column("kind", "户类型"),
    Column("attribute", "脱贫属性"),
    Column("old_attribute", "贫困户属性"),  # 2016–2020 exports carry both 脱贫属性 and 贫困户属性
    Column("lifted_year", "脱贫年度", ("脱贫年份",)),
    Column("name", "姓名", required=True),
    Column(
        "id_number",
        "公民身份号码",
        ("证件号码", "身份证号码", "身份证号", "证件号码(残疾人证)", "证件号码(存残疾人证)"),
        required=True,
    ),
    Column("relation", "与户主关系", required=True),
    Column("ethnicity", "民族"),
    Column("political_status", "政治面貌"),
    Column("education", "文化程度"),
    Column("schooling", "在校生状况", ("在校生情况",)),
    Column("health", "健康状况", required=True),
    Column(
        "labour_capacity", "劳动能力", ("劳动技能", "劳动能力页面(劳动技能)", "页面(劳动技能)"), required=True
    ),
    Column("employment", "务工状况", ("务工情况",)),
    Column("work_place", "务工所在地", ("务工地点",)),
    Column("months_worked", "务工时间(月)", ("务工时长(月)", "务工时间", "务工月数")),
    Column("phone", "联系电话", ("成员联系电话", "人联系电话", "家庭成员联系电话")),
    # Both phone columns appear in the 2021 person sheet: the member's own number wins.
    Column("household_phone", "户联系电话", ("农户联系电话",)),
]

# The template (and the registry export, which must re-import cleanly), in this order.
HOUSEHOLD_HEADERS = [
    "户编号",
    "人编号",
    "行政区划代码",
    "户类型",
    "脱贫属性",
    "脱贫年度",
    "姓名",
    "公民身份号码",
    "与户主关系",
    "民族",
    "政治面貌",
    "文化程度",
    "在校生状况",
    "健康状况",
    "劳动能力",
    "务工状况",
    "务工时间(月)",
    "联系电话",
]

# 转移性收入 sub-items of the national household export: stored under these names.
TRANSFER_ITEMS = {
    "t_family_planning": "计划生育金",
    "t_minimum_living": "低保金",
    "t_extreme_poverty": "特困供养金",
    "t_pension": "养老保险金",
    "t_ecological": "生态补偿金",
    "t_other": "其他转移性收入",
}

INCOME_AMOUNTS = {
    "wage_income": "工资性收入",
    "business_income": "生产经营性收入",
    "property_income": "财产性收入",
    "transfer_income": "转移性收入",
    "production_costs": "生产经营性支出",
}
INCOME_OPTIONAL_AMOUNTS = {"claims_income": "理赔收入", "compliant_out_of_pocket": "合规自付支出"}

INCOME_COLUMNS = [
    Column("number", "户编号", required=True),
    Column("year", "年度", required=True),
    *(Column(key, header, required=True) for key, header in INCOME_AMOUNTS.items()),
    Column("claims_income", "理赔收入", ("家庭理赔收入", "其他理赔收入")),
    Column("compliant_out_of_pocket", "合规自付支出", ("其他合规自付支出",)),
    Column("per_capita", "人均纯收入", ("人均纯收入(元)", "家庭人均纯收入")),
    Column("net_income", "纯收入", ("家庭纯收入",)),
    Column("t_family_planning", "计划生育金"),
    Column("t_minimum_living", "低保金"),
    Column("t_extreme_poverty", "特困供养金", ("五保金",)),
    Column("t_pension", "养老保险金", ("养老金",)),
    Column("t_ecological", "生态补偿金", ("生态补偿金小计",)),
    Column("t_other", "其他转移性收入", ("其他转移性收入小计",)),
]

INCOME_HEADERS = [
    "户编号",
    "年度",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "理赔收入",
    "合规自付支出",
    "人均纯收入",
    *TRANSFER_ITEMS.values(),
]

HEADER = {c.key: c.header for c in HOUSEHOLD_COLUMNS}
INCOME_HEADER = {c.key: c.header for c in INCOME_COLUMNS}
