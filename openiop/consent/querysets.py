"""`visible_to` for consents, disclosures and recipients."""

from openiop.access.querysets import OrganizationRowQuerySet, PatientRowQuerySet


class ConsentQuerySet(PatientRowQuerySet):
    resource = "consent"


class DisclosureQuerySet(PatientRowQuerySet):
    resource = "disclosure"

    def update(self, **kwargs):
        raise TypeError("The accounting of disclosures is append-only.")

    def delete(self):
        raise TypeError("The accounting of disclosures is append-only.")


class RecipientQuerySet(OrganizationRowQuerySet):
    """Recipients belong to an organization; a program-scoped role sees its organization's."""

    resource = "recipient"
