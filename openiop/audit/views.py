from django.shortcuts import render

from openiop.access.scope import grant
from openiop.accounts.models import User
from openiop.audit.forms import AuditSearchForm
from openiop.audit.selectors import audit_search
from openiop.core.decorators import requires
from openiop.core.pagination import paginate
from openiop.patients.models import Patient


@requires("audit.view")
def search(request):
    form = AuditSearchForm(request.GET or None)
    events = None
    note = ""
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        orgs = grant(request.user, "audit.view").organization_ids
        patient_id = user_id = None
        if data.get("patient"):
            p = Patient.objects.filter(
                organization_id__in=orgs, mrn__iexact=data["patient"]
            ).first()
            patient_id = p.pk if p else -1
            note = "" if p else "No patient has that MRN."
        if data.get("user"):
            u = User.objects.filter(username__iexact=data["user"]).first()
            user_id = u.pk if u else -1
            note = note or ("" if u else "No user has that username.")
        events = paginate(
            request,
            audit_search(
                actor=request.user,
                patient_id=patient_id,
                user_id=user_id,
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                outcome=data.get("outcome", ""),
            ),
            per_page=50,
        )
    return render(request, "audit/search.html", {"form": form, "page": events, "note": note})
