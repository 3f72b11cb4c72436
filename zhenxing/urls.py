from django.urls import include, path

from zhenxing import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("zhenxing.accounts.urls")),
    path("areas/", include("zhenxing.areas.urls")),
    path("audit/", include("zhenxing.audit.urls")),
    path("policy/", include("zhenxing.policy.urls")),
    path("jobs/", include("zhenxing.jobs.urls")),
    path("files/", include("zhenxing.attachments.urls")),
    path("registry/", include("zhenxing.registry.urls")),
    path("imports/", include("zhenxing.registry.import_urls")),
    path("cases/", include("zhenxing.cases.urls")),
    path("screening/", include("zhenxing.screening.urls")),
    path("api/v1/", include("zhenxing.screening.api_urls")),
    path("funds/", include("zhenxing.funds.urls")),
    path("reports/", include("zhenxing.reports.urls")),
]
