from openiop.access.scope import can


def navigation(request):
    """Menu entries the signed-in user may use (and only those)."""
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or getattr(request, "second_factor_pending", False)
    ):
        return {"nav": []}
    entries = [
        ("core:dashboard", "Dashboard", None),
        ("patients:search", "Patients", "patient.view"),
        ("care:caseload", "Caseload", "caseload.view"),
        ("care:census", "Census", "census.view"),
        ("plans:reviews_due", "Plan reviews", "plan.review"),
        ("plans:templates", "Plan library", "plantemplate.view"),
        ("measures:due", "Measures", "measure.view"),
        ("scheduling:week", "Schedule", "schedule.view"),
        ("outcomes:programs", "Outcomes", "outcomes.view"),
        ("billing:worklist", "Billing", "billing.view"),
        ("billing:payers", "Payers", "payer.view"),
        ("organizations:programs", "Programs", "program.view"),
        ("organizations:staff", "Staff", "staff.view"),
        ("directory:manage", "Finder listing", "directory.wait_time"),
        ("audit:search", "Audit log", "audit.view"),
        ("consent:recipients", "Recipients", "recipient.manage"),
        ("interop:exports", "FHIR exchange", "fhir.export"),
    ]
    return {
        "nav": [(url, label) for url, label, perm in entries if perm is None or can(user, perm)]
    }
