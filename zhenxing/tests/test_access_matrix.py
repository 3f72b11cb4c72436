"""Every URL × every role × a record inside / outside the user's scope.

`ACCESS` must name every URL of the platform: adding a view without an entry fails
`test_every_url_has_an_entry`. Expectations follow one rule — no capability → 403; a record outside a
township or village user's area → 404; otherwise the page's normal answer — with per-entry exceptions
written out where a page has its own visibility rule (jobs are seen by their owner and by roles with
VIEW_ALL_JOBS).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from zhenxing.accounts.roles import Capability
from zhenxing.attachments.actions import store_attachment
from zhenxing.audit import actions as audit
from zhenxing.jobs.models import Job, Status
from zhenxing.lib import idnumbers
from zhenxing.registry.actions import HouseholdData, PersonData, register_household

ROLES = [
    "district_admin",
    "district_officer",
    "department_clerk",
    "township_officer",
    "village_cadre",
    "inspector",
]
LOCAL_ROLES = {"township_officer", "village_cadre"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Access:
    method: str = "GET"
    capability: Capability | None = None  # None: any logged-in user
    ok: int = 200  # the status when allowed
    kwargs: Callable[[dict, str], dict] | None = None  # (world, "inside"/"outside") -> URL kwargs
    data: Callable[[dict, str], dict] = field(default=lambda world, where: {})
    expect: Callable[[str, str], int] | None = None  # own rule: (role, where) -> status
    public: bool = False
    area_scoped: bool = True  # False: the record has no place (policy versions, audit rows)
    roles: frozenset[str] | None = None  # a page allowed to these roles (instead of a capability)
    record_first: bool = False  # the page looks the record up before checking the role


def area_kwargs(world, where):
    return {"code": world["village" if where == "inside" else "other_village"].code}


def user_kwargs(world, where):
    return {"username": "xingang" if where == "inside" else "dushancun"}


def job_kwargs(status):
    return lambda world, where: {"public_id": world["jobs"][(where, status)].public_id}


def attachment_kwargs(world, where):
    return {"public_id": world["attachments"][where].public_id}


def import_check_visibility(ok: int):
    """Import checks: importers only; each sees their own, roles with VIEW_ALL_JOBS every one."""

    def expect(role, where):
        if role not in ("district_admin", "district_officer", "township_officer"):
            return 403
        if role == "township_officer" and where == "outside":
            return 404
        return ok

    return expect


def check_kwargs(world, where):
    return {"job_id": world["import_checks"][where].public_id}


def job_visibility(ok: int, retry: bool = False):
    """Owner (the village cadre inside / outsider) and VIEW_ALL_JOBS roles see a job; retry is owner or admin."""

    def expect(role, where):
        sees_all = role in ("district_admin", "district_officer", "inspector")
        is_owner = role == "village_cadre" and where == "inside"
        if not (sees_all or is_owner):
            return 404
        if retry and not (is_owner or role == "district_admin"):
            return 403
        return ok

    return expect


def household_kwargs(world, where):
    return {"public_id": world["households"][where].public_id}


def head_kwargs(world, where):
    return {"public_id": world["households"][where].head.public_id}


FUNDS_READERS = frozenset(ROLES) - {"department_clerk"}
FUNDS_MANAGERS = frozenset({"district_admin", "district_officer"})


def funds_kwargs(kind):
    return lambda world, where: {"code": world["funds"][kind][where].code}


def funds_post(kind, roles, data=None):
    return Access(
        method="POST",
        roles=roles,
        ok=302,
        kwargs=funds_kwargs(kind),
        data=lambda w, x: data or {},
        record_first=True,
    )


REGISTRY_FORMS = [
    "member_add",
    "member_remove",
    "head_change",
    "household_split",
    "household_merge",
    "household_move",
    "household_edit",
    "person_edit",
    "income_record",
]

ACCESS: dict[str, Access] = {
    "home": Access(),
    "healthz": Access(public=True),
    "accounts:login": Access(public=True),
    "accounts:logout": Access(method="POST", ok=302),
    "accounts:password_change": Access(),
    "accounts:user_list": Access(capability=Capability.VIEW_USERS),
    "accounts:user_create": Access(capability=Capability.MANAGE_USERS),
    "accounts:user_edit": Access(capability=Capability.MANAGE_USERS, kwargs=user_kwargs),
    "accounts:user_set_active": Access(
        method="POST",
        capability=Capability.MANAGE_USERS,
        ok=302,
        kwargs=user_kwargs,
        data=lambda w, x: {"active": "0"},
    ),
    "accounts:user_reset_password": Access(
        method="POST", capability=Capability.MANAGE_USERS, kwargs=user_kwargs
    ),
    "accounts:login_log": Access(capability=Capability.VIEW_AUDIT),
    "areas:tree": Access(capability=Capability.VIEW_AREAS),
    "areas:import": Access(capability=Capability.MANAGE_AREAS),
    "areas:import_commit": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302),
    "areas:import_template": Access(capability=Capability.VIEW_AREAS),
    "areas:export": Access(capability=Capability.VIEW_AREAS),
    "areas:detail": Access(capability=Capability.VIEW_AREAS, kwargs=area_kwargs),
    "areas:children": Access(capability=Capability.VIEW_AREAS, kwargs=area_kwargs),
    "areas:add_child": Access(
        method="POST",
        capability=Capability.MANAGE_AREAS,
        ok=302,
        kwargs=area_kwargs,
        data=lambda w, where: {"code": area_kwargs(w, where)["code"] + "009", "name": "九组"},
    ),
    "areas:rename": Access(
        method="POST",
        capability=Capability.MANAGE_AREAS,
        ok=302,
        kwargs=area_kwargs,
        data=lambda w, x: {"name": "新名"},
    ),
    "areas:retire": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302, kwargs=area_kwargs),
    "areas:restore": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302, kwargs=area_kwargs),
    "areas:delete": Access(method="POST", capability=Capability.MANAGE_AREAS, ok=302, kwargs=area_kwargs),
    "audit:list": Access(capability=Capability.VIEW_AUDIT),
    "audit:detail": Access(
        capability=Capability.VIEW_AUDIT,
        kwargs=lambda w, x: {"entry_id": w["audit_entry"].pk},
        area_scoped=False,
    ),
    "audit:verify": Access(method="POST", capability=Capability.VIEW_AUDIT, ok=302),
    "audit:export": Access(method="POST", capability=Capability.VIEW_AUDIT, ok=302),
    "policy:year_list": Access(capability=Capability.VIEW_POLICY),
    "policy:year_detail": Access(
        capability=Capability.VIEW_POLICY, kwargs=lambda w, x: {"year": 2024}, area_scoped=False
    ),
    "policy:year_edit": Access(
        capability=Capability.EDIT_POLICY, kwargs=lambda w, x: {"year": 2024}, area_scoped=False
    ),
    "policy:version_detail": Access(
        capability=Capability.VIEW_POLICY, kwargs=lambda w, x: {"year": 2024, "version": 1}, area_scoped=False
    ),
    "jobs:list": Access(),
    "jobs:running": Access(),
    "jobs:detail": Access(kwargs=job_kwargs(Status.SUCCEEDED), expect=job_visibility(200)),
    "jobs:progress": Access(kwargs=job_kwargs(Status.SUCCEEDED), expect=job_visibility(200)),
    "jobs:download": Access(kwargs=job_kwargs(Status.SUCCEEDED), expect=job_visibility(200)),
    "jobs:retry": Access(
        method="POST", kwargs=job_kwargs(Status.FAILED), expect=job_visibility(302, retry=True)
    ),
    "attachments:download": Access(capability=Capability.VIEW_FULL_PERSONAL_DATA, kwargs=attachment_kwargs),
    "attachments:upload": Access(
        method="POST",
        capability=Capability.UPLOAD_ATTACHMENTS,
        data=lambda w, where: {
            "file": SimpleUploadedFile("照片.png", PNG, content_type="image/png"),
            "area": area_kwargs(w, where)["code"],
            "kind": "photo",
        },
        # the area travels in the form, not the URL: outside areas answer 404 all the same
        kwargs=lambda w, where: {},
    ),
    "registry:household_list": Access(capability=Capability.VIEW_REGISTRY),
    "registry:household_export": Access(capability=Capability.VIEW_REGISTRY),
    "registry:household_detail": Access(capability=Capability.VIEW_REGISTRY, kwargs=household_kwargs),
    "registry:household_qr": Access(capability=Capability.VIEW_REGISTRY, kwargs=household_kwargs),
    "registry:person_reveal": Access(
        method="POST", capability=Capability.VIEW_FULL_PERSONAL_DATA, kwargs=head_kwargs
    ),
    **{
        f"registry:{name}": Access(capability=Capability.EDIT_REGISTRY, kwargs=household_kwargs)
        for name in REGISTRY_FORMS
    },
    "imports:index": Access(capability=Capability.IMPORT_REGISTRY),
    "imports:template": Access(
        capability=Capability.IMPORT_REGISTRY, kwargs=lambda w, x: {"kind": "households"}, area_scoped=False
    ),
    "imports:upload": Access(
        method="POST",
        capability=Capability.IMPORT_REGISTRY,
        kwargs=lambda w, x: {"kind": "households"},
        area_scoped=False,
    ),  # no file: the page again with the form's error
    "imports:preview": Access(kwargs=check_kwargs, expect=import_check_visibility(200)),
    "imports:errors": Access(kwargs=check_kwargs, expect=import_check_visibility(200)),
    "imports:commit": Access(method="POST", kwargs=check_kwargs, expect=import_check_visibility(302)),
    # Funds: readers are every staff role but the department clerk; managers the district admin and
    # district officer; project pages look the project up before the role check (outside → 404).
    "funds:project_list": Access(roles=FUNDS_READERS),
    "funds:project_new": Access(roles=FUNDS_READERS - {"inspector"}),
    "funds:allocations": Access(roles=FUNDS_READERS),
    "funds:plan": Access(roles=FUNDS_READERS),
    "funds:progress": Access(roles=FUNDS_READERS),
    "funds:asset_list": Access(roles=FUNDS_READERS),
    "funds:pv_list": Access(roles=FUNDS_READERS),
    "funds:pv_notice": Access(roles=FUNDS_READERS, kwargs=lambda w, x: {"year": 2024}, area_scoped=False),
    "funds:import_template": Access(roles=FUNDS_READERS),
    "funds:reconcile": Access(roles=FUNDS_MANAGERS),
    "funds:import": Access(roles=FUNDS_MANAGERS),
    "funds:reconcile_commit": Access(method="POST", roles=FUNDS_MANAGERS, ok=302),
    "funds:import_commit": Access(method="POST", roles=FUNDS_MANAGERS, ok=302),
    "funds:reconcile_detail": Access(
        roles=FUNDS_MANAGERS,
        kwargs=lambda w, x: {"public_id": w["funds"]["batch"].public_id},
        area_scoped=False,
    ),
    "funds:difference_resolve": Access(
        method="POST",
        roles=FUNDS_MANAGERS,
        ok=302,
        kwargs=lambda w, x: {"pk": w["funds"]["difference"].pk},
        data=lambda w, x: {"note": "已核对"},
        area_scoped=False,
    ),
    "funds:plan_item_remove": Access(
        method="POST",
        roles=FUNDS_MANAGERS,
        ok=302,
        kwargs=lambda w, x: {"pk": w["funds"]["plan_item"].pk},
        area_scoped=False,
    ),
    "funds:project_detail": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("projects"), record_first=True),
    "funds:project_notice": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("projects"), record_first=True),
    "funds:project_edit": Access(
        roles=FUNDS_READERS - {"inspector"}, kwargs=funds_kwargs("projects"), record_first=True
    ),
    "funds:project_resubmit": funds_post("projects", FUNDS_READERS - {"inspector"}),
    "funds:project_township": funds_post("projects", frozenset({"township_officer"})),
    "funds:project_return": funds_post(
        "projects", FUNDS_MANAGERS | {"township_officer"}, {"reason": "补充材料"}
    ),
    "funds:project_reject": funds_post(
        "projects", FUNDS_MANAGERS | {"township_officer"}, {"reason": "不符合"}
    ),
    **{
        f"funds:project_{step}": funds_post("projects", FUNDS_MANAGERS)
        for step in ("county", "library", "start", "complete", "terminate", "accept", "disburse")
    },
    "funds:asset_detail": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("assets"), record_first=True),
    **{
        f"funds:asset_{step}": funds_post("assets", FUNDS_MANAGERS)
        for step in ("revenue", "dispose", "approve")
    },
    "funds:pv_detail": Access(roles=FUNDS_READERS, kwargs=funds_kwargs("stations"), record_first=True),
    **{f"funds:pv_{step}": funds_post("stations", FUNDS_MANAGERS) for step in ("month", "distribute")},
}


def all_url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif p.name:
                yield f"{namespace}:{p.name}" if namespace else p.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_an_entry():
    missing = all_url_names() - set(ACCESS)
    assert not missing, f"add these URL names to ACCESS in {__file__}: {sorted(missing)}"
    assert not set(ACCESS) - all_url_names(), "ACCESS names URLs that no longer exist"


@pytest.fixture
def world(request, cast, village, other_village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = getattr(getattr(request.node, "callspec", None), "params", {}).get("name", "")
    jobs = {}
    for where, owner, area in (
        ("inside", cast["village_cadre"], village),
        ("outside", cast["outside_village_cadre"], other_village),
    ):
        for status in (Status.SUCCEEDED, Status.FAILED):
            job = Job.objects.create(
                kind="areas.import", status=status, created_by=owner, area=area, attempts=1
            )
            if status == Status.SUCCEEDED:
                job.result_file = f"jobs/{job.public_id}/结果.xlsx"
                job.result_name = "结果.xlsx"
                job.save(update_fields=["result_file", "result_name"])
                path = Path(tmp_path) / job.result_file
                path.parent.mkdir(parents=True)
                path.write_bytes(b"result")
            jobs[(where, status)] = job
    import_checks = {}
    for where, owner, area in (
        ("inside", cast["township_officer"], village.parent),
        ("outside", cast["outside_township_officer"], other_village.parent),
    ):
        check = Job.objects.create(
            kind="registry.validate_import", status=Status.SUCCEEDED, created_by=owner, area=area, attempts=1
        )
        check.result_file, check.result_name = f"jobs/{check.public_id}/错误报告.xlsx", "错误报告.xlsx"
        check.save(update_fields=["result_file", "result_name"])
        (Path(tmp_path) / check.result_file).parent.mkdir(parents=True)
        (Path(tmp_path) / check.result_file).write_bytes(b"report")
        import_checks[where] = check
    attachments = {
        "inside": store_attachment(cast["village_cadre"], ("a.png", PNG), village, "photo"),
        "outside": store_attachment(cast["outside_village_cadre"], ("b.png", PNG), other_village, "photo"),
    }
    with transaction.atomic():
        entry = audit.record(cast["district_admin"], "test_action", village)
    households = {
        where: register_household(
            None,
            HouseholdData(
                number=f"H-{where}",
                area_id=area.pk,
                kind="ordinary",
                members=[
                    PersonData(
                        id_number=idnumbers.make("420704", date(1970, 1, 1), sequence),
                        name="户主",
                        relation="户主",
                        health="健康",
                        labour_capacity="普通劳动力",
                    )
                ],
            ),
            date(2024, 1, 1),
        )
        for where, area, sequence in (("inside", village, 1), ("outside", other_village, 3))
    }
    return {
        "village": village,
        "other_village": other_village,
        "jobs": jobs,
        "attachments": attachments,
        "audit_entry": entry,
        "households": households,
        "import_checks": import_checks,
        "funds": funds_world(cast, village, other_village) if name.startswith("funds:") else None,
    }


def funds_world(cast, village, other_village) -> dict:
    """A library project, an accepted project's asset and a PV station on each side, plus a plan item and
    a reconciliation difference (district-level records)."""
    from decimal import Decimal

    from zhenxing.funds import actions as funds
    from zhenxing.funds.models import FundSource
    from zhenxing.funds.reconcile import HEADERS as RECONCILE_HEADERS
    from zhenxing.funds.reconcile import validate_reconciliation
    from zhenxing.funds.tests.conftest import library_project
    from zhenxing.lib.tabular import SheetSpec, write_xlsx

    officer = cast["district_officer"]
    result = {"projects": {}, "assets": {}, "stations": {}}
    for where, area in (("inside", village), ("outside", other_village)):
        project = library_project(cast, area)
        accepted = library_project(cast, area, name="已验收项目")
        funds.start_project(officer, accepted, date(2024, 3, 1))
        funds.complete_project(officer, accepted, date(2024, 9, 1))
        asset_data = funds.AssetData("茶园", "operating", "village", Decimal("1000.00"), "村委会", "管护")
        [asset] = funds.accept_project(officer, accepted, date(2024, 9, 10), [asset_data])
        station = funds.add_pv_station(officer, f"PV-{where}", "光伏电站", area, "60", date(2017, 6, 1))
        result["projects"][where], result["assets"][where], result["stations"][where] = (
            project,
            asset,
            station,
        )
    funds.add_allocation(officer, 2024, FundSource.CENTRAL, Decimal("1000"), "鄂财1号", date(2024, 1, 5))
    result["plan_item"] = funds.set_plan_item(
        officer, 2024, result["projects"]["inside"], FundSource.CENTRAL, "100.00"
    )
    rows = [["2024-X-1", "外地项目", "中央衔接资金", "2024-05-01", "500.00"]]
    plan = validate_reconciliation(
        write_xlsx([SheetSpec("支付明细", RECONCILE_HEADERS, rows)]), "a.xlsx", 2024
    )
    result["batch"] = funds.commit_reconciliation(officer, plan)
    result["difference"] = result["batch"].differences.get()
    return result


def expected(access: Access, role: str, where: str, cast) -> int:
    if access.expect:
        return access.expect(role, where)
    outside = where == "outside" and role in LOCAL_ROLES
    if access.record_first and outside:
        return 404
    if access.capability and not cast[role].can(access.capability):
        return 403
    if access.roles is not None and role not in access.roles:
        return 403
    if outside:
        return 404
    return access.ok


def request(client, name, access, world, where):
    kwargs = access.kwargs(world, where) if access.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    if access.method == "POST":
        return client.post(url, access.data(world, where))
    return client.get(url)


def wheres(access: Access) -> tuple[str, ...]:
    scoped = access.area_scoped and (access.kwargs is not None or access.expect is not None)
    return ("inside", "outside") if scoped else ("inside",)


@pytest.mark.parametrize(
    "name, where",
    [(n, w) for n, a in ACCESS.items() if not a.public for w in wheres(a)],
)
@pytest.mark.django_db
def test_role_and_scope(client, cast, world, name, where):
    """Every role against one URL; each request runs in a savepoint rolled back afterwards, so a write
    allowed for one role does not change what the next role sees."""
    access = ACCESS[name]
    got, want = {}, {}
    for role in ROLES:
        client.force_login(cast[role])
        with transaction.atomic():
            got[role] = request(client, name, access, world, where).status_code
            transaction.set_rollback(True)
        want[role] = expected(access, role, where, cast)
    assert got == want


@pytest.mark.parametrize("name", [n for n, a in ACCESS.items() if not a.public])
@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, world, name):
    response = request(client, name, ACCESS[name], world, "inside")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", [n for n, a in ACCESS.items() if a.public])
@pytest.mark.django_db
def test_public_pages_answer_anonymous_users(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_an_out_of_scope_refusal_changes_nothing(client, cast, world):
    """A 新港村 cadre cannot retry a 杜山村 job: 404, the job stays failed, no audit row."""
    from zhenxing.audit.models import AuditEntry

    client.force_login(cast["village_cadre"])
    job = world["jobs"][("outside", Status.FAILED)]
    count = AuditEntry.objects.count()
    response = client.post(reverse("jobs:retry", kwargs={"public_id": job.public_id}))
    assert response.status_code == 404
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.FAILED, 1)
    assert AuditEntry.objects.count() == count
