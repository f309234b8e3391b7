"""The demo carries a measurement history: scores over time, drug tests,
check-ins, acknowledged alerts with their notes and one open alert."""

import pytest

from openiop.demo.demo import build_demo
from openiop.measures.models import CheckIn, DrugTest, MeasureSchedule, Response, SafetyAlert

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_measurement_history_and_one_open_alert():
    assert build_demo(patients=12)
    assert Response.objects.filter(instrument__code="phq9").count() >= 12
    assert Response.objects.filter(instrument__code="auditc").exists()
    assert MeasureSchedule.objects.count() == 8
    assert DrugTest.objects.exists() and CheckIn.objects.exists()
    open_alerts = SafetyAlert.objects.filter(status="open")
    assert open_alerts.count() == 1
    alert = open_alerts.get()
    assert alert.response.source == "patient_link"
    assert alert.recipients.filter(pk=alert.episode.primary_clinician_id).exists()
    closed = SafetyAlert.objects.exclude(status="open")
    assert all(a.acknowledgement_note for a in closed)
