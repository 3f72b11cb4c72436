"""Screening runs: snapshot → engine → stored warnings and 疑点; identity across runs and re-uploads;
restricted runs; the job, the monthly schedule and `zhenxing screen`."""

import datetime
import re
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from zhenxing.audit.models import AuditEntry
from zhenxing.cases import actions as cases
from zhenxing.cases.models import Case, Discrepancy, Step
from zhenxing.cases.tests.helpers import open_case, to_stage
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.worker import Worker
from zhenxing.policy.resolve import policy_for
from zhenxing.registry.models import Person
from zhenxing.screening import runs
from zhenxing.screening.actions import warnings as warnings_actions
from zhenxing.screening.models import FeedRow, ScreeningRun, Warning, WarningSeen
from zhenxing.screening.tests.run_helpers import (
    AS_OF,
    DUE,
    RUN_DAY,
    D,
    lifted,
    medical,
    ordinary,
    push,
    refused,
    run,
    vehicle,
)

pytestmark = pytest.mark.django_db


TZ = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def household(cast, village):
    return lifted(cast, village)


def test_it_stores_a_warning_with_its_rule_values_and_feed_rows(cast, household):
    upload = push(cast, "medical", [medical(1, "3000.00"), medical(1, "2000.00", "2025-03-01")])

    screening = run(cast)

    warning = Warning.objects.get()
    assert (screening.status, screening.trigger, screening.as_of) == ("done", "manual", AS_OF)
    assert (screening.new_warnings, screening.new_discrepancies) == (1, 0)
    assert screening.counts["medical_lifted"] == 1 and sum(screening.counts.values()) == 1
    assert screening.policy_version == policy_for(2025).version
    assert re.search(
        r"^用时：数据快照 \d+\.\d 秒，规则计算 \d+\.\d 秒，保存 \d+\.\d 秒$", screening.log, re.M
    )
    assert re.search(
        r"^快照用时：农户 \d+\.\d 秒，人员 \d+\.\d 秒，年度收入 \d+\.\d 秒，部门数据 \d+\.\d 秒$",
        screening.log,
        re.M,
    )
    assert warning.number == f"YJ{warning.pk:08d}"
    assert (warning.rule, warning.rule_version, warning.period, warning.risk_type) == (
        "medical_lifted",
        1,
        "2025",
        "因病",
    )
    assert warning.values == {
        "个人自付合计": "5000.00",
        "预警线": "5000.00",
        "统计期": "2024-04-01至2025-03-31",
    }
    assert (warning.household, warning.area.code, warning.department) == (
        household,
        "420704100201",
        "medical",
    )
    assert warning.person == Person.objects.get(name="张三")
    assert (warning.raised_on, warning.due, warning.status) == (RUN_DAY, DUE, "new")
    assert (warning.first_run, warning.seen.run) == (screening, screening)
    assert warning.policy_version == policy_for(2025).version
    assert sorted(warning.feed_rows.values_list("row_number", flat=True)) == [1, 2]
    assert set(warning.feed_rows.values_list("upload", flat=True)) == {upload.pk}
    entry = AuditEntry.objects.get(action="screening.store_results")
    assert entry.changes == {
        "new_warnings": 1,
        "seen_warnings": 0,
        "new_discrepancies": 0,
        "open_discrepancies": 0,
    }


def test_a_warning_number_is_the_prefix_and_the_pk_with_at_least_eight_digits(cast, household):
    from zhenxing.screening.actions.warnings import _number_of_pk

    push(cast, "medical", [medical(1, "6000.00")])
    run(cast)
    warning = Warning.objects.get()
    assert Warning.objects.annotate(n=_number_of_pk()).get().n == f"YJ{warning.pk:08d}" == warning.number
    warning.feed_rows.clear()  # (deferred foreign keys would refuse the links to the old pk)
    WarningSeen.objects.filter(warning=warning).delete()
    Warning.objects.filter(pk=warning.pk).update(id=123_456_789)
    assert Warning.objects.annotate(n=_number_of_pk()).get().n == "YJ123456789"


def test_it_does_not_warn_below_the_threshold(cast, household):
    push(cast, "medical", [medical(1, "4999.99")])

    screening = run(cast)

    assert (screening.counts["medical_lifted"], Warning.objects.count()) == (0, 0)


def test_it_does_not_duplicate_a_warning_across_runs(cast, household):
    push(cast, "medical", [medical(1, "6000.00")])
    first = run(cast)
    second = run(cast, day=D(2025, 4, 8))

    warning = Warning.objects.get()
    assert (first.new_warnings, second.new_warnings, second.counts["medical_lifted"]) == (1, 0, 1)
    assert (warning.first_run, warning.seen.run, warning.raised_on) == (first, second, RUN_DAY)
    assert AuditEntry.objects.filter(action="screening.store_results").last().changes["seen_warnings"] == 1


def test_warning_numbers_have_eight_digits_or_more_past_a_hundred_million(cast, village, household):
    ordinary(cast, village)
    with connection.cursor() as cursor:  # the next warning pks: 99,999,999 and 100,000,000
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('screening_warning', 'id'), 99999998)")
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'screening_warning'")
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('screening_warning', 99999998)")
    push(cast, "medical", [medical(1, "6000.00"), medical(4, "25000.00")])

    run(cast)

    numbers = list(Warning.objects.order_by("pk").values_list("pk", "number"))
    assert numbers == [(99_999_999, "YJ99999999"), (100_000_000, "YJ100000000")]


def test_a_warning_stored_by_another_run_meanwhile_is_neither_duplicated_nor_counted_new(
    cast, household, monkeypatch
):
    push(cast, "medical", [medical(1, "6000.00")])
    first = run(cast)
    # the other run stored it after this run looked for stored warnings
    monkeypatch.setattr(warnings_actions, "_existing", lambda hits: {})

    second = run(cast)

    assert (first.new_warnings, second.new_warnings) == (1, 0)
    warning = Warning.objects.get()
    assert (warning.number, warning.first_run) == (f"YJ{warning.pk:08d}", first)
    assert warning.feed_rows.count() == 1


def test_it_does_not_duplicate_or_double_count_a_reupload(cast, village, household):
    ordinary(cast, village)
    rows = [medical(1, "6000.00"), medical(4, "12000.00")]  # 王五 (一般农户): 12,000 < 20,000
    first_upload = push(cast, "medical", rows)
    first = run(cast)
    second_upload = push(cast, "medical", rows)  # the same file again: 24,000 if counted twice
    second = run(cast)

    warning = Warning.objects.get()
    assert (first.new_warnings, second.new_warnings, second.counts["medical_other"]) == (1, 0, 0)
    assert warning.values["个人自付合计"] == "6000.00"
    assert warning.seen.run == second
    # The re-uploaded row is the same record: it is linked to the warning too (the clerk's feedback).
    assert sorted(warning.feed_rows.values_list("upload", flat=True)) == [first_upload.pk, second_upload.pk]


def test_it_keeps_a_warning_whose_cause_has_gone(cast, household):
    push(cast, "medical", [medical(1, "6000.00")])
    first = run(cast)
    later = run(cast, as_of=D(2026, 6, 30), day=D(2026, 7, 1))  # the settlement left the 12 months

    warning = Warning.objects.get()
    assert (later.counts["medical_lifted"], later.new_warnings) == (0, 0)
    assert (warning.status, warning.seen.run) == ("new", first)


def test_a_run_for_a_feed_s_households_does_not_double_count_a_reupload(cast, village, household):
    """A feed-triggered run reads only its households' rows, upload by upload: a record sent again is one
    record there too (it once counted 王五's 12,000 twice and warned at 24,000)."""
    other = ordinary(cast, village)
    rows = [medical(4, "12000.00"), medical(4, "3000.00", day="2025-02-01")]
    push(cast, "medical", rows)
    resent = push(cast, "medical", [*rows, medical(4, "3000.00", day="2025-02-01")])  # and one more alike

    restricted = run(cast, household_ids=[other.pk])

    assert (restricted.counts["medical_other"], Warning.objects.count()) == (0, 0)  # 18,000
    latest = push(cast, "medical", [medical(4, "5000.00", day="2025-03-01")])
    restricted = run(cast, household_ids=[other.pk])
    warning = Warning.objects.get()
    assert (restricted.counts["medical_other"], warning.values["个人自付合计"]) == (1, "23000.00")
    uploads = sorted(warning.feed_rows.values_list("upload", flat=True))
    assert uploads == [resent.pk, resent.pk, resent.pk, latest.pk]  # each record as last sent


def test_it_touches_only_the_households_of_a_restricted_run(cast, village, household):
    other = ordinary(cast, village)
    push(cast, "medical", [medical(1, "6000.00"), medical(4, "25000.00")])
    everyone = run(cast)
    only_other = run(cast, household_ids=[other.pk], day=D(2025, 4, 2))

    assert only_other.counts == {**{key: 0 for key in only_other.counts}, "medical_other": 1}
    warnings = {w.household_id: w for w in Warning.objects.all()}
    assert warnings[household.pk].seen.run == everyone
    assert warnings[other.pk].seen.run == only_other


def test_each_warning_has_one_last_seen_row(cast, village, household):
    other = ordinary(cast, village)
    push(cast, "medical", [medical(1, "6000.00")])
    first = run(cast)
    push(cast, "medical", [medical(4, "25000.00")])
    second = run(cast, day=D(2025, 4, 2))

    seen = dict(WarningSeen.objects.values_list("warning__household_id", "run_id"))
    assert seen == {household.pk: second.pk, other.pk: second.pk}
    assert Warning.objects.get(household=other).first_run == second
    assert Warning.objects.get(household=household).first_run == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL 的表存储参数")
def test_last_seen_rows_leave_room_on_each_page_for_their_update():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [WarningSeen._meta.db_table])
        assert cursor.fetchone() == (["fillfactor=50"],)
        cursor.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [WarningSeen._meta.db_table]
        )
        assert cursor.fetchone() == (1,)  # its primary key only: an update of `run` stays on the page


def test_it_stores_only_the_restricted_households_warnings(cast, village, household):
    other = ordinary(cast, village)
    push(cast, "medical", [medical(1, "6000.00"), medical(4, "25000.00")])

    screening = run(cast, household_ids=[other.pk])

    assert list(Warning.objects.values_list("household_id", "rule")) == [(other.pk, "medical_other")]
    assert screening.new_warnings == 1


def test_it_records_a_discrepancy_once_and_blocks_county_approval(cast, village):
    household = ordinary(cast, village)
    case = to_stage(cast, open_case(cast, household), Step.COUNTY)
    push(cast, "vehicle", [vehicle(4)])

    first = run(cast)
    second = run(cast, day=D(2025, 4, 2))

    item = Discrepancy.objects.get()
    assert (first.new_discrepancies, second.new_discrepancies, second.counts["vehicle"]) == (1, 0, 1)
    assert (item.kind, item.source, item.source_ref) == ("vehicle", "screening", f"vehicle:{household.pk}")
    assert (item.case, item.found_on, item.recorded_by) == (case, RUN_DAY, cast["district_officer"])
    assert item.detail == (
        "家庭成员登记有车辆（车辆）：家庭成员登记有小型轿车（鄂G12345，登记日期2024-05-01），须核实说明。"
    )
    assert item.person == Person.objects.get(name="王五")
    assert Warning.objects.count() == 0
    with pytest.raises(ValidationError) as refusal:
        cases.county_decision(
            cast["district_officer"], case, decision=cases.APPROVE, reason="", decided_on=D(2025, 4, 2)
        )
    assert refusal.value.messages == ["该户有1条疑点尚未核实说明，核实后才能审定（政策规则16）"]

    cases.resolve_discrepancy(
        cast["village_cadre"],
        item,
        resolution="车辆登记在已分户的儿子名下，不影响认定",
        resolved_on=D(2025, 4, 2),
    )
    case = cases.county_decision(
        cast["district_officer"],
        Case.objects.get(pk=case.pk),
        decision=cases.APPROVE,
        reason="",
        decided_on=D(2025, 4, 2),
    )
    assert case.stage == Step.ANNOUNCEMENT


def test_it_does_not_raise_a_resolved_discrepancy_again_until_new_rows_arrive(cast, village):
    """Regression: a monthly run re-raised a 疑点 whose rows had already been verified, blocking the county
    approval again right after the note was written."""
    household = ordinary(cast, village)
    to_stage(cast, open_case(cast, household), Step.COUNTY)
    with time_machine.travel(datetime.datetime(2025, 3, 31, 9, 0, tzinfo=TZ), tick=False):
        push(cast, "vehicle", [vehicle(4)])
    run(cast)
    cases.resolve_discrepancy(
        cast["village_cadre"], Discrepancy.objects.get(), resolution="车辆已过户", resolved_on=D(2025, 4, 2)
    )

    again = run(cast, day=D(2025, 4, 3))
    assert (again.counts["vehicle"], again.new_discrepancies, Discrepancy.objects.count()) == (1, 0, 1)

    with time_machine.travel(datetime.datetime(2025, 4, 8, 9, 0, tzinfo=TZ), tick=False):
        push(cast, "vehicle", [vehicle(4, kind="中型客车")])
    later = run(cast, as_of=D(2025, 4, 8), day=D(2025, 4, 8))
    assert (later.new_discrepancies, Discrepancy.objects.filter(resolved_on__isnull=True).count()) == (1, 1)


def test_it_checks_discrepancies_only_under_monitoring_or_identification(cast, village):
    ordinary(cast, village)
    push(cast, "vehicle", [vehicle(4)])

    screening = run(cast)

    assert (screening.counts["vehicle"], Discrepancy.objects.count()) == (0, 0)


def test_it_refuses_a_manual_run_to_a_village_cadre(cast, household):
    with refused("只有区级业务人员或区级管理员可以发起筛查", error=PermissionDenied):
        run(cast, actor="village_cadre")


def test_it_refuses_an_as_of_date_after_today(cast, household):
    with refused("筛查基准日不能晚于今天"):
        run(cast, as_of=D(2025, 4, 2))


def test_it_marks_a_failed_run(cast, household, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("快照目录不可写")

    monkeypatch.setattr(runs, "write_snapshot", broken)
    with pytest.raises(RuntimeError):
        run(cast)

    screening = ScreeningRun.objects.get()
    assert (screening.status, screening.new_warnings) == ("failed", 0)
    assert screening.log.endswith("失败：快照目录不可写")
    assert screening.finished_at is not None


def test_it_runs_the_rules_enabled_in_the_settings(cast, household):
    from zhenxing.policy.actions import save_policy

    enabled = [
        label
        for label in policy_for(2025)["screening_rules_enabled"]
        if label != "脱贫户和监测户医疗个人自付"
    ]
    save_policy(cast["district_admin"], 2025, {"screening_rules_enabled": enabled}, "暂停医疗预警")
    push(cast, "medical", [medical(1, "6000.00")])

    screening = run(cast)

    assert "medical_lifted" not in screening.counts and len(screening.counts) == 15
    assert Warning.objects.count() == 0


def test_it_uses_the_year_s_threshold_and_records_its_version(cast, household):
    from zhenxing.policy.actions import save_policy

    version = save_policy(cast["district_admin"], 2025, {"medical_lifted_threshold": "4000"}, "试行")
    push(cast, "medical", [medical(1, "4500.00")])

    run(cast)

    warning = Warning.objects.get()
    assert warning.values["预警线"] == "4000.00"
    assert warning.policy_version == version


# --- jobs ---------------------------------------------------------------------------------------------


def _work(day=RUN_DAY):
    with time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC), tick=False
    ):
        return Worker("test").run_once()


def test_it_screens_the_households_of_a_feed_after_its_commit(cast, village, household):
    other = ordinary(cast, village)
    push(cast, "medical", [medical(4, "25000.00")])
    job = Job.objects.get(kind="screening.run")

    assert _work() is True

    job.refresh_from_db()
    screening = ScreeningRun.objects.get()
    assert (job.status, job.params["trigger"]) == (Status.SUCCEEDED, "feed")
    assert job.result == {"hits": 1, "new_warnings": 1, "new_discrepancies": 0, "households": 1}
    assert (screening.trigger, screening.upload.pk, screening.job) == (
        "feed",
        FeedRow.objects.get().upload_id,
        job,
    )
    assert list(Warning.objects.values_list("household_id", flat=True)) == [other.pk]
    assert "只筛查指定的 1 户" in job.log


def test_the_run_after_a_feed_commit_keeps_its_uploads_part_for_the_next_whole_run(
    cast, village, household, tmp_path, monkeypatch, settings
):
    from zhenxing.screening import snapshot

    settings.SCREENING_CACHE_DIR = str(tmp_path / "cache")
    upload = push(cast, "medical", [medical(1, "6000.00")])
    assert _work() is True
    assert sorted(p.suffix for p in snapshot.cache_dir().glob(f"feed-medical-{upload.public_id}-*")) == [
        ".json",
        ".parquet",
    ]
    read = []
    monkeypatch.setattr(snapshot, "_read_upload", lambda *args: read.append(args))
    info = snapshot.write_snapshot(tmp_path / "whole")
    assert (read, info.feeds) == ([], {"medical": 1})


def test_a_part_that_cannot_be_kept_does_not_fail_the_run_after_a_feed_commit(cast, household, monkeypatch):
    from zhenxing.screening import snapshot

    def full(upload):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot, "keep_part", full)
    push(cast, "medical", [medical(1, "6000.00")])
    job = Job.objects.get(kind="screening.run")

    assert _work() is True

    job.refresh_from_db()
    assert (job.status, job.result["new_warnings"], Warning.objects.count()) == (Status.SUCCEEDED, 1, 1)
    assert "未能缓存本次上传的数据（No space left on device），下次整体筛查时将直接读取" in job.log


def test_it_enqueues_a_manual_run_as_a_job(cast, household):
    push(cast, "medical", [medical(1, "6000.00")])  # also enqueues the run for this upload's households

    job = runs.enqueue_run(cast["district_officer"], trigger="manual", as_of=AS_OF)
    assert (_work(), _work()) == (True, True)

    job.refresh_from_db()
    assert job.params == {"trigger": "manual", "as_of": "2025-03-31", "backend": "duckdb", "upload": None}
    assert (job.status, job.result, job.progress_done, job.progress_total) == (
        Status.SUCCEEDED,
        {"hits": 1, "new_warnings": 0, "new_discrepancies": 0},
        19,
        19,
    )
    manual = ScreeningRun.objects.get(trigger="manual")
    assert (manual.started_by, manual.job, manual.counts["medical_lifted"]) == (
        cast["district_officer"],
        job,
        1,
    )


def test_it_schedules_one_run_a_month(cast):
    first = runs.schedule_due(D(2025, 4, 1))
    again = runs.schedule_due(D(2025, 4, 30))
    next_month = runs.schedule_due(D(2025, 5, 1))

    assert again is None
    assert first.params == {"trigger": "schedule", "as_of": None, "backend": "duckdb", "month": "2025-04"}
    assert (first.created_by, first.area.code, next_month.params["month"]) == (None, "420704", "2025-05")


def test_it_schedules_the_monthly_run_from_an_idle_worker(cast):
    stop = threading.Event()
    lines: list[str] = []

    def report(line: str) -> None:
        lines.append(line)
        if line.startswith("已安排定期任务"):
            stop.set()

    Worker("w1", poll_interval=0.01, report=report).run_forever(stop)

    job = Job.objects.get(kind="screening.run")
    assert job.params["trigger"] == "schedule"
    assert lines[1] == f"已安排定期任务：部门数据筛查（{job.public_id}）"


# --- zhenxing screen ------------------------------------------------------------------------------------


def test_it_prints_the_hits_per_rule(cast, household, capsys):
    push(cast, "medical", [medical(1, "6000.00")])

    with time_machine.travel(datetime.datetime(2025, 4, 1, 9, tzinfo=datetime.UTC), tick=False):
        # call_command, not cli.main: the command line closes every connection when it ends, which on
        # PostgreSQL would close the test's own transaction.
        call_command("screen", "--as-of", "2025-03-31")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "筛查完成：基准日 2025-03-31，计算引擎 DuckDB"
    assert out[1] == "  脱贫户和监测户医疗个人自付（预警）：1 户"
    assert out[12] == "  家庭成员为财政供养人员（疑点）：0 户"
    assert out[-1] == "命中合计 1 户次；新增预警 1 条，新增疑点 0 条"
    assert len(out) == 18
    assert ScreeningRun.objects.get().started_by is None


def test_it_refuses_a_bad_date(cast):
    # A CommandError: the `zhenxing` command line prints it and exits 1 (Django's run_from_argv).
    with pytest.raises(CommandError) as refusal:
        call_command("screen", "--as-of", "2025-02-30")

    assert str(refusal.value) == "日期“2025-02-30”格式不对，请按 YYYY-MM-DD 填写，如 2025-03-31"
    assert ScreeningRun.objects.count() == 0


def test_it_refuses_a_future_date_on_the_command_line(cast):
    with pytest.raises(CommandError) as refusal:
        call_command("screen", "--as-of", "2999-01-01")

    assert str(refusal.value) == "筛查基准日不能晚于今天"


def test_it_accepts_only_known_backends(cast):
    with pytest.raises(CommandError):
        call_command("screen", "--backend", "oracle")
    assert ScreeningRun.objects.count() == 0


# --- pages ----------------------------------------------------------------------------------------------


def test_it_starts_a_run_from_the_page(client, cast):
    client.force_login(cast["district_officer"])

    response = client.post(reverse("screening:run_list"), {"as_of": "2025-03-31", "backend": "duckdb"})

    job = Job.objects.get(kind="screening.run")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.public_id])
    assert job.params == {"trigger": "manual", "as_of": "2025-03-31", "backend": "duckdb", "upload": None}


@pytest.mark.parametrize("role", ["inspector", "township_officer"])
def test_it_refuses_to_start_a_run_from_the_page(client, cast, role):
    client.force_login(cast[role])

    response = client.post(reverse("screening:run_list"), {"as_of": "2025-03-31", "backend": "duckdb"})

    assert response.status_code == 403
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status"), [("inspector", 200), ("village_cadre", 403), ("department_clerk", 403)]
)
def test_it_shows_runs_to_the_district_and_inspectors(client, cast, role, status):
    client.force_login(cast[role])
    assert client.get(reverse("screening:run_list")).status_code == status


def test_it_shows_a_run_with_its_counts_per_rule(client, cast, household):
    push(cast, "medical", [medical(1, "6000.00")])
    screening = run(cast)
    client.force_login(cast["inspector"])

    response = client.get(reverse("screening:run_detail", args=[screening.public_id]))

    counts = {rule.key: n for rule, n in response.context["counts"]}
    assert (len(counts), counts["medical_lifted"], response.context["total"]) == (16, 1, 1)
    assert "新增预警" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_run_that_stores_many_warnings_refreshes_their_statistics(cast, household, monkeypatch):
    """Regression: a re-run at 20 million persons spent 81 s looking its 248,657 warnings up, PostgreSQL
    having no statistics yet for the rows the first run had just stored."""
    monkeypatch.setattr(warnings_actions, "ANALYZE_AFTER", 1)
    push(cast, "medical", [medical(1, "6000.00")])

    run(cast)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'screening_warning' AND attname = 'household_id'"
        )
        assert cursor.fetchone() == (1,)


def test_new_warnings_are_copied_with_every_column_that_may_not_be_empty():
    """`_insert_by_copy` (PostgreSQL) names the columns it fills; a column added to `Warning` that may not be
    empty must be added there too (the others start empty, as a new warning's assignment and closing do)."""
    required = {
        f.attname for f in Warning._meta.concrete_fields if not f.null and f.attname not in ("id", "number")
    }
    assert required <= set(warnings_actions._COPIED)
    assert set(warnings_actions._COPIED) <= {f.attname for f in Warning._meta.concrete_fields}


def test_a_new_warning_s_values_are_the_copied_columns_with_the_model_s_defaults(cast, household):
    from zhenxing.screening.engine.run import Hit

    push(cast, "medical", [medical(1, "6000.00")])
    screening = run(cast)
    hit = Hit("medical_lifted", 1, "warning", "因病", household.pk, None, (), "2025", {"合计": "1"}, ())
    values = warnings_actions._new_values(screening, hit, 7, RUN_DAY, DUE, policy_for(2025))

    assert list(values) == list(warnings_actions._COPIED)
    made = Warning(**values)
    for name in ("status", "result", "result_reason"):  # as a model instance would have them
        assert values[name] == Warning._meta.get_field(name).get_default(), name
    assert (made.area_id, made.first_run_id, made.department) == (7, screening.pk, "medical")
    assert (
        values["public_id"]
        != warnings_actions._new_values(screening, hit, 7, RUN_DAY, DUE, policy_for(2025))["public_id"]
    )
