"""`/api/v1/`: token-authenticated endpoints for department systems, and the OpenAPI document."""

from zhenxing.screening.views import api

app_name = "api"
urlpatterns = api.urlpatterns
