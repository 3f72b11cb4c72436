"""What `static/zhenxing/dashboard.js` draws with ECharts: plain chart specs built from the figures.

A spec is `{"id", "title", "kind": "bar"|"line"|"pie", "labels", "series": [{"name", "data", "urls"}]}`;
every point carries the URL of the list it counts, so clicking a bar or a slice opens that list.
"""


def _series(name: str, figures: list[dict]) -> dict:
    return {"name": name, "data": [f["value"] or 0 for f in figures], "urls": [f["url"] for f in figures]}


def _chart(chart_id: str, title: str, kind: str, labels: list[str], *series: dict) -> dict:
    return {"id": chart_id, "title": title, "kind": kind, "labels": labels, "series": list(series)}


def monitoring(data: dict, prefix: str = "monitoring") -> list[dict]:
    months = data["months"]
    charts = [
        _chart(
            f"{prefix}-types",
            "监测对象类型（户）",
            "pie",
            [f["label"] for f in data["types"]],
            _series("监测户", data["types"]),
        ),
        _chart(
            f"{prefix}-months",
            "每月新纳入监测与风险消除（户）",
            "line",
            [m["month"] for m in months],
            _series("新纳入监测", [m["new"] for m in months]),
            _series("风险消除", [m["eliminated"] for m in months]),
        ),
    ]
    if data["risks"]:
        charts.append(
            _chart(
                f"{prefix}-risks",
                "主要风险类型（户）",
                "bar",
                [f["label"] for f in data["risks"]],
                _series("监测户", data["risks"]),
            )
        )
    if data["rows"]:
        charts.append(
            _chart(
                f"{prefix}-rows",
                "监测户分布",
                "bar",
                [r["area"].name for r in data["rows"]],
                _series("监测户", [r["households"] for r in data["rows"]]),
                _series("风险已消除", [r["eliminated"] for r in data["rows"]]),
            )
        )
    return charts


def households(data: dict, prefix: str = "households") -> list[dict]:
    charts = [
        _chart(
            f"{prefix}-colours",
            f"风险颜色（{data['colours']['today']:%Y-%m-%d}）",
            "pie",
            [f["label"] for f in data["colours"]["totals"]],
            _series("农户", data["colours"]["totals"]),
        ),
    ]
    if data["income"]:
        bands = data["income"]["bands"]
        charts.append(
            _chart(
                f"{prefix}-income",
                f"{data['income']['year']}年人均纯收入分布（户，监测范围{data['income']['line']}元）",
                "bar",
                [b["label"] for b in bands],
                *(
                    _series(k["label"], [b["kinds"][i] for b in bands])
                    for i, k in enumerate(bands[0]["kinds"])
                ),
            )
        )
    return charts


def warnings(data: dict, prefix: str = "warnings") -> list[dict]:
    lines = data["departments"]
    return [
        _chart(
            f"{prefix}-departments",
            "各部门预警",
            "bar",
            [d["label"] for d in lines],
            _series("收到", [d["received"] for d in lines]),
            _series("办结", [d["closed"] for d in lines]),
            _series("逾期未办结", [d["overdue"] for d in lines]),
        )
    ]


def work(data: dict, prefix: str = "work") -> list[dict]:
    return [
        _chart(
            f"{prefix}-measures",
            "帮扶措施类别（监测户）",
            "bar",
            [f["label"] for f in data["measures"]],
            _series("户", data["measures"]),
        )
    ]


def employment(data: dict, prefix: str = "employment") -> list[dict]:
    rows = data["rows"]
    return [
        _chart(
            f"{prefix}-rows",
            "脱贫劳动力外出务工（人）",
            "bar",
            [r["area"].name for r in rows],
            _series(f"{data['last_day']:%Y-%m-%d}", [r["last"]["migrants"] for r in rows]),
            _series(f"{data['this_day']:%Y-%m-%d}", [r["this"]["migrants"] for r in rows]),
        )
    ]


def funds(data: dict, prefix: str = "funds") -> list[dict]:
    sources = data["sources"]
    figures = [{"value": float(s["row"].percent or 0), "url": s["url"]} for s in sources]
    chart = _chart(
        f"{prefix}-sources",
        f"{data['year']}年拨付进度（%）",
        "bar",
        [s["row"].label for s in sources],
        _series("拨付进度", figures),
    )
    chart["marks"] = [{"label": c.label, "value": float(c.percent)} for c in data["checkpoints"]]
    chart["max"] = 100
    return [
        chart,
        _chart(
            f"{prefix}-statuses",
            "项目入库状态",
            "pie",
            [f["label"] for f in data["statuses"]],
            _series("项目", data["statuses"]),
        ),
    ]


SECTION_CHARTS = {
    "monitoring": monitoring,
    "households": households,
    "warnings": warnings,
    "work": work,
    "employment": employment,
    "funds": funds,
}


def for_section(section: str, data: dict) -> list[dict]:
    return SECTION_CHARTS[section](data)


def for_screen(data: dict) -> list[dict]:
    """The wall's four charts: monitored households per row, the monthly flows, the colours, funds by source."""
    monitoring_charts = {c["id"]: c for c in monitoring(data["monitoring"], "screen")}
    picked = [
        monitoring_charts.get("screen-rows"),
        monitoring_charts["screen-months"],
        households(data["households"], "screen")[0],
    ]
    return [c for c in picked if c] + funds(data["funds"], "screen")[:1]
