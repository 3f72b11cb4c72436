from django.apps import AppConfig


class ZhenxingConfig(AppConfig):
    """The project package itself: holds the platform-wide commands (demo, serve, import)."""

    name = "zhenxing"
    verbose_name = "振兴"
