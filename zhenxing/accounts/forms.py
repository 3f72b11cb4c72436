from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts

from zhenxing.accounts.models import User
from zhenxing.accounts.roles import Department, Role
from zhenxing.areas.models import Area


class LoginForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="当前密码", widget=forms.PasswordInput)
    new_password = forms.CharField(
        label="新密码", widget=forms.PasswordInput, help_text=" ".join(password_validators_help_texts())
    )
    new_password_again = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput)

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("当前密码不正确")
        return value

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "两次输入的新密码不一致")
        return data


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.code} {obj.full_name}"


class UserForm(forms.Form):
    username = forms.RegexField(
        label="账号",
        max_length=40,
        regex=r"^[A-Za-z0-9_.@-]+$",
        error_messages={"invalid": "账号只能包含字母、数字和 _ . @ -"},
    )
    full_name = forms.CharField(label="姓名", max_length=40)
    phone = forms.CharField(label="工作电话", max_length=20, required=False)
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    area = AreaChoiceField(label="所属区划", queryset=Area.objects.none())
    department = forms.ChoiceField(
        label="所属部门（仅部门填报员）", choices=[("", "—")] + Department.choices, required=False
    )

    def __init__(self, *args, editing: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = (
            Area.objects.active().exclude(level="group").select_related("parent__parent")
        )
        self.editing = editing
        if editing is not None:
            self.fields["username"].disabled = True

    def clean_username(self):
        username = self.cleaned_data["username"]
        if self.editing is None and User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("该账号已存在，请换一个")
        return username
