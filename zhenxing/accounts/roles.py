"""Roles and what each may do. One role per user; the role's capabilities are fixed here, in code."""

from enum import StrEnum

from django.db import models

from zhenxing.areas.models import Level


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "区级管理员"  # users, settings, everything in the district
    DISTRICT_OFFICER = "district_officer", "区级业务人员"  # county approval, screening, funds, reports
    DEPARTMENT_CLERK = "department_clerk", "行业部门填报员"  # its department's feed only
    TOWNSHIP_OFFICER = "township_officer", "乡镇（街道）干部"  # township review, its villages
    VILLAGE_CADRE = "village_cadre", "村干部/驻村工作队员"  # leads, visits, village steps
    INSPECTOR = "inspector", "纪检督查人员"  # read-only everywhere, including the audit log


class Department(models.TextChoices):
    """行业部门 that send feeds (department clerks are bound to exactly one)."""

    MEDICAL = "medical", "医保局"
    EDUCATION = "education", "教育局"
    CIVIL_AFFAIRS = "civil_affairs", "民政局"
    DISABILITY = "disability", "残联"
    HOUSING = "housing", "住建局"
    EMERGENCY = "emergency", "应急管理局"
    EMPLOYMENT = "employment", "人社局"
    POLICE = "police", "公安局"
    PUBLIC_PAYROLL = "public_payroll", "财政局（财政供养）"
    VEHICLE = "vehicle", "公安交管（车辆）"
    REAL_ESTATE = "real_estate", "自然资源和规划局（不动产）"
    BUSINESS = "business", "市场监管局"


# The area level each role works at: district roles sit on the county (the whole district).
ROLE_LEVEL = {
    Role.DISTRICT_ADMIN: Level.COUNTY,
    Role.DISTRICT_OFFICER: Level.COUNTY,
    Role.DEPARTMENT_CLERK: Level.COUNTY,
    Role.INSPECTOR: Level.COUNTY,
    Role.TOWNSHIP_OFFICER: Level.TOWNSHIP,
    Role.VILLAGE_CADRE: Level.VILLAGE,
}


class Capability(StrEnum):
    MANAGE_USERS = "manage_users"
    MANAGE_AREAS = "manage_areas"
    EDIT_POLICY = "edit_policy"
    VIEW_POLICY = "view_policy"
    VIEW_AUDIT = "view_audit"
    VIEW_USERS = "view_users"
    VIEW_AREAS = "view_areas"
    VIEW_FULL_PERSONAL_DATA = "view_full_personal_data"
    VIEW_ALL_JOBS = "view_all_jobs"
    UPLOAD_ATTACHMENTS = "upload_attachments"
    VIEW_REGISTRY = "view_registry"  # households, members, incomes in scope
    EDIT_REGISTRY = "edit_registry"  # member changes, head, split/merge/move, incomes
    IMPORT_REGISTRY = "import_registry"  # 户籍成员 / 家庭收入 imports within scope
    VIEW_CASES = "view_cases"  # leads, cases, measures, visits, boards in scope
    RECORD_CASES = "record_cases"  # leads, village steps, measures, visits, discrepancy notes
    REVIEW_CASES_TOWNSHIP = "review_cases_township"  # 乡镇审核, announcements
    APPROVE_CASES_COUNTY = "approve_cases_county"  # 县级审定, announcements, rollback
    VIEW_SCREENING_RUNS = "view_screening_runs"  # screening runs: counts per rule, logs (start: district)
    VIEW_FEEDS = (
        "view_feeds"  # department feed uploads (clerks: their department's; screening/permissions.py)
    )
    VIEW_FUNDS = (
        "view_funds"  # project library, plans, progress, assets, PV (funds/permissions.py decides writes)
    )
    VIEW_REPORTS = "view_reports"  # dashboards, map, statutory exports and leaflets of the user's scope
    EDIT_LEAFLET_TEMPLATES = "edit_leaflet_templates"  # the wording of the 明白纸 (district admin)


_STAFF = {
    Capability.VIEW_POLICY,
    Capability.VIEW_AREAS,
    Capability.VIEW_REGISTRY,
    Capability.VIEW_FUNDS,
    Capability.VIEW_CASES,
    Capability.VIEW_REPORTS,
}
_REGISTRY_WRITE = {Capability.EDIT_REGISTRY, Capability.IMPORT_REGISTRY}
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.DISTRICT_ADMIN: frozenset(Capability),
    Role.DISTRICT_OFFICER: frozenset(
        _STAFF
        | _REGISTRY_WRITE
        | {
            Capability.VIEW_FULL_PERSONAL_DATA,
            Capability.VIEW_ALL_JOBS,
            Capability.UPLOAD_ATTACHMENTS,
            Capability.RECORD_CASES,
            Capability.APPROVE_CASES_COUNTY,
            Capability.VIEW_FEEDS,
            Capability.VIEW_SCREENING_RUNS,
        }
    ),
    Role.DEPARTMENT_CLERK: frozenset({Capability.VIEW_POLICY, Capability.VIEW_FEEDS}),
    Role.TOWNSHIP_OFFICER: frozenset(
        _STAFF
        | _REGISTRY_WRITE
        | {
            Capability.VIEW_FULL_PERSONAL_DATA,
            Capability.UPLOAD_ATTACHMENTS,
            Capability.RECORD_CASES,
            Capability.REVIEW_CASES_TOWNSHIP,
        }
    ),
    Role.VILLAGE_CADRE: frozenset(
        _STAFF
        | {
            Capability.EDIT_REGISTRY,
            Capability.VIEW_FULL_PERSONAL_DATA,
            Capability.UPLOAD_ATTACHMENTS,
            Capability.RECORD_CASES,
        }
    ),
    Role.INSPECTOR: frozenset(
        _STAFF
        | {
            Capability.VIEW_AUDIT,
            Capability.VIEW_USERS,
            Capability.VIEW_FULL_PERSONAL_DATA,
            Capability.VIEW_ALL_JOBS,
            Capability.VIEW_FEEDS,
            Capability.VIEW_SCREENING_RUNS,
        }
    ),
}
