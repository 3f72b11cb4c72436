"""Reports: dashboards and the map (`dashboards/`), statutory exports (`statutory/`), leaflets (`leaflets/`)."""

from zhenxing.reports.dashboards import urls as dashboards
from zhenxing.reports.leaflets import urls as leaflets
from zhenxing.reports.statutory import urls as statutory

app_name = "reports"
urlpatterns = [*dashboards.urlpatterns, *statutory.urlpatterns, *leaflets.urlpatterns]
