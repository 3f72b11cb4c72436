"""Check a `户籍成员` file (one row per person) completely and plan what committing it would do.

`validate_households(data, filename, scope)` reads the whole file, groups rows by 户编号 and lists every
problem (sheet, row, column, what to fix); the plan says per household whether it is new, an update
(with its changes) or unchanged. Nothing is written here (`importing.commit` writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from zhenxing.areas.models import Area
from zhenxing.lib import idnumbers, personal
from zhenxing.lib.tabular import Row, Table, TableError, read_table
from zhenxing.registry import codes
from zhenxing.registry.importing.columns import HEADER, HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, INCOME_SHEET
from zhenxing.registry.importing.common import (
    NEW,
    UNCHANGED,
    UPDATE,
    Progress,
    RowError,
    chunks,
    clean_phone,
    no_gc,
    notice_for_ignored,
    parse_whole_number,
    sheet_names,
)
from zhenxing.registry.importing.places import Places
from zhenxing.registry.models import HEAD, Household, HouseholdKind, Membership, Person, PersonStatus

SPOUSE = "配偶"
LIFTED_YEARS = (2014, 2020)
# Person attributes a file may set (besides the name), compared and written by key.
VALUE_FIELDS = (
    "external_id",
    "ethnicity",
    "political_status",
    "education",
    "schooling",
    "health",
    "labour_capacity",
    "employment",
    "months_worked",
)
PROGRESS_EVERY = 2000


@dataclass(slots=True)
class PlannedPerson:
    row: int
    id_number: str  # normalised 18 characters; "" when the cell is invalid (the row has an error)
    id_hash: str
    sex: str
    name: str
    relation: str
    values: dict  # the VALUE_FIELDS the file gives (an absent column keeps the stored value)
    phone: str  # "" = not given (a stored phone is kept)
    person_id: int | None = None  # an existing person with this ID number


@dataclass
class PlannedHousehold:
    number: str
    first_row: int
    area_id: int | None = None
    area_code: str = ""
    kind: str = ""
    lifted_year: int | None = None
    lifted_attribute: str | None = None  # None: the file does not say (a stored value is kept)
    members: list[PlannedPerson] = field(default_factory=list)
    action: str = NEW
    household_id: int | None = None
    # For updates: {"household": {field: [old, new]}, "removed": [person ids], "added": n,
    # "members": {person id: {field: [old, new] or "changed"}}} — ids and values, no names or ID numbers.
    changes: dict = field(default_factory=dict)
    # The registry state the plan was made against; the commit re-checks it (stale plans fail).
    basis: tuple | None = None
    raw: dict = field(default_factory=dict)  # household field → (first row, text) for consistency


@dataclass
class HouseholdPlan:
    filename: str = ""
    sheet: str = HOUSEHOLD_SHEET
    households: dict[str, PlannedHousehold] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    present: frozenset[str] = frozenset()  # column keys the file has
    rows: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def has_file_error(self) -> bool:
        return any(e.row == 0 for e in self.errors)

    def error_households(self) -> set[str]:
        return {e.household for e in self.errors if e.household}

    def selected(self, only_valid: bool = False) -> list[PlannedHousehold]:
        """The households a commit writes: all (the plan must be valid) or only the clean ones."""
        if self.has_file_error:
            return []
        if not only_valid:
            return list(self.households.values())
        bad = self.error_households()
        return [h for h in self.households.values() if h.number not in bad]

    def count(self, action: str, only_valid: bool = False) -> int:
        return sum(1 for h in self.selected(only_valid) if h.action == action)

    def summary(self) -> dict:
        """Small, JSON-ready figures for the preview, the job result and the command line."""
        clean = self.selected(only_valid=True)
        return {
            "households": len(self.households),
            "new": sum(1 for h in self.households.values() if h.action == NEW),
            "updated": sum(1 for h in self.households.values() if h.action == UPDATE),
            "unchanged": sum(1 for h in self.households.values() if h.action == UNCHANGED),
            "persons": self.rows,
            "errors": len(self.errors),
            "error_households": len(self.error_households() & set(self.households)),
            "clean_households": len(clean),
            "clean_changes": sum(1 for h in clean if h.action != UNCHANGED),
            "file_error": self.has_file_error,
        }


def read_households(data: bytes, filename: str) -> Table:
    """Parse the file (raises TableError for a file-level problem such as a missing column)."""
    with no_gc():
        return read_table(data, filename, sheet=HOUSEHOLD_SHEET, columns=HOUSEHOLD_COLUMNS)


def validate_households(
    data: bytes, filename: str, scope_area: Area, progress: Progress | None = None, *, alone: bool = True
) -> HouseholdPlan:
    """Check the whole file against the registry within `scope_area` (the importing user's area).

    `alone=False` when the income import reads the same workbook (its 家庭收入 sheet is not ignored).
    """
    try:
        table = read_households(data, filename)
    except TableError as e:
        plan = HouseholdPlan(filename=filename)
        plan.errors.append(RowError(HOUSEHOLD_SHEET, 0, "", e.message))
        return plan
    plan = plan_households(table, scope_area, filename=filename, progress=progress)
    if alone and INCOME_SHEET in sheet_names(data, filename):
        plan.notices.append(
            f"文件中的“{INCOME_SHEET}”工作表没有导入：请在“{INCOME_SHEET}”导入中上传同一文件（户籍成员会一并导入）"
        )
    return plan


def plan_households(
    table: Table, scope_area: Area, *, filename: str = "", progress: Progress | None = None
) -> HouseholdPlan:
    """The plan for a parsed table (split from `validate_households` so the benchmark times each)."""
    plan = HouseholdPlan(
        filename=filename,
        sheet=table.sheet_name or HOUSEHOLD_SHEET,
        present=frozenset(table.columns),
        rows=len(table.rows),
    )
    plan.notices += notice_for_ignored(table.ignored_headers)
    file_error = _file_error(plan.present, table)
    if file_error:
        plan.errors.append(RowError(plan.sheet, 0, "", file_error))
        return plan
    with no_gc():
        _Checker(plan, table, scope_area, progress).run()
    return plan


def _file_error(present: frozenset[str], table: Table) -> str:
    if "area_code" not in present and "village" not in present:
        return "缺少必需列：行政区划代码（或“乡(镇)”“行政村”两列），请添加后重新上传"
    if not present & {"kind", "attribute", "old_attribute"}:
        return "缺少必需列：户类型，请添加后重新上传"
    if not table.rows:
        return "文件中没有数据行：请在表头下方逐行填写家庭成员，每人一行"
    return ""


class _Checker:
    """Walks the rows once, then the households, then looks the registry up in bulk."""

    def __init__(self, plan: HouseholdPlan, table: Table, scope: Area, progress: Progress | None):
        self.plan = plan
        self.table = table
        self.present = plan.present
        self.headers = {key: table.columns.get(key, HEADER[key]) for key in HEADER}
        self.progress = progress
        self.areas = Places(scope)
        self.scope = scope
        self.codes = {item: codes.table(item) for item in codes.ITEMS}
        self.seen_ids: dict[str, int] = {}
        self.memo: dict[str, dict[str, tuple]] = {}
        self.data_key = settings.ZX_DATA_KEY  # passed explicitly: reading settings per row costs
        self.has = {key: key in plan.present for key in HEADER}

    # —— helpers ——————————————————————————————————————————————————————————————————————————————————

    def error(self, row: int, key: str, reason: str, household: str) -> None:
        column = self.headers.get(key, key) if key else ""
        self.plan.errors.append(RowError(self.plan.sheet, row, column, reason, household))

    def allowed(self, item: str) -> str:
        return "、".join(self.codes[item].current)

    def cell(self, row: Row, key: str, number: str):
        """The checked value of a cell whose check depends on its text alone (memoised by text: a file
        of 100,000 rows holds a few dozen distinct values per coded column). Records the error."""
        text = row.values[key]
        memo = self.memo.setdefault(key, {})
        checked = memo.get(text)
        if checked is None:
            checked = memo[text] = self.CHECKS[key](self, text)
        value, reason = checked
        if reason:
            self.error(row.number, key, reason, number)
        return value

    def check_code(self, key: str, item: str, text: str, required: bool = False) -> tuple:
        if not text:
            return (None, f"未填写{HEADER[key]}：可填 {self.allowed(item)}") if required else ("", None)
        value = self.codes[item].lookup.get(codes.normalize_label(text))
        if value is None:
            return None, f"{HEADER[key]}“{text}”不在代码表中：可填 {self.allowed(item)}"
        return value, None

    def check_health(self, text: str) -> tuple:
        allowed = f"可填 {self.allowed('health')}，多项用逗号分隔"
        if not text:
            return None, f"未填写健康状况：{allowed}"
        value, unknown = codes.canonical_multi("health", text)
        if unknown:
            shown = "、".join(f"“{u}”" for u in unknown)
            return None, f"健康状况{shown}不在代码表中：{allowed}"
        healthy = self.codes["health"].current[0]
        if healthy in value.split(",") and value != healthy:
            return None, f"健康状况“{healthy}”不能与其他情况同时填写：请删除“{healthy}”或其他情况"
        return value, None

    def check_months(self, text: str) -> tuple:
        if not text:
            return None, None
        months = parse_whole_number(text)
        if months is None or months > 12:
            return None, f"务工时间（月）应为0—12之间的整数，当前为“{text}”"
        return months, None

    def check_education(self, text: str) -> tuple:
        """(education, schooling it moves to) — 学龄前儿童 was a 文化程度 until 2020, now a 在校生状况."""
        education, reason = self.check_code("education", "education", text)
        moved = ""
        if education == "" and text:
            moved = self.codes["schooling"].lookup.get(codes.normalize_label(text), "")
        return (education, moved), reason

    CHECKS = {
        "relation": lambda self, text: self.check_code("relation", "relation", text, required=True),
        "political_status": lambda self, text: self.check_code("political_status", "political_status", text),
        "education": check_education,
        "schooling": lambda self, text: self.check_code("schooling", "schooling", text),
        "health": check_health,
        "labour_capacity": lambda self, text: self.check_code(
            "labour_capacity", "labour_capacity", text, required=True
        ),
        "employment": lambda self, text: self.check_code("employment", "employment", text),
        "months_worked": check_months,
    }

    # —— the run ——————————————————————————————————————————————————————————————————————————————————

    def run(self) -> None:
        rows = self.table.rows
        total = len(rows)
        for done, row in enumerate(rows, start=1):
            self.check_row(row)
            if self.progress and done % PROGRESS_EVERY == 0:
                self.progress(done, total)
        for household in self.plan.households.values():
            self.check_members(household)
        if self.progress:
            self.progress(total, total)
        _Registry(self).compare()
        self.plan.errors.sort(key=lambda e: e.row)

    def check_row(self, row: Row) -> None:
        number = row.values["number"]
        if not number:
            self.error(row.number, "number", "未填写户编号：请填写户编号，同一户的成员填写相同的户编号", "")
        elif len(number) > 40:
            self.error(row.number, "number", "户编号超过40个字符：请核对", number)
            number = ""
        household = None
        if number:
            household = self.plan.households.get(number)
            if household is None:
                household = self.plan.households[number] = PlannedHousehold(number, row.number)
            self.check_household_fields(row, household)
        person = self.check_person(row, number, household)
        if household is not None:
            household.members.append(person)

    def check_person(self, row: Row, number: str, household: PlannedHousehold | None) -> PlannedPerson:
        v = row.values
        name = v["name"]
        if not name:
            self.error(row.number, "name", "未填写姓名：请填写", number)
        elif len(name) > 40:
            self.error(row.number, "name", "姓名超过40个字：请核对", number)
        id_number, id_hash, sex = "", "", ""
        try:
            id_number = idnumbers.validate(v["id_number"])
        except idnumbers.InvalidIdNumber as e:
            self.error(row.number, "id_number", str(e), number)
        else:
            first = self.seen_ids.setdefault(id_number, row.number)
            if first != row.number:
                self.error(
                    row.number,
                    "id_number",
                    f"公民身份号码与第{first}行重复：同一人只能填写一行，请删除重复的行或核对号码",
                    number,
                )
            id_hash = personal.lookup_hash(id_number, key=self.data_key)
            sex = "男" if int(id_number[16]) % 2 else "女"
        relation = self.cell(row, "relation", number) or ""
        if codes.PAIR_SEPARATOR in relation:
            relation = codes.pick_by_sex(relation, sex)
        values = self.person_values(row, number, household)
        phone = ""
        raw_phone = v["phone"] or v["household_phone"]
        if raw_phone:
            phone = clean_phone(raw_phone) or ""
            if not phone:
                key = "phone" if v["phone"] else "household_phone"
                self.error(
                    row.number,
                    key,
                    f"联系电话“{raw_phone}”不是11位手机号码或固定电话（如 0711-3201234）：请核对",
                    number,
                )
        return PlannedPerson(row.number, id_number, id_hash, sex, name, relation, values, phone)

    def person_values(self, row: Row, number: str, household: PlannedHousehold | None) -> dict:
        v, has, values = row.values, self.has, {}
        if has["person_number"]:
            if len(v["person_number"]) > 40:
                self.error(row.number, "person_number", "人编号超过40个字符：请核对", number)
            values["external_id"] = v["person_number"][:40]
        if has["ethnicity"]:
            if len(v["ethnicity"]) > 20:
                self.error(row.number, "ethnicity", "民族超过20个字：请核对", number)
            values["ethnicity"] = v["ethnicity"][:20]
        if has["political_status"]:
            values["political_status"] = self.cell(row, "political_status", number)
        moved = ""
        if has["education"]:
            values["education"], moved = self.cell(row, "education", number) or (None, "")
        if has["schooling"] and v["schooling"]:
            values["schooling"] = self.cell(row, "schooling", number)
        elif has["schooling"] or moved:
            values["schooling"] = moved
        values["health"] = self.cell(row, "health", number)
        values["labour_capacity"] = self.cell(row, "labour_capacity", number)
        if v["employment"]:
            values["employment"] = self.cell(row, "employment", number)
        elif v["work_place"]:
            values["employment"] = self.employment_from_place(row, number, household)
        elif has["employment"] or has["work_place"]:
            values["employment"] = ""
        if has["months_worked"]:
            values["months_worked"] = self.cell(row, "months_worked", number)
        return values

    def employment_from_place(self, row: Row, number: str, household: PlannedHousehold | None) -> str | None:
        place = row.values["work_place"]
        value = self.codes["employment"].lookup.get(codes.normalize_label(place))
        if value is None:
            village = self.areas.by_id.get(household.area_id) if household and household.area_id else None
            value = self.areas.employment_from_place(place, village)
        if value is None:
            self.error(
                row.number,
                "work_place",
                f"无法从务工所在地“{place}”判断务工状况：请填写务工状况（可填 {self.allowed('employment')}）",
                number,
            )
        return value

    # —— household fields (repeated on every row of the household) ————————————————————————————————

    def same_as_first(
        self, row: Row, household: PlannedHousehold, field_name: str, key: str, text: str
    ) -> bool:
        """True for the first row giving this field; False (with an error) when a later row differs."""
        first = household.raw.get(field_name)
        if first is None:
            household.raw[field_name] = (row.number, text)
            return True
        if first[1] != text:
            self.error(
                row.number,
                key,
                f"同一户各行的{HEADER[key]}不一致（第{first[0]}行为“{first[1]}”，本行为“{text}”）：请改为相同的值",
                household.number,
            )
        return False

    def check_household_fields(self, row: Row, household: PlannedHousehold) -> None:
        v = row.values
        area_key = "area_code" if v["area_code"] or "village" not in self.present else "village"
        area_text = v["area_code"] or f"{v['township']}{v['village']}"
        if self.same_as_first(row, household, "area", area_key, area_text):
            area, key, reason = self.areas.resolve(v["area_code"], v["township"], v["village"])
            if area is None:
                self.error(row.number, key, reason, household.number)
            else:
                household.area_id, household.area_code = area["id"], area["code"]
        kind_key = (
            "kind"
            if "kind" in self.present
            else ("attribute" if "attribute" in self.present else "old_attribute")
        )
        kind_text = "/".join(
            v[k] for k in ("kind", "attribute", "old_attribute") if k in self.present and v[k]
        )
        if self.same_as_first(row, household, "kind", kind_key, kind_text):
            self.check_kind(row, household)
        if "lifted_year" in self.present and self.same_as_first(
            row, household, "lifted_year", "lifted_year", v["lifted_year"]
        ):
            self.check_lifted_year(row, household)

    def check_kind(self, row: Row, household: PlannedHousehold) -> None:
        v, number = row.values, household.number
        kinds, attributes = self.codes["household_kind"], self.codes["lifted_attribute"]
        kind_label = v["kind"]
        attribute: str | None = None
        kind: str | None = None
        if kind_label:
            kind = kinds.lookup.get(codes.normalize_label(kind_label))
            if kind is None:
                self.error(
                    row.number,
                    "kind",
                    f"户类型“{kind_label}”不在代码表中：可填 {self.allowed('household_kind')}"
                    f"（也可填脱贫属性：{self.allowed('lifted_attribute')}）",
                    number,
                )
                return
            attribute = attributes.lookup.get(codes.normalize_label(kind_label)) or None
        given = [k for k in ("attribute", "old_attribute") if k in self.present]
        for key in given:
            label = v[key]
            if not label:
                continue
            value = attributes.lookup.get(codes.normalize_label(label))
            if value is None:
                value = "" if kinds.lookup.get(codes.normalize_label(label)) else None
            if value is None:
                self.error(
                    row.number,
                    key,
                    f"{HEADER[key]}“{label}”不在代码表中：可填 {self.allowed('lifted_attribute')}",
                    number,
                )
                return
            if kind is None:
                kind = HouseholdKind.LIFTED
            if value and not attribute:
                attribute = value
            if kind == HouseholdKind.ORDINARY and value:
                self.error(
                    row.number,
                    key,
                    f"户类型为一般农户，但{HEADER[key]}为“{label}”：请核对户类型或删除{HEADER[key]}",
                    number,
                )
                return
        if kind is None:
            self.error(row.number, "kind", f"未填写户类型：可填 {self.allowed('household_kind')}", number)
            return
        household.kind = kind
        if kind == HouseholdKind.ORDINARY:
            household.lifted_attribute = ""
        elif attribute is not None:
            household.lifted_attribute = attribute
        elif given:
            household.lifted_attribute = ""

    def check_lifted_year(self, row: Row, household: PlannedHousehold) -> None:
        text = row.values["lifted_year"]
        if not text:
            return
        year = parse_whole_number(text.removesuffix("年"))
        if year is None or not LIFTED_YEARS[0] <= year <= LIFTED_YEARS[1]:
            self.error(
                row.number,
                "lifted_year",
                f"脱贫年度应为{LIFTED_YEARS[0]}—{LIFTED_YEARS[1]}之间的年份，当前为“{text}”：请核对",
                household.number,
            )
            return
        household.lifted_year = year

    # —— the household as a whole ——————————————————————————————————————————————————————————————————

    def check_members(self, household: PlannedHousehold) -> None:
        if household.kind == HouseholdKind.ORDINARY and household.lifted_year is not None:
            row = household.raw["lifted_year"][0]
            self.error(
                row,
                "lifted_year",
                "一般农户不填脱贫年度：请删除脱贫年度，或把户类型改为脱贫户",
                household.number,
            )
        heads = [p for p in household.members if p.relation == HEAD]
        spouses = [p for p in household.members if p.relation == SPOUSE]
        if not heads:
            self.error(
                household.first_row,
                "relation",
                f"户 {household.number} 没有户主：请把其中一名成员的与户主关系填为“户主”",
                household.number,
            )
        for group, label, limit in ((heads, "户主", "只能有一名户主"), (spouses, "配偶", "最多一名配偶")):
            if len(group) > 1:
                rows = "、".join(str(p.row) for p in group)
                for extra in group[1:]:
                    self.error(
                        extra.row,
                        "relation",
                        f"户 {household.number} 有{len(group)}名{label}（第{rows}行）：每户{limit}，请改正",
                        household.number,
                    )
        if len(heads) == 1 and heads[0].sex:
            for spouse in spouses:
                if spouse.sex == heads[0].sex:
                    self.error(
                        spouse.row,
                        "relation",
                        f"户主与配偶性别相同（都是{spouse.sex}性，第{heads[0].row}行为户主）："
                        "请核对与户主关系或公民身份号码",
                        household.number,
                    )


class _Registry:
    """The checks against the registry, with bulk lookups (a handful of queries per 2,000 rows)."""

    def __init__(self, checker: _Checker):
        self.checker = checker
        self.plan = checker.plan

    def compare(self) -> None:
        households = self.plan.households
        existing = {}
        for chunk in chunks(list(households)):
            for h in Household.objects.filter(number__in=chunk).values(
                "id",
                "number",
                "area_id",
                "area__code",
                "kind",
                "lifted_year",
                "lifted_attribute",
                "is_active",
            ):
                existing[h["number"]] = h
        persons, current = self.persons()
        members = self.members([h["id"] for h in existing.values()])
        for household in households.values():
            stored = existing.get(household.number)
            if stored is not None and not self.check_existing(household, stored):
                continue
            for person in household.members:
                self.check_person(household, person, persons, current)
            if stored is not None:
                household.household_id = stored["id"]
                self.diff(household, stored, members.get(stored["id"], {}))

    def persons(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """Existing persons by ID hash, and their open memberships by ID hash."""
        hashes = [p.id_hash for h in self.plan.households.values() for p in h.members if p.id_hash]
        persons, current = {}, {}
        for chunk in chunks(hashes):
            for p in Person.objects.filter(id_hash__in=chunk).values(
                "id", "id_hash", "status", "status_date"
            ):
                persons[p["id_hash"]] = p
            for m in Membership.objects.filter(end_date__isnull=True, person__id_hash__in=chunk).values(
                "person__id_hash", "household_id", "household__number"
            ):
                current[m["person__id_hash"]] = m
        return persons, current

    def members(self, household_ids: list[int]) -> dict[int, dict[str, dict]]:
        """Current members of the households being re-imported: household id → ID hash → values."""
        fields = ["id", "household_id", "person_id", "relation", "person__id_hash", "person__name"]
        fields += ["person__phone_encrypted", "person__status"] + [f"person__{f}" for f in VALUE_FIELDS]
        members: dict[int, dict[str, dict]] = {}
        for chunk in chunks(household_ids):
            for m in Membership.objects.filter(household_id__in=chunk, end_date__isnull=True).values(*fields):
                members.setdefault(m["household_id"], {})[m["person__id_hash"]] = m
        return members

    def check_existing(self, household: PlannedHousehold, stored: dict) -> bool:
        scope = self.checker.scope
        if not stored["area__code"].startswith(scope.code):
            area = Area.objects.get(pk=stored["area_id"])
            self.checker.error(
                household.first_row,
                "number",
                f"户编号 {household.number} 已登记在{area.full_name}，不在您的管辖范围内：请核对户编号",
                household.number,
            )
            return False
        if not stored["is_active"]:
            self.checker.error(
                household.first_row,
                "number",
                f"户 {household.number} 已注销（已合并到其他户）：不能再导入，请核对户编号",
                household.number,
            )
            return False
        return True

    def check_person(self, household: PlannedHousehold, person: PlannedPerson, persons: dict, current: dict):
        if not person.id_hash:
            return
        stored = persons.get(person.id_hash)
        if stored is None:
            return
        person.person_id = stored["id"]
        membership = current.get(person.id_hash)
        if membership is not None and membership["household__number"] != household.number:
            self.checker.error(
                person.row,
                "id_number",
                f"此人已是户 {membership['household__number']} 的在册成员，不能同时登记在户 {household.number}："
                "如已迁入本户，请先在原户办理减少成员",
                household.number,
            )
        elif membership is None and stored["status"] == PersonStatus.DECEASED:
            died = stored["status_date"]
            when = f"于{died.year}年{died.month}月{died.day}日" if died else ""
            self.checker.error(
                person.row,
                "id_number",
                f"此人已{when}登记死亡：不能登记为在册成员，请核对公民身份号码",
                household.number,
            )

    def diff(self, household: PlannedHousehold, stored: dict, current: dict[str, dict]) -> None:
        """new → update (with the changes) or unchanged, against the stored household."""
        changes: dict = {}
        fields: dict = {}
        if household.area_id is not None and household.area_id != stored["area_id"]:
            fields["area"] = [stored["area_id"], household.area_id]
        if household.kind and household.kind != stored["kind"]:
            fields["kind"] = [stored["kind"], household.kind]
        lifted_year = stored["lifted_year"]
        if "lifted_year" in self.plan.present or household.kind == HouseholdKind.ORDINARY:
            lifted_year = household.lifted_year
        if lifted_year != stored["lifted_year"]:
            fields["lifted_year"] = [stored["lifted_year"], lifted_year]
        household.lifted_year = lifted_year
        if household.lifted_attribute is None:
            household.lifted_attribute = stored["lifted_attribute"]
        elif household.lifted_attribute != stored["lifted_attribute"]:
            fields["lifted_attribute"] = [stored["lifted_attribute"], household.lifted_attribute]
        if fields:
            changes["household"] = fields
        hashes = {p.id_hash for p in household.members}
        removed = [m["person_id"] for h, m in current.items() if h not in hashes]
        added = sum(1 for p in household.members if p.id_hash not in current)
        member_changes = {}
        for person in household.members:
            stored_member = current.get(person.id_hash)
            if stored_member is not None:
                changed = _member_changes(person, stored_member)
                if changed:
                    member_changes[str(stored_member["person_id"])] = changed
        if removed:
            changes["removed"] = removed
        if added:
            changes["added"] = added
        if member_changes:
            changes["members"] = member_changes
        household.changes = changes
        household.action = UPDATE if changes else UNCHANGED
        household.basis = basis_of(stored, current.values())


def basis_of(stored: dict, members) -> tuple:
    """What a commit must find unchanged: the household fields and who belongs with which relation."""
    return (
        stored["area_id"],
        stored["kind"],
        stored["lifted_year"],
        stored["lifted_attribute"],
        frozenset((m["person_id"], m["relation"]) for m in members),
    )


def _member_changes(person: PlannedPerson, stored: dict) -> dict:
    changed: dict = {}
    if person.relation != stored["relation"]:
        changed["relation"] = [stored["relation"], person.relation]
    if person.name != stored["person__name"]:
        changed["name"] = "changed"  # names stay out of history data
    for key, value in person.values.items():
        old = stored[f"person__{key}"]
        if value != old:
            changed[key] = [old, value]
    if stored["person__status"] != PersonStatus.ACTIVE:
        changed["status"] = [stored["person__status"], PersonStatus.ACTIVE]
    if person.phone and person.phone != personal.decrypt(stored["person__phone_encrypted"]):
        changed["phone"] = "changed"
    return changed
