"""Settings refusals, the health check, security headers and the CLI entry point."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from zhenxing.views import healthz


def run_settings(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZX_") and k != "DJANGO_SETTINGS_MODULE"}
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import zhenxing.settings"],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD = {
    "ZX_ENV": "production",
    "ZX_SECRET_KEY": "k" * 50,
    "ZX_DATA_KEY": "dGhpcy1pcy1hLTMyLWJ5dGUta2V5LWZvci10ZXN0cy0=",
    "ZX_ALLOWED_HOSTS": "fpjc.example.cn",
    "ZX_VAR_DIR": "/tmp/zx-settings-test",
}


def test_it_starts_in_production_with_real_keys():
    result = run_settings(**GOOD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "override, message",
    [
        ({"ZX_SECRET_KEY": ""}, "生产环境必须设置 ZX_SECRET_KEY"),
        (
            {"ZX_SECRET_KEY": "test-secret-key-not-for-production-0123456789abcdef"},
            "生产环境必须设置 ZX_SECRET_KEY",
        ),
        ({"ZX_DATA_KEY": ""}, "生产环境必须设置 ZX_DATA_KEY"),
        ({"ZX_DATA_KEY": "dGVzdC1kYXRhLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24="}, "生产环境必须设置 ZX_DATA_KEY"),
        ({"ZX_DEBUG": "1"}, "生产环境不允许开启 ZX_DEBUG"),
        ({"ZX_ALLOWED_HOSTS": ""}, "生产环境必须设置 ZX_ALLOWED_HOSTS"),
        ({"ZX_ENV": "staging"}, "ZX_ENV 应为 production、demo 或 test"),
    ],
)
def test_it_refuses_to_start_in_production_without_safe_settings(override, message):
    result = run_settings(**{**GOOD, **override})
    assert result.returncode != 0
    assert message in result.stderr


def test_it_reads_a_secret_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s" * 40 + "\n")
    env = {**GOOD, "ZX_SECRET_KEY_FILE": str(secret)}
    del env["ZX_SECRET_KEY"]
    assert run_settings(**env).returncode == 0


@pytest.mark.django_db
def test_it_answers_health_checks(client):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_it_answers_503_when_the_database_is_down(rf, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = healthz(rf.get("/healthz"))
    assert response.status_code == 503


@pytest.mark.django_db
def test_it_sends_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_it_runs_as_a_console_command():
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "zhenxing"), "help", "audit"],
        env={**os.environ, "ZX_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "verify" in result.stdout
