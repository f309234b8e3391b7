"""Drug and alcohol tests, per substance, and the recovery start date."""

from django.db import transaction

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.measures.models import (
    DrugTest,
    DrugTestOutcome,
    DrugTestResult,
    DrugTestStatus,
    RecoveryReason,
    RecoveryStart,
    Specimen,
    SubstanceResult,
)
from openiop.measures.services.common import check_day, episode_for, require_on_patient
from openiop.measures.vocab import SUBSTANCE_LABELS


def outcome_of(status: str, results: list[dict]) -> tuple[str, list[str]]:
    """The test's overall outcome and the substances found unexpectedly.

    Missed beats everything; then an unexpected positive; then a refusal; then
    a dilute specimen; a test is negative only when every substance is.
    """
    if status == DrugTestStatus.MISSED:
        return DrugTestOutcome.MISSED, []
    positives = [
        r["substance"]
        for r in results
        if r["result"] == SubstanceResult.POSITIVE and not r.get("expected")
    ]
    if positives:
        return DrugTestOutcome.POSITIVE, positives
    found = {r["result"] for r in results}
    if SubstanceResult.REFUSED in found:
        return DrugTestOutcome.REFUSED, []
    if SubstanceResult.DILUTE in found:
        return DrugTestOutcome.DILUTE, []
    return DrugTestOutcome.NEGATIVE, []


def _clean_results(status: str, results) -> list[dict]:
    results = list(results or [])
    if status == DrugTestStatus.MISSED:
        if results:
            raise ApplicationError.for_field("results", "A missed test has no results.")
        return []
    if not results:
        raise ApplicationError.for_field("results", "Give the result for at least one substance.")
    clean, seen = [], set()
    for r in results:
        substance, result = r.get("substance"), r.get("result")
        if substance not in SUBSTANCE_LABELS:
            raise ApplicationError.for_field("results", f"Unknown substance {substance!r}.")
        if substance in seen:
            raise ApplicationError.for_field(
                "results", f"{SUBSTANCE_LABELS[substance]} is listed twice."
            )
        seen.add(substance)
        if result not in SubstanceResult.values:
            raise ApplicationError.for_field(
                "results",
                f"The result for {SUBSTANCE_LABELS[substance]} must be negative, positive, "
                "dilute or refused.",
            )
        expected = bool(r.get("expected"))
        if expected and result != SubstanceResult.POSITIVE:
            expected = False
        clean.append({"substance": substance, "result": result, "expected": expected})
    return clean


def drug_test_record(
    *,
    actor,
    patient,
    collected_on,
    status: str,
    results=(),
    specimen: str = "",
    observed: bool = False,
    note: str = "",
    reset_recovery: bool = False,
    episode=None,
) -> DrugTest:
    """Record a test. With `reset_recovery`, a positive, refused or missed test
    sets the recovery start date to the day of the test."""
    require_on_patient(actor, patient, "drug_test.record")
    episode = episode_for(patient, episode, actor=actor)
    collected_on = check_day(
        "collected_on", collected_on, patient, what="of the test", episode=episode
    )
    if status not in DrugTestStatus.values:
        raise ApplicationError.for_field("status", "Say whether the test was collected or missed.")
    if status == DrugTestStatus.COLLECTED and specimen not in Specimen.values:
        raise ApplicationError.for_field("specimen", "Choose the specimen that was collected.")
    if status == DrugTestStatus.MISSED:
        specimen, observed = "", False
    clean = _clean_results(status, results)
    outcome, positives = outcome_of(status, clean)
    if reset_recovery and outcome not in (
        DrugTestOutcome.POSITIVE,
        DrugTestOutcome.REFUSED,
        DrugTestOutcome.MISSED,
    ):
        raise ApplicationError.for_field(
            "reset_recovery",
            "Only a positive, refused or missed test can reset the recovery start date.",
        )
    note = (note or "").strip()[:500]
    with transaction.atomic():
        test = DrugTest.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            episode=episode,
            collected_on=collected_on,
            specimen=specimen,
            status=status,
            observed=bool(observed),
            outcome=outcome,
            positive_substances=positives,
            resets_recovery=bool(reset_recovery),
            note=note,
            created_by=actor,
        )
        DrugTestResult.objects.bulk_create([DrugTestResult(test=test, **r) for r in clean])
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="drug_test.create",
            obj=test,
            patient=patient,
            changed_fields=["collected_on", "status", "results", "outcome"],
        )
        if reset_recovery:
            reason = (
                RecoveryReason.POSITIVE_TEST
                if outcome == DrugTestOutcome.POSITIVE
                else RecoveryReason.MISSED_TEST
            )
            _recovery_create(actor, patient, collected_on, reason, "", test)
    return test


def recovery_set(*, actor, patient, started_on, reason: str, note: str = "") -> RecoveryStart:
    require_on_patient(actor, patient, "drug_test.record")
    if reason not in RecoveryReason.values:
        raise ApplicationError.for_field("reason", "Choose why the date is set.")
    started_on = check_day("started_on", started_on, patient, what="recovery started")
    with transaction.atomic():
        return _recovery_create(actor, patient, started_on, reason, (note or "").strip(), None)


def _recovery_create(actor, patient, started_on, reason, note, test) -> RecoveryStart:
    row = RecoveryStart.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        started_on=started_on,
        reason=reason,
        note=note[:300],
        drug_test=test,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="recovery_start.set",
        obj=row,
        patient=patient,
        changed_fields=["started_on", "reason"],
    )
    return row
