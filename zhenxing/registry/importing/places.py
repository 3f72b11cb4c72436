"""Villages named in an import: by 12-digit code or by 乡(镇)/行政村 names, inside the user's scope; and
务工状况 read from a 务工所在地 address."""

from __future__ import annotations

from zhenxing.areas.models import Area, Level
from zhenxing.registry import codes

HOME_PROVINCE = "湖北"
PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏",
    "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
)  # fmt: skip


class Places:
    """Villages by code or by 乡(镇)/行政村 names, with the scope check."""

    def __init__(self, scope: Area):
        self.scope = scope
        rows = Area.objects.filter(level__in=[Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]).values(
            "id", "code", "name", "level", "parent_id", "is_active"
        )
        self.by_id = {a["id"]: a for a in rows}
        self.by_code = {a["code"]: a for a in self.by_id.values()}
        self.townships: dict[str, list[dict]] = {}
        self.villages: dict[str, list[dict]] = {}
        for a in self.by_id.values():
            if a["level"] == Level.TOWNSHIP:
                self.townships.setdefault(_place(a["name"]), []).append(a)
            elif a["level"] == Level.VILLAGE:
                self.villages.setdefault(_place(a["name"]), []).append(a)
        self.county_names = [a["name"] for a in self.by_id.values() if a["level"] == Level.COUNTY]
        self._cache: dict[tuple, tuple[dict | None, str, str]] = {}

    def full_name(self, area: dict) -> str:
        names = []
        while area is not None:
            names.append(area["name"])
            area = self.by_id.get(area["parent_id"])
        return "".join(reversed(names))

    def resolve(self, code: str, township: str, village: str) -> tuple[dict | None, str, str]:
        """(village, "", "") or (None, column key, reason)."""
        key = (code, township, village)
        if key not in self._cache:
            self._cache[key] = self._resolve(*key)
        return self._cache[key]

    def _resolve(self, code: str, township: str, village: str) -> tuple[dict | None, str, str]:
        if code:
            area = self.by_code.get(code)
            if len(code) != 12 or not code.isdigit():
                return None, "area_code", f"行政区划代码应为村（社区）的12位数字代码，当前为“{code}”，请核对"
            if area is None or area["level"] != Level.VILLAGE:
                return (
                    None,
                    "area_code",
                    f"行政区划代码“{code}”不是已登记的村（社区）：请核对代码，或先在“行政区划”中添加该村",
                )
            return self._checked(area, "area_code")
        if not village:
            return None, "area_code", "未填写行政区划代码：请填写所在村（社区）的12位行政区划代码"
        candidates = self.villages.get(_place(village), [])
        if township:
            towns = {t["id"] for t in self.townships.get(_place(township), [])}
            if not towns:
                return None, "township", f"找不到乡(镇)“{township}”：请核对名称，或改填12位行政区划代码"
            candidates = [c for c in candidates if c["parent_id"] in towns]
            if not candidates:
                return (
                    None,
                    "village",
                    f"乡(镇)“{township}”下没有名为“{village}”的村（社区）：请核对名称，或改填12位行政区划代码",
                )
        if not candidates:
            return None, "village", f"找不到村（社区）“{village}”：请核对名称，或改填12位行政区划代码"
        inside = [c for c in candidates if c["code"].startswith(self.scope.code)]
        if len(inside) > 1 or (not inside and len(candidates) > 1):
            return (
                None,
                "village",
                f"有多个名为“{village}”的村（社区）：请同时填写乡(镇)，或改填12位行政区划代码",
            )
        return self._checked((inside or candidates)[0], "village")

    def _checked(self, area: dict, key: str) -> tuple[dict | None, str, str]:
        if not area["code"].startswith(self.scope.code):
            return (
                None,
                key,
                f"{area['code']}（{self.full_name(area)}）不在您的管辖范围（{self.scope.full_name}）内：只能导入本辖区的农户",
            )
        if not area["is_active"]:
            return None, key, f"{self.full_name(area)}（{area['code']}）已撤销：请改填现行的村（社区）"
        return area, "", ""

    def employment_from_place(self, place: str, village: dict | None) -> str | None:
        """务工状况 from a 务工所在地 address such as "江苏省苏州市…" (None when it cannot tell)."""
        text = codes.normalize_label(place)
        province = next((p for p in PROVINCES if text.startswith(p)), None)
        if province is not None and province != HOME_PROVINCE:
            return "省外务工"
        county = next((c for c in self.county_names if c in text), None)
        if county is not None:
            township = self.by_id.get(village["parent_id"]) if village else None
            if township is not None and _place(township["name"]) in text:
                return "乡镇内务工"
            return "县内务工"
        if province == HOME_PROVINCE:
            return "省内县外务工"
        return None


def _place(name: str) -> str:
    """Village/township names as national exports write them (新港村委会 → 新港村)."""
    name = codes.normalize_label(name)
    for long, short in (("村民委员会", "村"), ("居民委员会", "社区"), ("村委会", "村"), ("居委会", "社区")):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name
