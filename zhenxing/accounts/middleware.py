import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# htmx polling (job progress) sends this header; polls do not count as the user being active.
POLL_HEADER = "HTTP_X_ZX_POLL"
LAST_SEEN_KEY = "zx_last_seen"
LAST_SEEN_RESOLUTION = 60  # seconds


class IdleTimeoutMiddleware:
    """Ends a session after ZX_IDLE_MINUTES without a request from the user (polls excluded)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is None:
                request.session[LAST_SEEN_KEY] = last_seen = now
            if now - last_seen > settings.ZX_IDLE_MINUTES * 60 and not self._wall_display_poll(request):
                from zhenxing.accounts.actions import record_login_event
                from zhenxing.accounts.models import LoginEvent

                record_login_event(request, LoginEvent.Kind.TIMEOUT, request.user)
                logout(request)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL) + "?timeout=1"
                    return response
                return redirect(f"{reverse(settings.LOGIN_URL)}?timeout=1&next={request.path}")
            # Refresh at most once a minute: writing the session on every request costs a database
            # write per page, and a minute is well below the idle limit's resolution that matters.
            if not request.META.get(POLL_HEADER) and now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _wall_display_poll(request) -> bool:
        """The 大屏 on the bureau's wall reloads its panel unattended for days: those polls are served
        after the idle limit (they show the user's aggregate figures only, never personal data) but do
        not count as activity, so the first other request of an idle session still ends it."""
        return bool(request.META.get(POLL_HEADER)) and request.path == reverse("reports:dashboard_screen")


class PasswordChangeRequiredMiddleware:
    """Until a user with `must_change_password` sets their own password, every page leads there."""

    ALLOWED = ("accounts:password_change", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.must_change_password:
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect("accounts:password_change")
        return self.get_response(request)
