"""`/api/v1/`: department systems push feed rows with a token; the OpenAPI document; the key page.

    POST /api/v1/feeds/<kind>/      Authorization: Token <key>
    {"period": "2024-11", "rows": [{"公民身份号码": "…", "结算日期": "2024-11-02", …}], "commit_valid": false}

Every row is checked as a file row would be (`screening.feeds.validate_records`) and answered one by
one. Nothing is stored when any row has an error, unless `"commit_valid": true` (then the clean rows
are). The key must belong to a department clerk of that kind's department, or to a district officer or
admin. The key page (`tokens/`) is for district admins: create a key for a user (shown once) or revoke.
"""

import hashlib
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from zhenxing.accounts.models import ApiToken, User
from zhenxing.accounts.roles import Capability
from zhenxing.accounts.scope import require
from zhenxing.audit.context import acting_via
from zhenxing.audit.models import Source
from zhenxing.screening import feeds, permissions
from zhenxing.screening.actions import tokens
from zhenxing.screening.actions.feeds import PERIOD_MAX, commit_feed
from zhenxing.screening.models import FeedKind, FeedUpload

# One push: at most this many bytes of JSON (about 20,000 rows of a medical feed) and this many rows;
# bigger batches are split by the sender. The whole body is held in memory while it is checked.
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

UNAUTHORIZED = "接口密钥无效或已停用：请在请求头中带上 Authorization: Token <密钥>，密钥请向区级管理员申请"


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _error(status: int, message: str) -> JsonResponse:
    response = _json({"error": message}, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Token realm="zhenxing"'
    return response


def _token(request) -> ApiToken | None:
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() != "token":
        return None
    return tokens.authenticate(key.strip())


def _body(request) -> tuple[dict | None, JsonResponse | None]:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = _error(
        413, f"请求内容超过{MAX_BODY_BYTES // (1024 * 1024)} MB：请分批推送，每批不超过{MAX_ROWS}行"
    )
    if length > MAX_BODY_BYTES:
        return None, too_big
    try:
        body = request.body
    except RequestDataTooBig:
        return None, too_big
    if len(body) > MAX_BODY_BYTES:
        return None, too_big
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, _error(400, "请求内容不是有效的 UTF-8 JSON：请检查后重新推送")
    if not isinstance(payload, dict):
        return None, _error(400, '请求内容应为一个 JSON 对象：{"period": "…", "rows": [ … ]}')
    payload["_sha256"] = hashlib.sha256(body).hexdigest()
    return payload, None


@csrf_exempt
@require_POST
def feed_push(request, kind):
    if kind not in feeds.FEED_COLUMNS:
        return _error(404, f"没有“{kind}”这种部门数据，可用的类别：{'、'.join(feeds.KINDS)}")
    token = _token(request)
    if token is None:
        return _error(401, UNAUTHORIZED)
    if not permissions.may_upload(token.user, kind):
        return _error(403, f"这个密钥无权推送{feeds.LABELS[kind]}数据：部门填报员只能推送本部门的数据")
    payload, refused = _body(request)
    if refused is not None:
        return refused
    rows, period = payload.get("rows"), payload.get("period", "")
    if not isinstance(rows, list) or not rows:
        return _error(400, "rows 应为非空数组，每个元素是一行数据")
    if len(rows) > MAX_ROWS:
        return _error(413, f"一次最多推送{MAX_ROWS}行，本次{len(rows)}行：请分批推送")
    if not isinstance(period, str) or len(period.strip()) > PERIOD_MAX:
        return _error(400, f"period 应为不超过{PERIOD_MAX}个字的文字，如 2024-11")
    commit_valid = payload.get("commit_valid") is True

    plan = feeds.validate_records(kind, rows)
    problems = plan.errors_by_row()
    answers = [
        {"row": n, "ok": False, "errors": problems[n]} if n in problems else {"row": n, "ok": True}
        for n in range(1, len(rows) + 1)
    ]
    upload = None
    if plan.rows and (plan.is_valid or commit_valid):
        try:
            with acting_via(Source.API):
                upload = commit_feed(
                    token.user,
                    kind,
                    plan,
                    source=FeedUpload.Source.API,
                    sha256=payload["_sha256"],
                    period=period,
                    only_valid=commit_valid,
                )
        except ValidationError as e:
            return _error(400, e.messages[0])
    return _json(
        {
            "upload": str(upload.public_id) if upload else None,
            "accepted": upload.rows_total if upload else 0,
            "matched": upload.rows_matched if upload else 0,
            "unmatched": upload.rows_unmatched if upload else 0,
            "message": _message(plan, upload, commit_valid),
            "notices": plan.notices,
            "rows": answers,
        }
    )


def _message(plan: feeds.FeedPlan, upload, commit_valid: bool) -> str:
    bad = len(plan.errors_by_row())
    if upload is None and commit_valid:
        return "每一行都有错误，未写入任何数据：请按各行的错误改正后重新推送"
    if upload is None:
        return (
            f"有{bad}行有错误，未写入任何数据：请改正后重新推送全部行，"
            '或加 "commit_valid": true 只写入没有错误的行'
        )
    if bad:
        return f"已写入没有错误的{upload.rows_total}行；{bad}行有错误未写入，请改正后单独推送"
    return f"已写入全部{upload.rows_total}行"


# —— OpenAPI ———————————————————————————————————————————————————————————————————————————————————


def _row_schema(kind: str) -> dict:
    properties, required = {}, []
    for c in feeds.FEED_COLUMNS[kind]:
        names = "、".join((c.header, *c.aliases))
        schema: dict = {"description": f"{c.header}（中文列名也可用：{names}）"}
        if c.type == feeds.MONEY:
            schema["type"] = ["string", "number"]
            schema["description"] += f"；单位{c.unit}，≥ 0，最多两位小数"
        else:
            schema["type"] = "string"
        if c.choices:
            schema["enum"] = list(c.choices)
        if c.type == feeds.DATE:
            schema["format"] = "date"
        if c.type == feeds.SCHOOL_YEAR:
            schema["pattern"] = r"^\d{4}-\d{4}$"
        if c.type == feeds.MONTH:
            schema["pattern"] = r"^\d{4}-\d{2}$"
        properties[c.key] = schema
        if c.required:
            required.append(c.key)
    return {
        "type": "object",
        "description": f"{feeds.LABELS[kind]}数据的一行。键可以用英文名，也可以用模板的中文列名（或其别名）。",
        "properties": properties,
        "required": required,
        "additionalProperties": True,
    }


def _push_operation(kind: str) -> dict:
    label = FeedKind(kind).label
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "post": {
            "operationId": f"push_{kind}",
            "summary": f"推送{label}数据（{feeds.LABELS[kind]}）",
            "description": (
                "逐行检查并逐行答复。任何一行有错误时不写入任何数据，除非 commit_valid 为 true（只写入没有错误的行）。"
                "部门填报员的密钥只能推送本部门的数据。"
            ),
            "security": [{"token": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["rows"],
                            "properties": {
                                "period": {
                                    "type": "string",
                                    "maxLength": PERIOD_MAX,
                                    "description": "数据期间，如 2024-11",
                                },
                                "commit_valid": {"type": "boolean", "default": False},
                                "rows": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": MAX_ROWS,
                                    "items": {"$ref": f"#/components/schemas/Row_{kind}"},
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "每一行的检查结果；upload 为空表示没有写入",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushResult"}}},
                },
                "400": {"description": "请求内容无效", **error},
                "401": {"description": "密钥无效或已停用", **error},
                "403": {"description": "密钥无权推送这类数据", **error},
                "413": {
                    "description": f"请求超过 {MAX_BODY_BYTES // (1024 * 1024)} MB 或 {MAX_ROWS} 行",
                    **error,
                },
            },
        }
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "振兴 · 鄂城区乡村振兴工作平台 部门数据接口",
            "version": "1",
            "description": "行业部门系统用接口密钥推送部门数据（formats.md §3），与上传文件同样逐行检查。",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {f"/feeds/{kind}/": _push_operation(kind) for kind in feeds.KINDS},
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Token <密钥>，密钥由区级管理员在“接口密钥”页面创建",
                }
            },
            "schemas": {
                **{f"Row_{kind}": _row_schema(kind) for kind in feeds.KINDS},
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                },
                "RowResult": {
                    "type": "object",
                    "properties": {
                        "row": {"type": "integer", "description": "行的序号，从1开始"},
                        "ok": {"type": "boolean"},
                        "errors": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["row", "ok"],
                },
                "PushResult": {
                    "type": "object",
                    "properties": {
                        "upload": {"type": ["string", "null"], "format": "uuid"},
                        "accepted": {"type": "integer"},
                        "matched": {"type": "integer"},
                        "unmatched": {"type": "integer"},
                        "message": {"type": "string"},
                        "notices": {"type": "array", "items": {"type": "string"}},
                        "rows": {"type": "array", "items": {"$ref": "#/components/schemas/RowResult"}},
                    },
                    "required": ["upload", "accepted", "rows"],
                },
            },
        },
    }


@require_GET
def openapi(request):
    return _json(openapi_document())


# —— Keys (district admins) ————————————————————————————————————————————————————————————————————————


class TokenForm(forms.Form):
    user = forms.ModelChoiceField(label="使用者", queryset=User.objects.none(), empty_label="请选择")
    name = forms.CharField(label="用途", max_length=60, help_text="如 医保局结算系统推送")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            is_active=True, role__in=permissions.UPLOADERS
        ).order_by("role", "username")
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.full_name}（{u.username}，{u.get_department_display() or u.get_role_display()}）"
        )


@login_required
def api_tokens(request):
    require(request.user, Capability.MANAGE_USERS)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with acting_via(Source.UI):
                token, key = tokens.create_api_token(
                    request.user, form.cleaned_data["user"], form.cleaned_data["name"]
                )
        except ValidationError as e:
            form.add_error(None, e.messages[0])
        else:
            return render(request, "screening/api_token_created.html", {"token": token, "key": key})
    token_list = ApiToken.objects.select_related("user").order_by("-created_at")
    return render(request, "screening/api_tokens.html", {"form": form, "tokens": token_list})


@login_required
@require_POST
def api_token_revoke(request, public_id):
    require(request.user, Capability.MANAGE_USERS)
    token = ApiToken.objects.filter(public_id=public_id).first()
    if token is None:
        raise Http404("密钥不存在")
    try:
        with acting_via(Source.UI):
            tokens.revoke_api_token(request.user, token)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(
            request, f"已停用密钥“{token.name}”（{token.prefix}…），使用它的系统将无法再推送数据"
        )
    return redirect("api:api_tokens")


urlpatterns = [
    path("feeds/<str:kind>/", feed_push, name="feed_push"),
    path("openapi.json", openapi, name="openapi"),
    path("tokens/", api_tokens, name="api_tokens"),
    path("tokens/<uuid:public_id>/revoke/", api_token_revoke, name="api_token_revoke"),
]
