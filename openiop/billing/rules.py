"""Which rule of a payer applies to a program: its level of care and focus, a
rule for the exact focus first, then the payer's rule for every focus."""

from openiop.billing.models import BillingRule


def rule_for(rules, program):
    """From `rules` (the payer's BillingRule rows), the one for `program`, or None."""
    exact = generic = None
    for r in rules:
        if r.level_of_care != program.level_of_care:
            continue
        if r.focus == program.focus:
            exact = r
        elif not r.focus:
            generic = r
    return exact or generic


def rules_by_payer(organization_id) -> dict[int, list[BillingRule]]:
    """Every rule of the organization with its services, by payer id (one or two queries)."""
    out: dict[int, list[BillingRule]] = {}
    rows = BillingRule.objects.filter(organization_id=organization_id).prefetch_related("services")
    for r in rows:
        out.setdefault(r.payer_id, []).append(r)
    return out
