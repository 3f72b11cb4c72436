"""The left menu: one list per role, built from capabilities so a page shows only what the role may open."""

from dataclasses import dataclass

from django.urls import reverse

from zhenxing.accounts.roles import Capability


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    capability: Capability | None = None
    section: str = ""


MENU = [
    MenuItem("工作台", "home"),
    MenuItem("农户台账", "registry:household_list", Capability.VIEW_REGISTRY, "防返贫监测"),
    MenuItem("风险线索", "cases:lead_list", Capability.VIEW_CASES, "防返贫监测"),
    MenuItem("监测案件", "cases:case_list", Capability.VIEW_CASES, "防返贫监测"),
    MenuItem("督办看板", "cases:board", Capability.VIEW_CASES, "防返贫监测"),
    MenuItem("帮扶责任人", "cases:workload", Capability.VIEW_CASES, "防返贫监测"),
    MenuItem("台账导入", "imports:index", Capability.IMPORT_REGISTRY, "防返贫监测"),
    MenuItem("筛查预警", "screening:warning_list", Capability.VIEW_CASES, "部门筛查预警"),
    MenuItem("部门数据", "screening:feed_list", Capability.VIEW_FEEDS, "部门筛查预警"),
    MenuItem("筛查运行", "screening:run_list", Capability.VIEW_SCREENING_RUNS, "部门筛查预警"),
    MenuItem("筛查规则", "screening:rule_list", Capability.VIEW_POLICY, "部门筛查预警"),
    MenuItem("项目库", "funds:project_list", Capability.VIEW_FUNDS, "衔接资金"),
    MenuItem("年度计划", "funds:plan", Capability.VIEW_FUNDS, "衔接资金"),
    MenuItem("拨付进度", "funds:progress", Capability.VIEW_FUNDS, "衔接资金"),
    MenuItem("资产台账", "funds:asset_list", Capability.VIEW_FUNDS, "衔接资金"),
    MenuItem("光伏电站", "funds:pv_list", Capability.VIEW_FUNDS, "衔接资金"),
    MenuItem("统计看板", "reports:dashboard", Capability.VIEW_REPORTS, "统计分析"),
    MenuItem("区域地图", "reports:map", Capability.VIEW_REPORTS, "统计分析"),
    MenuItem("明白纸", "reports:leaflet_index", Capability.VIEW_REPORTS, "统计分析"),
    MenuItem("统计报表", "reports:export_index", Capability.VIEW_REPORTS, "统计分析"),
    MenuItem("行政区划", "areas:tree", Capability.VIEW_AREAS, "基础数据"),
    MenuItem("年度政策参数", "policy:year_list", Capability.VIEW_POLICY, "基础数据"),
    MenuItem("用户管理", "accounts:user_list", Capability.VIEW_USERS, "系统管理"),
    MenuItem("接口密钥", "api:api_tokens", Capability.MANAGE_USERS, "系统管理"),
    MenuItem("后台任务", "jobs:list", None, "系统管理"),
    MenuItem("审计日志", "audit:list", Capability.VIEW_AUDIT, "系统管理"),
    MenuItem("登录日志", "accounts:login_log", Capability.VIEW_AUDIT, "系统管理"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [i for i in MENU if i.capability is None or user.can(i.capability)]
    urls = {i.url_name: reverse(i.url_name) for i in items}
    # The item whose address is the longest prefix of this page is the current one (/cases/board/ is
    # 督办看板, not 监测案件 at /cases/).
    matches = [u for u in urls.values() if (request.path == u if u == "/" else request.path.startswith(u))]
    current = max(matches, key=len, default=None)
    sections: dict[str, list[dict]] = {}
    for item in items:
        url = urls[item.url_name]
        sections.setdefault(item.section, []).append(
            {"label": item.label, "url": url, "active": url == current}
        )
    return {"menu": sections}
