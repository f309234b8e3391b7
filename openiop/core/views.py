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


def csrf_failure(request, reason=""):
    """A form sent with an expired or missing security token (an old tab, cookies
    cleared). On a patient's page, say plainly that nothing was sent, with 988
    and 911; elsewhere, ask to reload."""
    patient_page = request.path.startswith(("/m/", "/measures/me/"))
    return render(request, "403_csrf.html", {"patient_page": patient_page}, status=403)
