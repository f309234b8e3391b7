"""The safety plan: written with the patient in sections, every saved change a
version, signed per version, a stale edit refused, printable."""

import pytest

from openiop.audit.models import AuditEvent
from openiop.care.plans.safety_models import SafetyPlan
from openiop.care.plans.services.safety import safety_plan_save, safety_plan_sign
from openiop.core.errors import ApplicationError, Conflict, PermissionDenied

SECTIONS = dict(
    warning_signs="Not sleeping\nSkipping group",
    coping="Walk the dog\nShower and music",
    distractions="Coffee with Sam",
    help_contacts="Sam Testperson, sister, 555-0100",
    professionals="Program front desk 555-0199\n988 Suicide and Crisis Lifeline",
    safe_environment="Medicines kept by my sister",
    reasons="My kids",
)


def write(cast, revision=None, **over):
    return safety_plan_save(
        actor=cast.clinician_a, episode=cast.episode_a, revision=revision, **{**SECTIONS, **over}
    )


def test_a_plan_is_written_versioned_and_audited(cast):
    plan = write(cast)
    assert plan.revision == 1 and plan.versions.get().content["coping"].startswith("Walk")
    plan = write(cast, revision=1, coping="Call Sam")
    assert plan.revision == 2 and plan.versions.count() == 2
    assert AuditEvent.objects.filter(event="safety_plan.update").exists()


def test_a_stale_edit_is_refused_like_the_treatment_plan(cast):
    write(cast)
    write(cast, revision=1, coping="Call Sam")
    with pytest.raises(Conflict):
        write(cast, revision=1, coping="Something else")
    assert SafetyPlan.objects.get().coping == "Call Sam"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("warning_signs", ""),
        ("help_contacts", "Sam, my sister"),  # no phone number
        ("professionals", "Program front desk 555-0199"),  # no 988
        ("safe_environment", ""),
    ],
)
def test_a_plan_missing_what_matters_is_refused(cast, field, value):
    with pytest.raises(ApplicationError) as exc:
        write(cast, **{field: value})
    assert field in exc.value.fields
    assert not SafetyPlan.objects.exists()


def test_signatures_belong_to_the_version_they_sign(cast):
    plan = write(cast)
    safety_plan_sign(
        actor=cast.clinician_a,
        plan=plan,
        revision=1,
        role="patient",
        typed_name=cast.patient_a.legal_name,
    )
    safety_plan_sign(actor=cast.clinician_a, plan=plan, revision=1, role="clinician")
    with pytest.raises(Conflict):
        safety_plan_sign(actor=cast.clinician_a, plan=plan, revision=1, role="clinician")
    plan = write(cast, revision=1, coping="Call Sam")
    assert not plan.versions.get(number=2).signatures.exists()
    with pytest.raises(Conflict):  # signed what was read, not what is there now
        safety_plan_sign(actor=cast.clinician_a, plan=plan, revision=1, role="clinician")
    with pytest.raises(ApplicationError):
        safety_plan_sign(
            actor=cast.clinician_a, plan=plan, revision=2, role="patient", typed_name="Someone"
        )


def test_billing_may_not_sign_as_the_clinician(cast):
    plan = write(cast)
    with pytest.raises(PermissionDenied):
        safety_plan_sign(actor=cast.readonly_a, plan=plan, revision=1, role="clinician")


def test_the_page_the_print_and_the_chart_link(cast):
    client = cast.client("clinician_a")
    page = client.get(f"/care/episodes/{cast.episode_a.uuid}/safety-plan/")
    assert page.status_code == 200 and b"988" in page.content  # the first draft offers it
    response = client.post(
        f"/care/episodes/{cast.episode_a.uuid}/safety-plan/", {**SECTIONS, "revision": ""}
    )
    assert response.status_code == 302
    printed = client.get(f"/care/episodes/{cast.episode_a.uuid}/safety-plan/print/")
    assert b"Walk the dog" in printed.content and b"988" in printed.content
    chart = client.get(f"/patients/{cast.patient_a.uuid}/")
    assert b"Safety plan (version 1)" in chart.content


def test_acknowledging_a_safety_alert_offers_the_safety_plan(cast):
    from openiop.measures.models import Instrument, SafetyAlert
    from openiop.measures.services import response_record

    response_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
        answers=[0] * 8 + [2],
    )
    alert = SafetyAlert.objects.get()
    client = cast.client("clinician_a")
    page = client.get(f"/measures/alerts/{alert.uuid}/")
    assert b"then start or review the safety plan" in page.content
    done = client.post(
        f"/measures/alerts/{alert.uuid}/",
        {"note": "Called; safe tonight (synthetic).", "then": "safety_plan"},
    )
    assert done["Location"] == f"/care/episodes/{cast.episode_a.uuid}/safety-plan/"
