"""Payers and their rule sets as data: a valid set, every refusal writing
nothing, the templates, scope, audit, the billing profile, the coverage link."""

import re

import pytest

from openiop.audit.models import AuditEvent
from openiop.billing import rule_templates
from openiop.billing.models import BillingProfile, BillingRule, Payer, RuleService
from openiop.billing.services.payers import (
    billing_profile_set,
    organization_combos,
    payer_create,
    payer_update,
    rules_as_data,
    rules_set,
)
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.patients.services import coverage_add
from openiop.scheduling.services.types import session_types_ensure
from tests.factories import OrganizationFactory, ProgramFactory, staff


@pytest.fixture
def biller(cast):
    session_types_ensure(cast.org)
    return staff("billing", organization=cast.org, username="billing.org")


@pytest.fixture
def commercial(cast, biller):
    return payer_create(actor=biller, organization=cast.org, name="Acme Health", kind="commercial")


@pytest.fixture
def medicare(cast, biller):
    return payer_create(
        actor=biller,
        organization=cast.org,
        name="Medicare Part A",
        kind="medicare",
        payer_id="04111",
    )


def template(name, org):
    return rule_templates.template_rules(name, organization_combos(org.pk))


def snapshot(payer):
    return (
        rules_as_data(payer),
        list(BillingRule.objects.filter(payer=payer).values_list("pk", "updated_at")),
        RuleService.objects.filter(rule__payer=payer).count(),
        AuditEvent.objects.count(),
    )


def test_a_full_valid_rule_set_is_written_with_its_services_and_audited(cast, biller, commercial):
    before = AuditEvent.objects.count()
    [rule] = rules_set(
        actor=biller, payer=commercial, rules=template("commercial_sud_h0015", cast.org)
    )
    assert (rule.level_of_care, rule.focus, rule.method) == ("2.1", "substance_use", "per_diem")
    assert (rule.per_diem_code, rule.revenue_code) == ("H0015", "0906")
    assert (rule.min_minutes_per_day, rule.min_days_per_week) == (180, 3)
    assert rule.requires_authorization and not rule.requires_certification
    assert rule.recertification_days is None
    services = {s.session_type.code: s for s in rule.services.select_related("session_type")}
    assert services["group_therapy"].code == "90853"
    assert services["individual_therapy"].code == "90834"
    assert services["family_therapy"].code == "90847"
    assert services["medication_management"].code == "99213"
    assert services["psychoeducation"].counts and services["psychoeducation"].code == ""
    assert not services["drug_testing"].counts
    event = AuditEvent.objects.filter(event="payer.rules_set").get()
    assert event.organization_id == cast.org.pk and event.detail["created"] == ["2.1/substance_use"]
    assert AuditEvent.objects.count() == before + 1


def test_a_rule_kept_keeps_its_row_and_a_rule_left_out_goes(cast, biller, commercial):
    rules = template("commercial_sud_h0015", cast.org)
    extra = {**rules[0], "focus": "mental_health", "per_diem_code": "S9480"}
    rules_set(actor=biller, payer=commercial, rules=[*rules, extra])
    kept = BillingRule.objects.get(payer=commercial, focus="substance_use")
    rules[0]["min_minutes_per_day"] = 240
    rules_set(actor=biller, payer=commercial, rules=rules)
    assert list(BillingRule.objects.filter(payer=commercial)) == [kept]
    kept.refresh_from_db()
    assert kept.min_minutes_per_day == 240
    detail = AuditEvent.objects.filter(event="payer.rules_set").latest("id").detail
    assert detail["changed"] == ["2.1/substance_use"]
    assert detail["removed"] == ["2.1/mental_health"]


def test_certification_without_an_interval_recertifies_every_60_days(cast, biller, commercial):
    rules = template("commercial_sud_h0015", cast.org)
    rules[0].update(requires_certification=True, recertification_days=None)
    [rule] = rules_set(actor=biller, payer=commercial, rules=rules)
    assert rule.recertification_days == 60


def _gap(cast, rules):
    ProgramFactory(organization=cast.org, site=cast.program_a.site, name="Mood Program",
                   focus="mental_health")  # fmt: skip
    return rules


def _edit(**changes):
    def change(cast, rules):
        rules[0].update(changes)
        return rules

    return change


def _service(code_of_type, **changes):
    def change(cast, rules):
        for s in rules[0]["services"]:
            if s["session_type"] == code_of_type:
                s.update(changes)
        return rules

    return change


def _twice(cast, rules):
    return [rules[0], dict(rules[0])]


REFUSALS = [
    # (payer fixture, template, change, field, words in the message)
    ("commercial", "commercial_sud_h0015", _gap, "rules", "Mood Program"),
    ("commercial", "commercial_sud_h0015", _edit(per_diem_code="H00-15"), "rules.0.per_diem_code",
     "letters and digits"),
    ("commercial", "commercial_sud_h0015", _edit(condition_code="9 2"), "rules.0.condition_code",
     "letters and digits"),
    ("commercial", "commercial_sud_h0015", _service("group_therapy", code="90853;"),
     "rules.0.services.group_therapy.code", "letters and digits"),
    ("commercial", "commercial_sud_h0015", _edit(revenue_code="905"), "rules.0.revenue_code",
     "4 digits"),
    ("commercial", "commercial_sud_h0015", _edit(per_diem_code=""), "rules.0.per_diem_code",
     "per-diem code"),
    ("commercial", "commercial_sud_h0015", _edit(method="per_service"),
     "rules.0.services.psychoeducation.code", "enter its code"),
    ("commercial", "commercial_sud_h0015", _twice, "rules.1.focus", "Two rules"),
    ("commercial", "commercial_sud_h0015", _edit(min_days_per_week=8), "rules.0.min_days_per_week",
     "between 0 and 7"),
    ("commercial", "commercial_sud_h0015", _edit(per_diem_rate="-5"), "rules.0.per_diem_rate",
     "not negative"),
    ("medicare", "medicare_iop", _edit(condition_code=""), "rules.0.condition_code", "92"),
    ("medicare", "medicare_iop", _edit(condition_code="41"), "rules.0.condition_code", "92"),
    ("medicare", "medicare_iop", _edit(requires_certification=False),
     "rules.0.requires_certification", "certification"),
    ("medicare", "medicare_iop", _edit(method="per_diem", per_diem_code="S9480"),
     "rules.0.per_diem_code", "not a Medicare code"),
    ("medicare", "medicare_iop", _service("group_therapy", code="S9480"), "rules.0.services",
     "not a Medicare code"),
    ("medicare", "commercial_psych_s9480", lambda cast, rules: rules, "rules.0.per_diem_code",
     "not a Medicare code"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("which", "name", "change", "field", "words"),
    REFUSALS,
    ids=[f"{r[1]}-{r[3]}-{i}" for i, r in enumerate(REFUSALS)],
)
def test_each_refusal_names_the_field_and_changes_nothing(
    request, cast, biller, which, name, change, field, words
):
    payer = request.getfixturevalue(which)
    good = "medicare_iop" if payer.is_medicare else "commercial_sud_h0015"
    rules_set(actor=biller, payer=payer, rules=template(good, cast.org))
    before = snapshot(payer)
    with pytest.raises(ApplicationError) as exc:
        rules_set(actor=biller, payer=payer, rules=change(cast, template(name, cast.org)))
    assert field in exc.value.fields, exc.value.fields
    assert words in exc.value.message
    assert snapshot(payer) == before


def test_a_generic_rule_covers_every_focus_of_its_level(cast, biller, commercial):
    ProgramFactory(organization=cast.org, site=cast.program_a.site, focus="mental_health")
    rules = template("self_pay", cast.org)
    assert {r["per_diem_code"] for r in rules} == {"H0015", "S9480"}
    rules_set(actor=biller, payer=commercial, rules=rules)
    generic = {**template("commercial_sud_h0015", cast.org)[0], "focus": ""}
    [rule] = rules_set(actor=biller, payer=commercial, rules=[generic])
    assert rule.focus == ""


@pytest.mark.parametrize("name", sorted(rule_templates.TEMPLATES))
def test_every_template_loads_for_its_payer_and_stores_codes_only(cast, biller, name):
    kind = (
        "medicare" if name == "medicare_iop" else "self_pay" if name == "self_pay" else "commercial"
    )
    payer = payer_create(actor=biller, organization=cast.org, name=name, kind=kind)
    ProgramFactory(organization=cast.org, site=cast.program_a.site, focus="mental_health")
    ProgramFactory(organization=cast.org, site=cast.program_a.site, level_of_care="2.5")
    rules = rules_set(actor=biller, payer=payer, rules=template(name, cast.org))
    assert len(rules) == len(organization_combos(cast.org.pk)) == 3
    codes = re.compile(r"^[A-Z0-9]{0,5}$")
    for rule in BillingRule.objects.filter(payer=payer).prefetch_related("services"):
        assert codes.match(rule.per_diem_code) and codes.match(rule.condition_code)
        assert all(codes.match(s.code) for s in rule.services.all())


def test_the_medicare_template_is_the_medicare_iop_benefit(cast, biller, medicare):
    [rule] = rules_set(actor=biller, payer=medicare, rules=template("medicare_iop", cast.org))
    assert rule.method == "per_service" and rule.condition_code == "92"
    assert rule.requires_certification and rule.recertification_days == 60
    # program A is a substance use program: 0906, chemical dependency IOP (DOMAIN.md)
    assert (rule.min_services_per_day, rule.revenue_code) == (3, "0906")
    group = rule.services.get(session_type__code="group_therapy")
    assert group.code == "G0410" and group.counts


def test_payer_names_are_unique_per_organization_and_ids_are_plain(cast, biller, commercial):
    with pytest.raises(ApplicationError) as exc:
        payer_create(actor=biller, organization=cast.org, name=" acme  HEALTH", kind="commercial")
    assert "name" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        payer_create(actor=biller, organization=cast.org, name="B", kind="x")
    assert "kind" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        payer_create(actor=biller, organization=cast.org, name="B", kind="medicaid", payer_id="1 2")
    assert "payer_id" in exc.value.fields
    other = OrganizationFactory()
    admin_b = staff("administrator", organization=other)
    payer_create(actor=admin_b, organization=other, name="Acme Health", kind="commercial")
    assert Payer.objects.filter(name="Acme Health").count() == 2


def test_a_payer_cannot_become_medicare_while_its_rules_say_s9480(cast, biller):
    payer = payer_create(actor=biller, organization=cast.org, name="Mind Plan", kind="commercial")
    rules_set(actor=biller, payer=payer, rules=template("commercial_psych_s9480", cast.org))
    with pytest.raises(ApplicationError) as exc:
        payer_update(actor=biller, payer=payer, kind="medicare")
    assert "kind" in exc.value.fields
    payer.refresh_from_db()
    assert payer.kind == "commercial"
    payer_update(actor=biller, payer=payer, name="Mind Plan PPO")
    assert AuditEvent.objects.filter(event="payer.update").get().changed_fields == ["name"]


def test_a_payer_is_linked_to_one_of_the_organizations_payer_recipients(cast, biller):
    from openiop.consent.models import ExternalRecipient

    def rcpt(name, kind="payer", org=None, active=True):
        return ExternalRecipient.objects.create(
            organization=org or cast.org, name=name, kind=kind, is_active=active
        )

    acme = rcpt("Acme Health (recipient)")
    payer = payer_create(
        actor=biller, organization=cast.org, name="Acme Health", kind="commercial", recipient=acme
    )
    assert payer.recipient == acme
    assert "recipient" in AuditEvent.objects.get(event="payer.create").changed_fields
    refused = (
        rcpt("Elsewhere Plan", org=OrganizationFactory()),  # another organization's
        rcpt("Riverbend Clinic", kind="provider"),  # not a payer
        rcpt("Dormant Plan", active=False),  # deactivated
    )
    for bad in refused:
        with pytest.raises(ApplicationError) as exc:
            payer_create(
                actor=biller, organization=cast.org, name="New Plan", kind="commercial",
                recipient=bad,
            )  # fmt: skip
        assert "recipient" in exc.value.fields
        with pytest.raises(ApplicationError) as exc:
            payer_update(actor=biller, payer=payer, recipient=bad)
        assert "recipient" in exc.value.fields
    assert not Payer.objects.filter(name="New Plan").exists()
    assert Payer.objects.get(pk=payer.pk).recipient == acme
    assert not AuditEvent.objects.filter(event="payer.update").exists()
    # a recipient deactivated since stays linked when the payer is edited
    ExternalRecipient.objects.filter(pk=acme.pk).update(is_active=False)
    payer.refresh_from_db()
    payer_update(actor=biller, payer=payer, payer_id="ACME1")
    assert Payer.objects.get(pk=payer.pk).recipient_id == acme.pk
    payer_update(actor=biller, payer=payer, recipient=None)
    assert Payer.objects.get(pk=payer.pk).recipient is None
    updates = AuditEvent.objects.filter(event="payer.update").order_by("pk")
    assert [e.changed_fields for e in updates] == [["payer_id"], ["recipient"]]


def test_the_payer_page_offers_the_organizations_active_payer_recipients(cast, biller, commercial):
    from openiop.consent.models import ExternalRecipient

    mine = ExternalRecipient.objects.create(organization=cast.org, name="Acme Rcpt", kind="payer")
    for name, org, kind, active in (
        ("Theirs Rcpt", OrganizationFactory(), "payer", True),
        ("Clinic Rcpt", cast.org, "provider", True),
        ("Dormant Rcpt", cast.org, "payer", False),
    ):
        ExternalRecipient.objects.create(organization=org, name=name, kind=kind, is_active=active)
    client = cast.client("admin")
    url = f"/billing/payers/{commercial.uuid}/edit/"
    page = client.get(url).content.decode()
    assert "Acme Rcpt" in page
    assert not any(n in page for n in ("Theirs Rcpt", "Clinic Rcpt", "Dormant Rcpt"))
    form = {"name": "Acme Health", "kind": "commercial", "is_active": "on"}
    assert client.post(url, {**form, "recipient": str(mine.uuid)}).status_code == 302
    assert Payer.objects.get(pk=commercial.pk).recipient == mine
    detail = client.get(f"/billing/payers/{commercial.uuid}/").content.decode()
    assert "Acme Rcpt" in detail
    # a recipient outside the choices is not taken
    theirs = ExternalRecipient.objects.get(name="Theirs Rcpt")
    assert client.post(url, {**form, "recipient": str(theirs.uuid)}).status_code == 400
    assert Payer.objects.get(pk=commercial.pk).recipient == mine


def test_only_organization_wide_managers_change_payers(cast, biller, commercial):
    rules = template("commercial_sud_h0015", cast.org)
    for who in (cast.readonly_a, cast.director_a, cast.clinician_a):  # billing in program A only
        with pytest.raises(PermissionDenied):
            rules_set(actor=who, payer=commercial, rules=rules)
        with pytest.raises(PermissionDenied):
            payer_create(actor=who, organization=cast.org, name="X", kind="commercial")
    assert not BillingRule.objects.filter(payer=commercial).exists()
    rules_set(actor=cast.admin, payer=commercial, rules=rules)


def test_another_organizations_payer_is_invisible(cast, biller, commercial):
    other = OrganizationFactory()
    theirs = Payer.objects.create(organization=other, name="Their Plan", kind="commercial")
    assert list(Payer.objects.visible_to(biller, "view")) == [commercial]
    for url in ("", "edit/", "rules/"):
        assert cast.client("admin").get(f"/billing/payers/{theirs.uuid}/{url}").status_code == 404
    page = cast.client("admin").get("/billing/payers/")
    assert b"Their Plan" not in page.content and b"Acme Health" in page.content
    with pytest.raises(PermissionDenied):
        rules_set(actor=cast.admin, payer=theirs, rules=[])
    assert (
        cast.client("admin").get(f"/billing/profile/?organization={other.uuid}").status_code == 404
    )


def test_the_rule_page_fills_from_a_template_and_saves(cast, biller, commercial):
    client = cast.client("admin")
    url = f"/billing/payers/{commercial.uuid}/rules/"
    page = client.get(url + "?template=commercial_sud_h0015")
    assert page.status_code == 200 and b'value="H0015"' in page.content
    form = page.context["form"]
    data = {"rows": "1", "csrfmiddlewaretoken": "x"}
    for name, field in form.fields.items():
        value = form[name].value()
        if value in (None, False, ""):
            continue
        data[name] = "on" if value is True else value
    data["r0-per_diem_rate"] = "225.00"
    assert client.post(url, data).status_code == 302
    rule = BillingRule.objects.get(payer=commercial)
    assert (rule.per_diem_code, str(rule.per_diem_rate)) == ("H0015", "225.00")
    assert rule.services.get(session_type__code="group_therapy").code == "90853"
    data["r0-per_diem_code"] = ""
    refused = client.post(url, data)
    assert refused.status_code == 400 and b"per-diem code" in refused.content
    rule.refresh_from_db()
    assert rule.per_diem_code == "H0015"


def test_the_billing_profile_gives_the_type_of_bill(cast, biller):
    client = cast.client("admin")
    assert b"professional claims only" in client.get("/billing/profile/").content
    assert client.post("/billing/profile/", {"provider_kind": "cmhc"}).status_code == 302
    assert BillingProfile.objects.get(organization=cast.org).bill_type == "76X"
    assert b"76X" in client.get("/billing/profile/").content
    assert (
        cast.client("intake").post("/billing/profile/", {"provider_kind": "rhc"}).status_code == 403
    )
    profile = billing_profile_set(
        actor=biller, organization=cast.org, provider_kind="hospital_outpatient"
    )
    assert profile.bill_type == "13X"
    assert AuditEvent.objects.filter(event="billing_profile.set").count() == 2
    with pytest.raises(ApplicationError):
        billing_profile_set(actor=biller, organization=cast.org, provider_kind="clinic")


def test_coverage_takes_the_payer_name_and_kind_from_billings_payer(cast, biller, medicare):
    cov = coverage_add(
        actor=cast.intake,
        patient=cast.patient_a,
        payer=medicare,
        payer_type="commercial",
        payer_name="typed",
        member_id="1EG4TE5MK72",
    )
    assert (cov.payer, cov.payer_name, cov.payer_type) == (medicare, "Medicare Part A", "medicare")
    theirs = Payer.objects.create(organization=OrganizationFactory(), name="X", kind="commercial")
    payer_update(actor=biller, payer=medicare, is_active=False)
    for payer in (theirs, medicare):
        with pytest.raises(ApplicationError) as exc:
            coverage_add(actor=cast.intake, patient=cast.patient_a, payer=payer)
        assert "payer" in exc.value.fields
    assert cast.patient_a.coverages.count() == 1


def test_the_coverage_form_offers_the_organizations_active_payers(cast, biller, commercial):
    Payer.objects.create(
        organization=OrganizationFactory(), name="Elsewhere Plan", kind="commercial"
    )
    client = cast.client("intake")
    url = f"/patients/{cast.patient_a.uuid}/coverage/new/"
    page = client.get(url)
    assert b"Acme Health" in page.content and b"Elsewhere Plan" not in page.content
    assert client.post(url, {"payer": str(commercial.uuid), "is_primary": "on"}).status_code == 302
    assert cast.patient_a.coverages.get().payer == commercial


@pytest.mark.django_db(transaction=True)
def test_concurrent_rule_sets_of_one_payer_leave_one_whole_set(cast):
    """On PostgreSQL: N writers replace one payer's rules at once; each set is
    written whole in turn (the payer row is the lock), none fails half-way."""
    from django.db import connection

    from tests.security.test_races import race

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    session_types_ensure(cast.org)
    biller = staff("billing", organization=cast.org, username="billing.race")
    payer = payer_create(actor=biller, organization=cast.org, name="Race Plan", kind="commercial")

    def write(i):
        rules = template("commercial_sud_h0015", cast.org)
        rules[0]["min_minutes_per_day"] = 180 + i
        return rules_set(actor=biller, payer=payer, rules=rules)

    results = race(write, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    [rule] = BillingRule.objects.filter(payer=payer)
    assert 180 <= rule.min_minutes_per_day < 188
    assert rule.services.count() == len(rule_templates.PROFESSIONAL_SERVICES)
    assert AuditEvent.objects.filter(event="payer.rules_set").count() == 8
