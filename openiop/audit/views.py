from django.shortcuts import render

from openiop.accounts.models import User
from openiop.audit.forms import AuditSearchForm
from openiop.audit.selectors import CHOICES, audit_patient_lookup, audit_search
from openiop.core.decorators import requires
from openiop.core.pagination import paginate


@requires("audit.view")
def search(request):
    form = AuditSearchForm(request.GET or None)
    events = None
    note = ""
    choices: list = []
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        patient_id = user_id = None
        if data.get("patient"):
            patient_id, choices = audit_patient_lookup(actor=request.user, query=data["patient"])
            if patient_id is None:
                note = "Several patients match: choose one." if choices else "No patient matches."
                patient_id = -1
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
    if choices:
        events = None  # which patient first
    return render(
        request,
        "audit/search.html",
        {
            "form": form,
            "page": events,
            "note": note,
            "choices": choices[:CHOICES],
            "more": len(choices) > CHOICES,
        },
    )
