"""Writing a checked feed: one upload with all its rows, in one transaction, then a screening run."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhenxing.audit import actions as audit
from zhenxing.registry.importing.bulk import insert
from zhenxing.registry.importing.common import no_gc
from zhenxing.screening import permissions
from zhenxing.screening.feeds import FeedPlan, match_persons
from zhenxing.screening.models import FeedRow, FeedUpload

PERIOD_MAX = 40


def commit_feed(
    actor,
    kind: str,
    plan: FeedPlan,
    *,
    source: str,
    file_name: str = "",
    sha256: str = "",
    period: str = "",
    only_valid: bool = False,
) -> FeedUpload:
    """Store the clean rows of `plan` as one `FeedUpload` of `kind`; audited as `commit_feed`.

    Refused (ValidationError, nothing written) when the plan has a file error, when it has row errors
    and `only_valid` is not set, or when no clean row is left; PermissionDenied when `actor` may not
    send this kind (`screening.permissions`). Each row is matched by its ID hash to a registry person
    and that person's open membership (household and village); a row without one is stored all the
    same with household (and person, when unknown) empty, and counted as unmatched. Rows go in with
    multi-row INSERTs and the lookups in chunks, so 100,000 rows take seconds. When any row matched, a
    screening run for the upload's households is enqueued in the same transaction
    (`screening.runs.enqueue_run(actor, trigger="feed", upload=upload)`).
    """
    if plan.kind != kind:
        raise ValueError(f"plan of {plan.kind!r} committed as {kind!r}")
    if not permissions.may_upload(actor, kind):
        raise PermissionDenied("您只能上传本部门的数据：请确认数据类别，或请区级业务人员上传")
    if plan.has_file_error:
        raise ValidationError("文件本身有错误（见错误明细），没有可写入的数据：请改正后重新上传")
    if plan.errors and not only_valid:
        raise ValidationError(
            f"有{len(plan.error_rows())}行数据有错误，未写入任何数据：请改正后重新上传，或选择只写入没有错误的行"
        )
    if not plan.rows:
        raise ValidationError("没有可写入的数据行（每一行都有错误）：请改正后重新上传")
    period = period.strip()
    if len(period) > PERIOD_MAX:
        raise ValidationError(f"数据期间最多{PERIOD_MAX}个字，如 2024-11 或 2024年1-11月")

    with no_gc(), transaction.atomic():
        found = match_persons(r.id_hash for r in plan.rows)
        matched = sum(1 for r in plan.rows if (m := found.get(r.id_hash)) is not None and m.household_id)
        upload = FeedUpload.objects.create(
            kind=kind,
            source=source,
            file_name=file_name[:200],
            sha256=sha256,
            period=period,
            uploaded_by=actor,
            rows_total=len(plan.rows),
            rows_matched=matched,
            rows_unmatched=len(plan.rows) - matched,
        )
        insert(FeedRow, _rows(upload, kind, plan, found))
        audit.record(
            actor,
            "commit_feed",
            upload,
            changes={
                "kind": [None, kind],
                "source": [None, source],
                "file_name": [None, upload.file_name],
                "sha256": [None, sha256],
                "period": [None, period],
                "rows": [None, upload.rows_total],
                "matched": [None, upload.rows_matched],
                "unmatched": [None, upload.rows_unmatched],
                "skipped_error_rows": [None, len(plan.error_rows())],
            },
        )
        if matched:
            _enqueue_screening(actor, upload)
    return upload


def _rows(upload: FeedUpload, kind: str, plan: FeedPlan, found: dict):
    for row in plan.rows:
        match = found.get(row.id_hash)
        yield {
            "upload_id": upload.pk,
            "kind": kind,
            "row_number": row.row,
            "id_hash": row.id_hash,
            "id_masked": row.id_masked,
            "name": row.name,
            "person_id": match.person_id if match else None,
            "household_id": match.household_id if match else None,
            "area_id": match.area_id if match else None,
            "data": row.data,
        }


def _enqueue_screening(actor, upload: FeedUpload) -> None:
    """A screening run for the households of this upload (screening/runs.py owns runs)."""
    from zhenxing.screening import runs

    runs.enqueue_run(actor, trigger="feed", upload=upload)
