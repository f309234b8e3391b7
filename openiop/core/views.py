from django.http import HttpResponse
from django.shortcuts import render

from openiop.core.decorators import login_only, public
from openiop.core.selectors import dashboard_for


@public
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_only
def dashboard(request):
    return render(request, "core/dashboard.html", dashboard_for(request.user))
