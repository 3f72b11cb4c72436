from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from zhenxing import todo
from zhenxing.jobs.models import Job


@login_required
def home(request):
    context = {
        "todos": todo.items_for(request.user),
        "jobs": Job.objects.visible_to(request.user).unfinished()[:10],
    }
    return render(request, "home.html", context)


@never_cache
def healthz(request):
    """200 when the database answers, 503 otherwise (for load balancers and monitoring)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
