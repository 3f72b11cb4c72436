"""Screens of department screening. Feeds: `views/feeds.py`; runs, warnings and rules: `views/warnings.py`."""

from zhenxing.screening.views import feeds, warnings

app_name = "screening"
urlpatterns = [*feeds.urlpatterns, *warnings.urlpatterns]
