"""Scoped reads of the billing rows (the kinds are in `access.querysets`)."""

from openiop.access.querysets import (
    OrganizationRowQuerySet,
    PatientRowQuerySet,
    ProgramRowQuerySet,
)


class PayerQuerySet(OrganizationRowQuerySet):
    resource = "payer"


class RuleQuerySet(OrganizationRowQuerySet):
    resource = "payer"


class AuthorizationQuerySet(PatientRowQuerySet):
    resource = "authorization"


class CertificationQuerySet(PatientRowQuerySet):
    resource = "certification"


class BillingDayQuerySet(ProgramRowQuerySet):
    resource = "billing"


class ChargeQuerySet(ProgramRowQuerySet):
    resource = "billing"
