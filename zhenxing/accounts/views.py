from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from zhenxing.accounts import actions
from zhenxing.accounts.forms import LoginForm, PasswordChangeForm, UserForm
from zhenxing.accounts.middleware import LAST_SEEN_KEY
from zhenxing.accounts.models import LoginEvent, User
from zhenxing.accounts.roles import Capability, Role
from zhenxing.accounts.scope import get_in_scope, require, scoped


def get_user_for_user(viewer: User, username: str, write: bool = False) -> User:
    require(viewer, Capability.MANAGE_USERS if write else Capability.VIEW_USERS)
    return get_in_scope(User.objects.select_related("area__parent"), viewer, username=username)


@sensitive_post_parameters("password")
def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = User.objects.filter(username=username).select_related("area").first()
        if user is None:
            actions.record_login_event(request, LoginEvent.Kind.FAILURE, username=username)
            error = "账号或密码不正确"
        elif not user.is_active:
            actions.record_login_event(request, LoginEvent.Kind.REFUSED_INACTIVE, user)
            error = "该账户已停用，请联系区级管理员"
        elif user.is_locked():
            actions.record_login_event(request, LoginEvent.Kind.REFUSED_LOCKED, user)
            until = timezone.localtime(user.locked_until)
            error = f"连续输错密码次数过多，账户已锁定，请于 {until:%H:%M} 后再试，或联系区级管理员重置密码"
        elif not user.check_password(form.cleaned_data["password"]):
            if actions.register_failed_login(request, user):
                error = "连续输错密码次数过多，账户已锁定15分钟"
            else:
                error = "账号或密码不正确"
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[LAST_SEEN_KEY] = timezone.now().timestamp()
            actions.register_successful_login(request, user)
            next_url = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = "/"
            return redirect(next_url)
    context = {
        "form": form,
        "error": error,
        "timeout": "timeout" in request.GET,
        "next": request.GET.get("next", ""),
    }
    return render(request, "accounts/login.html", context, status=400 if error else 200)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        actions.record_login_event(request, LoginEvent.Kind.LOGOUT, request.user)
    logout(request)
    return redirect("accounts:login")


@login_required
@sensitive_post_parameters()
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_own_password(request, request.user, form.cleaned_data["new_password"])
        except ValidationError as e:
            form.add_error("new_password", e)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def user_list(request):
    require(request.user, Capability.VIEW_USERS)
    users = scoped(User.objects.select_related("area__parent__parent"), request.user)
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(username__icontains=query) | users.filter(full_name__icontains=query)
    role = request.GET.get("role", "")
    if role in Role.values:
        users = users.filter(role=role)
    page = Paginator(users.order_by("area__code", "username"), 50).get_page(request.GET.get("page"))
    return render(
        request, "accounts/user_list.html", {"page": page, "q": query, "role": role, "roles": Role.choices}
    )


@login_required
def user_create(request):
    require(request.user, Capability.MANAGE_USERS)
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = actions.UserData(
            **{
                k: form.cleaned_data[k]
                for k in ("username", "full_name", "role", "area", "department", "phone")
            }
        )
        try:
            user, password = actions.create_user(request.user, data)
        except ValidationError as e:
            form.add_error(None, e)
        except IntegrityError:
            form.add_error("username", "该账号已存在，请换一个")
        else:
            return render(
                request,
                "accounts/temporary_password.html",
                {"subject": user, "password": password, "created": True},
            )
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_edit(request, username):
    subject = get_user_for_user(request.user, username, write=True)
    initial = {
        "username": subject.username,
        "full_name": subject.full_name,
        "phone": subject.phone,
        "role": subject.role,
        "area": subject.area,
        "department": subject.department,
    }
    form = UserForm(request.POST or None, initial=initial, editing=subject)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.update_user(
                request.user,
                subject,
                full_name=d["full_name"],
                phone=d["phone"],
                role=d["role"],
                area=d["area"],
                department=d["department"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"已保存用户 {subject}")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "subject": subject})


@login_required
@require_POST
def user_set_active(request, username):
    subject = get_user_for_user(request.user, username, write=True)
    active = request.POST.get("active") == "1"
    try:
        actions.set_user_active(request.user, subject, active)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"已{'启用' if active else '停用'}用户 {subject}")
    return redirect("accounts:user_edit", username=subject.username)


@login_required
@require_POST
def user_reset_password(request, username):
    subject = get_user_for_user(request.user, username, write=True)
    password = actions.reset_password(request.user, subject)
    return render(request, "accounts/temporary_password.html", {"subject": subject, "password": password})


@login_required
def login_log(request):
    require(request.user, Capability.VIEW_AUDIT)
    events = LoginEvent.objects.select_related("user")
    username = request.GET.get("username", "").strip()
    if username:
        events = events.filter(username=username)
    kind = request.GET.get("kind", "")
    if kind in LoginEvent.Kind.values:
        events = events.filter(kind=kind)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/login_log.html",
        {"page": page, "username": username, "kind": kind, "kinds": LoginEvent.Kind.choices},
    )
