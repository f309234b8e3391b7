"""Who is reading through the FHIR API, and what they may read.

A staff member reads what `visible_to` gives them, like everywhere else. An
external recipient's system (a token issued to an ExternalRecipient) is a
party outside the program: it reads only patients whose active Part 2 consent
reaches it, only the information consented to, and every read is a
disclosure (accounting entry, `disclose` audit event, the Part 2 notice).
"""

from dataclasses import dataclass

from django.utils import timezone

from openiop.access.scope import can, grant, scope_for
from openiop.consent.models import Part2Consent
from openiop.consent.services import covering_consents, recipient_of
from openiop.interop.selectors import ALL, Scope
from openiop.patients.models import Patient

# permission a staff member needs per resource type
PERMISSION = {
    "Patient": "patient.view",
    "RelatedPerson": "patient.view",
    "EpisodeOfCare": "episode.view",
    "Condition": "plan.view",
    "CarePlan": "plan.view",
    "Goal": "plan.view",
    "Consent": "consent.view",
    "QuestionnaireResponse": "measure.view",
    "Observation": "measure.view",
    "Appointment": "episode.view",
    "Encounter": "episode.view",
    "Practitioner": "program.view",
    "Organization": "program.view",
    "Location": "site.view",
    "HealthcareService": "program.view",
    "AuditEvent": "audit.view",
}
CATEGORY_PERMISSION = {
    "diagnoses": "plan.view",
    "plan": "plan.view",
    "scores": "measure.view",
    "attendance": "episode.view",
    "discharge_summary": "plan.view",
}


@dataclass
class Reader:
    user: object
    recipient: object = None  # an ExternalRecipient: a party outside the program

    @property
    def external(self) -> bool:
        return self.recipient is not None

    def may(self, resource_type: str) -> bool:
        if self.external:
            return resource_type != "AuditEvent"
        return can(self.user, PERMISSION[resource_type])

    def organization_ids(self) -> set[int]:
        if self.external:
            return {self.recipient.organization_id}
        return set(scope_for(self.user).organization_ids)

    # patients ---------------------------------------------------------------

    def patients(self):
        """Patients this reader may read at all."""
        if self.external:
            today = timezone.localdate()
            ids = Part2Consent.objects.none()
            from django.db.models import Q

            reach = Q(recipient_scope="named", recipient=self.recipient)
            if self.recipient.tpo_eligible:
                reach |= Q(recipient_scope="tpo")
            ids = (
                Part2Consent.objects.filter(organization_id=self.recipient.organization_id)
                .filter(reach, status="active")
                .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
                .values("patient_id")
            )
            return Patient.objects.filter(pk__in=ids)
        return Patient.objects.visible_to(self.user, "view")

    def scope_for_patient(self, patient) -> tuple[Scope, object]:
        """(what of the patient's record this reader may read, the consent it rests on)."""
        if self.external:
            consents = list(covering_consents(patient_id=patient.pk, recipient=self.recipient))
            if not consents:
                return Scope(categories=frozenset(), consents=False), None
            programs = {c.program_id for c in consents}
            if len(programs) == 1:
                cats = frozenset().union(*(set(c.categories) for c in consents))
                chosen = consents[0]
                program = next(iter(programs))
            else:  # different programs: the widest single consent, never a mix
                chosen = max(consents, key=lambda c: len(c.categories))
                cats, program = frozenset(chosen.categories), chosen.program_id
            cats = cats & ALL
            return (
                Scope(
                    categories=cats,
                    program_ids=frozenset([program]) if program else None,
                    consents=False,
                ),
                chosen,
            )
        g = grant(self.user, "episode.view")
        program_ids = None if patient.organization_id in g.organization_ids else g.program_ids
        cats = {"demographics"} | {
            c for c, perm in CATEGORY_PERMISSION.items() if can(self.user, perm)
        }
        return (
            Scope(
                categories=frozenset(cats) & ALL,
                program_ids=frozenset(program_ids) if program_ids is not None else None,
                consents=can(self.user, "consent.view"),
            ),
            None,
        )


def reader_for(user) -> Reader:
    return Reader(user=user, recipient=recipient_of(user))
