"""`visible_to` for consents, disclosures and recipients."""

from django.db.models import Exists, OuterRef, Q

from openiop.access.querysets import ScopedQuerySet


def _patient_scope(g, patient_field: str = "patient") -> Q:
    from openiop.care.models import Episode

    in_program = Exists(
        Episode.objects.filter(
            patient=OuterRef(f"{patient_field}_id"), program_id__in=g.program_ids
        )
    )
    return Q(organization_id__in=g.organization_ids) | Q(in_program)


class ConsentQuerySet(ScopedQuerySet):
    resource = "consent"

    def scope_q(self, g) -> Q:
        return _patient_scope(g)


class DisclosureQuerySet(ScopedQuerySet):
    resource = "disclosure"

    def scope_q(self, g) -> Q:
        return _patient_scope(g)

    def update(self, **kwargs):
        raise TypeError("The accounting of disclosures is append-only.")

    def delete(self):
        raise TypeError("The accounting of disclosures is append-only.")


class RecipientQuerySet(ScopedQuerySet):
    """Recipients belong to an organization; a program-scoped role sees its organization's."""

    resource = "recipient"

    def scope_q(self, g) -> Q:
        from openiop.organizations.models import Program

        orgs = set(g.organization_ids) | set(
            Program.objects.filter(id__in=g.program_ids).values_list("organization_id", flat=True)
        )
        return Q(organization_id__in=orgs)
