"""Settings, all from environment variables (documented in .env.example and the README).

`ZX_ENV` picks the mode: `production` (the default) refuses to start without real keys or with
`ZX_DEBUG` on; `demo` (what `make demo` runs) generates its keys once under `var/`; `test` uses fixed
throw-away keys and a fast password hasher.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A variable, or the contents of the file named by NAME_FILE (for container secrets)."""
    if name + "_FILE" in os.environ:
        return Path(os.environ[name + "_FILE"]).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str = "0") -> bool:
    value = env(name, default).lower()
    if value not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise ImproperlyConfigured(f"{name} 应为 1 或 0，当前为 {value!r}")
    return value in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    value = env(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} 应为整数，当前为 {value!r}") from None


ZX_ENV = env("ZX_ENV", "production")
if ZX_ENV not in ("production", "demo", "test"):
    raise ImproperlyConfigured(f"ZX_ENV 应为 production、demo 或 test，当前为 {ZX_ENV!r}")
PRODUCTION = ZX_ENV == "production"

VAR_DIR = Path(env("ZX_VAR_DIR", str(BASE_DIR / "var")))


def _generated_secret(name: str, filename: str, make) -> str:
    """Demo mode only: a key generated once and kept under var/, reused on the next start."""
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _data_key() -> str:
    from zhenxing.lib.personal import generate_key

    return generate_key()


TEST_SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
TEST_DATA_KEY = "dGVzdC1kYXRhLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24="  # 32 bytes, tests only

if ZX_ENV == "test":
    SECRET_KEY = env("ZX_SECRET_KEY", TEST_SECRET_KEY)
    ZX_DATA_KEY = env("ZX_DATA_KEY", TEST_DATA_KEY)
elif ZX_ENV == "demo":
    SECRET_KEY = env("ZX_SECRET_KEY") or _generated_secret(
        "ZX_SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50)
    )
    ZX_DATA_KEY = env("ZX_DATA_KEY") or _generated_secret("ZX_DATA_KEY", "data_key", _data_key)
else:
    SECRET_KEY = env("ZX_SECRET_KEY")
    ZX_DATA_KEY = env("ZX_DATA_KEY")
    if len(SECRET_KEY) < 32 or SECRET_KEY == TEST_SECRET_KEY:
        raise ImproperlyConfigured("生产环境必须设置 ZX_SECRET_KEY（至少32个字符的随机串，不能用测试默认值）")
    if not ZX_DATA_KEY or ZX_DATA_KEY == TEST_DATA_KEY:
        raise ImproperlyConfigured(
            "生产环境必须设置 ZX_DATA_KEY（个人信息加密密钥，用 `zhenxing generate_data_key` 生成）"
        )

DEBUG = envbool("ZX_DEBUG")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("生产环境不允许开启 ZX_DEBUG")

ALLOWED_HOSTS = [
    h.strip() for h in env("ZX_ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",") if h.strip()
]
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("生产环境必须设置 ZX_ALLOWED_HOSTS（逗号分隔的域名）")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("ZX_CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "zhenxing",
    "zhenxing.areas",
    "zhenxing.accounts",
    "zhenxing.audit",
    "zhenxing.policy",
    "zhenxing.jobs",
    "zhenxing.attachments",
    "zhenxing.registry",
    "zhenxing.cases",
    "zhenxing.screening",
    "zhenxing.funds",
    "zhenxing.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhenxing.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhenxing.audit.context.AuditSourceMiddleware",
    "zhenxing.accounts.middleware.IdleTimeoutMiddleware",
    "zhenxing.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhenxing.urls"
WSGI_APPLICATION = "zhenxing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zhenxing" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhenxing.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = env("ZX_DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhenxing.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("ZX_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web threads read while the in-process worker writes; IMMEDIATE makes writers
    # queue on the lock instead of failing half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL compiles large aggregate queries just in time: 40–60 ms of compiling per dashboard
    # query for queries that run in a few hundred (measured at 1,000,000 households; bench/README.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "zhenxing.accounts.passwords.ComplexityValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if ZX_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Login security (等保三级 habits); the numbers are here so a deployment can tighten them.
ZX_LOCKOUT_ATTEMPTS = envint("ZX_LOCKOUT_ATTEMPTS", 5)
ZX_LOCKOUT_MINUTES = envint("ZX_LOCKOUT_MINUTES", 15)
ZX_IDLE_MINUTES = envint("ZX_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = 12 * 3600  # absolute cap; the idle limit is enforced by IdleTimeoutMiddleware
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION and not envbool("ZX_INSECURE_COOKIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("ZX_BEHIND_PROXY") else None
SECURE_HSTS_SECONDS = envint("ZX_HSTS_SECONDS", 31536000 if PRODUCTION else 0)

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end libraries come from npm (package-lock.json) into node_modules and are served by the app.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
WHITENOISE_USE_FINDERS = True  # serve straight from the app folders; `collectstatic` is optional
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it to exist
except OSError:
    pass

MEDIA_ROOT = Path(env("ZX_MEDIA_ROOT", str(VAR_DIR / "media")))
ZX_MAX_UPLOAD_MB = envint("ZX_MAX_UPLOAD_MB", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Screening keeps each feed upload's rows, once read for a run, as a Parquet file here (one folder per database):
# an upload's rows never change, so a later run reads only the uploads that came since. On PostgreSQL it also
# keeps the registry's snapshot files, and a later run reads only the households changed since (docs/screening.md).
# Empty: not kept.
SCREENING_CACHE_DIR = env("ZX_SCREENING_CACHE_DIR", str(VAR_DIR / "screening-cache"))

# Jobs: `make demo` runs a worker thread inside `zhenxing serve`; production runs `zhenxing worker`.
ZX_JOB_STALE_MINUTES = envint("ZX_JOB_STALE_MINUTES", 10)

# The district map's optional background tiles: an XYZ template such as https://tiles.example/{z}/{x}/{y}.png
# (or /tiles/{z}/{x}/{y}.png on this site). Empty: no tile server, the map works offline.
ZX_MAP_TILE_URL = env("ZX_MAP_TILE_URL")
# The public portal's address, printed as a QR code on the 申报政策明白纸. Empty: no QR code.
ZX_PORTAL_URL = env("ZX_PORTAL_URL")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("ZX_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
