"""`/api/v1/`: pushing feed rows with a token (401/403/413/400/200 and per-row answers), the OpenAPI
document, and the key page of district admins."""

import hashlib
import json

import pytest
from django.urls import reverse

from conftest import make_user
from zhenxing.accounts.models import ApiToken
from zhenxing.accounts.roles import Department, Role
from zhenxing.audit.models import AuditEntry
from zhenxing.registry.tests.change_helpers import register
from zhenxing.screening.actions import tokens
from zhenxing.screening.models import FeedRow, FeedUpload
from zhenxing.screening.tests.feed_helpers import HEAD, SON, UNKNOWN, screening_jobs, wrong_check_digit
from zhenxing.screening.views import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(cast, village):
    return register(cast["district_admin"], village)


def key_for(cast, role="department_clerk") -> str:
    return tokens.create_api_token(cast["district_admin"], cast[role], "医保局结算系统")[1]


def push(client, key, body, kind="medical"):
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"} if key is not None else {}
    return client.post(
        reverse("api:feed_push", args=[kind]), data, content_type="application/json", **headers
    )


def row(id_no=HEAD, **fields):
    return {"公民身份号码": id_no, "姓名": "张三", "结算日期": "2025-03-01", "个人自付": "6999.50", **fields}


def nothing_stored():
    return FeedUpload.objects.count() == 0 and FeedRow.objects.count() == 0


# —— Authentication and permission ——————————————————————————————————————————————————————————————————


def test_it_answers_401_without_a_valid_key(client, cast):
    key = key_for(cast)
    for given in (None, "", "zx_not-a-key", key[:-1]):
        response = push(client, given, {"rows": [row()]})
        assert response.status_code == 401
        assert response.json() == {"error": api.UNAUTHORIZED}
        assert response["WWW-Authenticate"] == 'Token realm="zhenxing"'
    bearer = client.post(
        reverse("api:feed_push", args=["medical"]),
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert bearer.status_code == 401
    assert nothing_stored()


def test_it_answers_401_once_the_key_is_revoked_or_its_user_disabled(client, cast, household):
    key = key_for(cast)
    token = ApiToken.objects.get()
    tokens.revoke_api_token(cast["district_admin"], token)
    assert push(client, key, {"rows": [row()]}).status_code == 401

    other = key_for(cast)
    cast["department_clerk"].is_active = False
    cast["department_clerk"].save(update_fields=["is_active"])
    assert push(client, other, {"rows": [row()]}).status_code == 401
    assert nothing_stored()


def test_a_clerks_key_pushes_only_its_own_department(client, cast):
    key = key_for(cast)
    body = {"rows": [{"户主公民身份号码": HEAD, "鉴定日期": "2025-01-02", "房屋安全等级": "D"}]}
    response = push(client, key, body, kind="housing")
    assert response.status_code == 403
    assert response.json() == {"error": "这个密钥无权推送住建数据：部门填报员只能推送本部门的数据"}

    token = ApiToken.objects.create(
        user=cast["township_officer"], name="乡镇", key_hash=tokens.key_hash("zx_t"), prefix="zx_t"
    )
    assert push(client, "zx_t", {"rows": [row()]}).status_code == 403
    assert token.pk and nothing_stored()


def test_a_district_officers_key_pushes_any_kind(client, cast, household):
    key = key_for(cast, "district_officer")
    body = {"rows": [{"户主公民身份号码": HEAD, "鉴定日期": "2025-01-02", "房屋安全等级": "D"}]}
    response = push(client, key, body, kind="housing")
    assert response.status_code == 200 and response.json()["accepted"] == 1


def test_it_answers_404_for_an_unknown_kind(client, cast):
    response = push(client, key_for(cast), {"rows": [row()]}, kind="weather")
    assert response.status_code == 404
    assert response.json()["error"].startswith("没有“weather”这种部门数据")


# —— Pushing ———————————————————————————————————————————————————————————————————————————————————————


def test_it_stores_a_clean_push_and_answers_every_row(client, cast, household):
    key = key_for(cast)
    body = {
        "period": "2025-03",
        "rows": [row(), {"id_number": SON, "settlement_date": "2025-03-02", "self_pay": 120.5}, row(UNKNOWN)],
    }
    raw = json.dumps(body, ensure_ascii=False)
    response = push(client, key, raw)
    assert response.status_code == 200
    upload = FeedUpload.objects.get()
    assert response.json() == {
        "upload": str(upload.public_id),
        "accepted": 3,
        "matched": 2,
        "unmatched": 1,
        "message": "已写入全部3行",
        "notices": [],
        "rows": [{"row": 1, "ok": True}, {"row": 2, "ok": True}, {"row": 3, "ok": True}],
    }
    assert (upload.source, upload.period, upload.uploaded_by, upload.file_name) == (
        "api",
        "2025-03",
        cast["department_clerk"],
        "",
    )
    assert upload.sha256 == hashlib.sha256(raw.encode()).hexdigest()
    assert upload.rows.get(row_number=2).data["self_pay"] == "120.50"
    entry = AuditEntry.objects.get(action="commit_feed")
    assert (entry.source, entry.actor_username) == ("api", "clerk")
    assert [job.params["upload"] for job in screening_jobs()] == [str(upload.public_id)]
    assert ApiToken.objects.get().last_used_at is not None


def test_it_stores_nothing_when_any_row_is_invalid_and_says_why_per_row(client, cast, household):
    key = key_for(cast)
    bad_id = wrong_check_digit(SON)
    body = {"rows": [row(), row(bad_id), row(UNKNOWN, 结算日期="2025-02-30", 个人自付=-5)]}
    audit_before = AuditEntry.objects.count()
    response = push(client, key, body)
    assert response.status_code == 200
    assert response.json() == {
        "upload": None,
        "accepted": 0,
        "matched": 0,
        "unmatched": 0,
        "message": '有2行有错误，未写入任何数据：请改正后重新推送全部行，或加 "commit_valid": true 只写入没有错误的行',
        "notices": [],
        "rows": [
            {"row": 1, "ok": True},
            {
                "row": 2,
                "ok": False,
                "errors": [
                    f"公民身份号码：公民身份号码校验码错误，应为{SON[17]}（当前为{bad_id[17]}），请核对是否有抄错的数字"
                ],
            },
            {
                "row": 3,
                "ok": False,
                "errors": [
                    "结算日期：日期不存在：2025-02-30，请检查月份和日期",
                    "个人自付：不能为负数：请填写0或正数",
                ],
            },
        ],
    }
    assert nothing_stored() and AuditEntry.objects.count() == audit_before and screening_jobs() == []


def test_it_stores_the_valid_rows_with_commit_valid(client, cast, household):
    key = key_for(cast)
    body = {"commit_valid": True, "rows": [row(), row(个人自付="abc"), row(SON, 医院="市中心医院")]}
    response = push(client, key, body)
    answer = response.json()
    assert (answer["accepted"], answer["matched"], answer["unmatched"]) == (2, 2, 0)
    assert answer["message"] == "已写入没有错误的2行；1行有错误未写入，请改正后单独推送"
    assert answer["notices"] == ["以下字段不属于医保数据，已忽略：医院"]
    assert [r["ok"] for r in answer["rows"]] == [True, False, True]
    assert list(FeedUpload.objects.get().rows.values_list("row_number", flat=True)) == [1, 3]


def test_it_refuses_bodies_it_cannot_read(client, cast):
    key = key_for(cast)
    cases = [
        (b"{not json", "请求内容不是有效的 UTF-8 JSON：请检查后重新推送"),
        ("[1, 2]", '请求内容应为一个 JSON 对象：{"period": "…", "rows": [ … ]}'),
        ({"rows": []}, "rows 应为非空数组，每个元素是一行数据"),
        ({"rows": [row()], "period": 2025}, "period 应为不超过40个字的文字，如 2024-11"),
    ]
    for body, message in cases:
        response = push(client, key, body)
        assert (response.status_code, response.json()) == (400, {"error": message})
    assert nothing_stored()


def test_it_answers_413_to_a_body_or_batch_too_large(client, cast, monkeypatch):
    key = key_for(cast)
    monkeypatch.setattr(api, "MAX_ROWS", 2)
    response = push(client, key, {"rows": [row(), row(), row()]})
    assert (response.status_code, response.json()) == (413, {"error": "一次最多推送2行，本次3行：请分批推送"})
    monkeypatch.setattr(api, "MAX_BODY_BYTES", 1024 * 1024)
    response = push(client, key, {"rows": [row(备注="长" * 400_000)]})
    assert response.status_code == 413
    assert response.json() == {"error": "请求内容超过1 MB：请分批推送，每批不超过2行"}
    assert nothing_stored()


def test_it_needs_no_csrf_token(cast, household):
    from django.test import Client

    response = push(Client(enforce_csrf_checks=True), key_for(cast), {"rows": [row()]})
    assert response.status_code == 200


# —— OpenAPI ———————————————————————————————————————————————————————————————————————————————————————


def test_the_openapi_document_describes_every_feed(client):
    response = client.get(reverse("api:openapi"))
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert sorted(document["paths"]) == sorted(f"/feeds/{kind}/" for kind in Department.values)
    medical = document["components"]["schemas"]["Row_medical"]
    assert medical["required"] == ["id_number", "settlement_date", "self_pay"]
    assert medical["properties"]["visit_type"]["enum"] == ["住院", "门诊"]
    operation = document["paths"]["/feeds/medical/"]["post"]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "413"]
    assert document["components"]["securitySchemes"]["token"]["name"] == "Authorization"


# —— Keys ———————————————————————————————————————————————————————————————————————————————————————————


def test_an_admin_creates_a_key_that_is_shown_once_and_works(client, cast, household):
    client.force_login(cast["district_admin"])
    response = client.post(
        reverse("api:api_tokens"), {"user": cast["department_clerk"].pk, "name": "医保局结算系统"}
    )
    assert response.status_code == 200
    key = response.context["key"]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (cast["department_clerk"], "医保局结算系统", key[:8])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in token.key_hash
    assert key in response.content.decode()
    listing = client.get(reverse("api:api_tokens")).content.decode()
    assert key not in listing and token.prefix in listing
    entry = AuditEntry.objects.get(action="create_api_token")
    assert (entry.source, entry.changes["user"]) == ("ui", [None, "clerk"])
    assert key not in json.dumps(entry.changes)
    assert push(client, key, {"rows": [row()]}).status_code == 200


def test_an_admin_revokes_a_key(client, cast):
    key = key_for(cast)
    token = ApiToken.objects.get()
    client.force_login(cast["district_admin"])
    response = client.post(reverse("api:api_token_revoke", args=[token.public_id]))
    assert response.status_code == 302 and response.url == reverse("api:api_tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.get(action="revoke_api_token").source == "ui"
    assert push(client, key, {"rows": [row()]}).status_code == 401
    again = client.post(reverse("api:api_token_revoke", args=[token.public_id]), follow=True)
    assert "这个密钥已经停用，无需再次停用" in again.content.decode()


def test_it_gives_keys_only_to_roles_that_push_feeds(client, cast):
    client.force_login(cast["district_admin"])
    response = client.post(reverse("api:api_tokens"), {"user": cast["township_officer"].pk, "name": "乡镇"})
    assert response.status_code == 200 and "key" not in response.context
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("role", ["district_officer", "department_clerk", "township_officer", "inspector"])
def test_only_district_admins_manage_keys(client, cast, role):
    key_for(cast)
    token = ApiToken.objects.get()
    client.force_login(cast[role])
    assert client.get(reverse("api:api_tokens")).status_code == 403
    assert client.post(reverse("api:api_tokens"), {"user": cast[role].pk, "name": "x"}).status_code == 403
    assert client.post(reverse("api:api_token_revoke", args=[token.public_id])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_a_key_for_another_department_clerk_works_for_that_department(client, cast, household):
    builder = make_user("builder", Role.DEPARTMENT_CLERK, cast["district_admin"].area, Department.HOUSING)
    key = tokens.create_api_token(cast["district_admin"], builder, "住建系统")[1]
    body = {"rows": [{"head_id_number": HEAD, "appraisal_date": "2025-01-02", "safety_grade": "c"}]}
    response = push(client, key, body, kind="housing")
    assert response.json()["accepted"] == 1
    assert FeedRow.objects.get().data == {"appraisal_date": "2025-01-02", "safety_grade": "C"}


def test_it_says_so_when_commit_valid_finds_no_valid_row(client, cast):
    response = push(client, key_for(cast), {"commit_valid": True, "rows": [row(个人自付="abc")]})
    answer = response.json()
    assert (response.status_code, answer["upload"], answer["accepted"]) == (200, None, 0)
    assert answer["message"] == "每一行都有错误，未写入任何数据：请按各行的错误改正后重新推送"
    assert nothing_stored()
