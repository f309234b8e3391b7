"""The demo's billing: payers with rules for every program, authorizations
about to run out, held days for many reasons, ready days, billed days with
their charges and a day written off."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.audit.services import audit_verify
from openiop.billing.day_models import BillingDay, Charge, DayStatus
from openiop.billing.models import Authorization, BillingProfile, Certification, Payer
from openiop.billing.rules import rule_for
from openiop.billing.selectors import authorization_used
from openiop.demo.demo import build_demo
from openiop.demo.names import PAYERS
from openiop.organizations.models import Program
from openiop.patients.models import Coverage

pytestmark = pytest.mark.django_db


def test_the_demo_has_payers_authorizations_running_out_and_held_days_of_many_kinds():
    assert build_demo(patients=36)
    today = timezone.localdate()
    assert BillingProfile.objects.get().bill_type == "76X"
    payers = list(Payer.objects.prefetch_related("rules__services"))
    assert sorted(p.name for p in payers) == sorted(name for _kind, name in PAYERS)
    for payer in payers:
        for program in Program.objects.all():
            assert rule_for(list(payer.rules.all()), program) is not None, (payer, program)
    assert not Coverage.objects.filter(payer__isnull=True).exists()
    # every payer but self-pay is linked to its Part 2 recipient (review packets go there)
    for payer in payers:
        if payer.kind == "self_pay":
            assert payer.recipient_id is None
        else:
            assert (payer.recipient.name, payer.recipient.kind) == (payer.name, "payer")

    approved = Authorization.objects.filter(status="approved")
    assert Authorization.objects.filter(status="requested").exists()
    used = authorization_used(approved.values_list("pk", flat=True))
    running_out = [
        a
        for a in approved
        if used.get(a.pk, 0) >= 0.8 * a.units or a.ends_on <= today + dt.timedelta(days=7)
    ]
    assert len(running_out) >= 2
    assert Certification.objects.filter(status="signed").exists()

    held = BillingDay.objects.filter(status=DayStatus.HELD)
    reasons = {code for row in held.values_list("held_for", flat=True) for code in row.split(",")}
    reasons.discard("")
    assert len(reasons) >= 5, reasons
    assert {"notes", "minutes", "authorization"} <= reasons
    assert BillingDay.objects.filter(status=DayStatus.READY).exists()
    billed = BillingDay.objects.filter(status=DayStatus.BILLED)
    assert billed.exists()
    assert Charge.objects.filter(day__in=billed).count() >= billed.count()
    assert not billed.filter(date__gt=today - dt.timedelta(days=10)).exists()
    off = BillingDay.objects.get(status=DayStatus.WRITTEN_OFF)
    assert off.written_off_reason
    assert audit_verify().ok
