"""Who is reading through the FHIR API, and the one gate every patient read passes.

`Reader.open(patient_id, categories)` is the gate: a read, a search of one
patient's records, a page of them and `Patient/$everything` all call it, per
patient and per kind of information, and get back the patient, what of the
record may be loaded (`Scope`) and, for an outside party, the consent the
disclosure rests on. The patient search and the bulk export decide many
patients at once with the same rules (`Reader.patients`, `staff_scope`).

- Staff read where their role reaches the patient, decided per program
  (`access.scope.covers_patient`): a clinician in program A who does billing in
  program B reads B's patients as billing does.
- An external recipient's system (a token issued to an ExternalRecipient) reads
  only what an active Part 2 consent covers (`consent.gate`); a patient of whom
  no consent reaches it does not exist for it (404, 42 CFR 2.13(c)).

Refusals are audited either way.
"""

from dataclasses import dataclass

from openiop.access.scope import covers_patient, grant, scope_for
from openiop.audit.services import audit_denied
from openiop.consent.gate import DisclosureRefused, disclosable, disclosure_check
from openiop.consent.models import SHORT_LABELS, Channel, Information, Part2Consent
from openiop.consent.recipients import recipient_of
from openiop.consent.services import disclosure_refused_audit
from openiop.core.errors import NotFound, PermissionDenied
from openiop.interop.fhir.record import CATEGORY_OF
from openiop.interop.selectors import ALL, Scope
from openiop.patients.models import Patient

# what a staff member needs, per kind of information, where the patient is
CATEGORY_PERMISSION = {
    Information.DEMOGRAPHICS: "patient.view",
    Information.DIAGNOSES: "diagnosis.view",
    Information.PLAN: "plan.view",
    Information.SCORES: "measure.view",
    Information.ATTENDANCE: "attendance.view",
    Information.DISCHARGE_SUMMARY: "plan.view",
}
# resource types that are not patient data
OTHER_PERMISSION = {
    "Consent": "consent.view",
    "Practitioner": "program.view",
    "Organization": "program.view",
    "Location": "site.view",
    "HealthcareService": "program.view",
    "Group": "program.view",
    "AuditEvent": "audit.view",
}


def type_permission(resource_type: str) -> str:
    if resource_type in OTHER_PERMISSION:
        return OTHER_PERMISSION[resource_type]
    return CATEGORY_PERMISSION[CATEGORY_OF.get(resource_type, Information.DEMOGRAPHICS)]


# Kinds of information that belong to an episode (as on the pages and the API:
# `care.plans.querysets`): read only from episodes of the programs where the
# permission is held. Scores and attendance are about the patient and follow
# the episodes the reader sees.
EPISODE_ROWS = {Information.DIAGNOSES, Information.PLAN, Information.DISCHARGE_SUMMARY}


def staff_scope(actor, patient) -> Scope:
    """What of this patient's record a staff member may read, decided per
    permission where the patient is. Episodes: those of the programs where the
    actor's role reaches them (all, with an organization-wide role)."""
    categories = {
        c for c, perm in CATEGORY_PERMISSION.items() if covers_patient(actor, perm, patient)
    }
    limits = []
    for category in sorted(categories & EPISODE_ROWS):
        programs = _programs(actor, CATEGORY_PERMISSION[category], patient)
        if programs is not None:
            limits.append((category, programs))
    return Scope(
        categories=frozenset(categories) & ALL,
        program_ids=_programs(actor, "episode.view", patient),
        consents=covers_patient(actor, "consent.view", patient),
        limits=tuple(limits),
    )


def _programs(actor, permission: str, patient) -> frozenset | None:
    """The programs whose episodes of this patient the permission reads (None: all)."""
    g = grant(actor, permission)
    return None if patient.organization_id in g.organization_ids else frozenset(g.program_ids)


def consent_scope(consent: Part2Consent) -> Scope:
    """What a consent lets go out: its information, from its program only."""
    return Scope(
        categories=frozenset(consent.categories) & ALL,
        program_ids=frozenset([consent.program_id]) if consent.program_id else None,
        consents=False,
    )


# what an outside party is told when its consent no longer allows a read
OUTSIDE_WORDS = {
    "revoked": "The patient revoked the consent this disclosure would rest on.",
    "expired": "The consent this disclosure would rest on has expired.",
}


@dataclass(frozen=True)
class Opened:
    """A patient the gate let through: what may be loaded, and (outside) the consent."""

    patient: Patient
    scope: Scope
    consent: Part2Consent | None = None


@dataclass
class Reader:
    user: object
    recipient: object = None  # an ExternalRecipient: a party outside the program

    @property
    def external(self) -> bool:
        return self.recipient is not None

    def may(self, resource_type: str) -> bool:
        """Whether this reader may ask for the type at all (the gate decides per patient)."""
        if self.external:
            return resource_type not in ("AuditEvent", "Group")
        return bool(grant(self.user, type_permission(resource_type)))

    def organization_ids(self) -> set[int]:
        if self.external:
            return {self.recipient.organization_id}
        return set(scope_for(self.user).organization_ids)

    # the gate -------------------------------------------------------------------

    def open(self, patient_id: int, categories) -> Opened:
        """The patient, if this reader may have `categories` of their record;
        NotFound (out of reach, or unknown to an outside party) or
        PermissionDenied / DisclosureRefused otherwise, each audited."""
        categories = list(dict.fromkeys([Information.DEMOGRAPHICS, *categories]))
        patient = (
            Patient.objects.filter(pk=patient_id, organization_id__in=self.organization_ids())
            .select_related("organization")
            .first()
        )
        if patient is None:
            raise NotFound("Not found, or not yours to see.")
        if self.external:
            return self._open_outside(patient, categories)
        if not covers_patient(self.user, "patient.view", patient):
            audit_denied(actor=self.user, event="fhir.patient", patient=patient)
            raise NotFound("Not found, or not yours to see.")
        scope = staff_scope(self.user, patient)
        missing = [c for c in categories if c not in scope.categories]
        if missing:
            audit_denied(actor=self.user, event=f"fhir.{missing[0]}", patient=patient)
            labels = ", ".join(SHORT_LABELS.get(c, c) for c in missing)
            raise PermissionDenied(f"Your role does not let you read this patient's {labels}.")
        return Opened(patient=patient, scope=scope)

    def _open_outside(self, patient, categories) -> Opened:
        try:
            consent = disclosure_check(
                patient=patient, recipient=self.recipient, categories=categories
            )
        except DisclosureRefused as exc:
            disclosure_refused_audit(
                actor=self.user,
                patient=patient,
                recipient=self.recipient,
                reason_code=exc.reason,
                channel=Channel.FHIR_API,
            )
            if exc.reason == "no_consent":
                raise NotFound("Not found, or not yours to see.") from None
            if exc.reason in OUTSIDE_WORDS:
                # the dates of a revocation, an expiry or a discharge are new facts
                # about the patient: the reason without them (staff see them all)
                raise DisclosureRefused(OUTSIDE_WORDS[exc.reason], reason=exc.reason) from None
            raise
        return Opened(patient=patient, scope=consent_scope(consent), consent=consent)

    def patients(self):
        """Patients this reader may be told about (the base of the patient search)."""
        if self.external:
            return Patient.objects.filter(pk__in=list(self.consents_by_patient()))
        return Patient.objects.visible_to(self.user, "view")

    def consents_by_patient(self) -> dict[int, Part2Consent]:
        """Outside parties: patient id -> the consent their identity goes out under."""
        if not hasattr(self, "_consents"):
            self._consents = disclosable(
                recipient=self.recipient, categories=[Information.DEMOGRAPHICS]
            )
        return self._consents


def reader_for(user) -> Reader:
    return Reader(user=user, recipient=recipient_of(user))
