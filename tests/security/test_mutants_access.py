"""Who may reach what (`openiop/access`): a permission holds through an
organization-wide role in the whole organization, through a program role only
in that program and for the patients with an episode there; nothing for an
inactive account, an inactive membership or a role the registry does not list.

Written against the mutants of `.ci/mutation` (group `access`): the access
matrix walks every route but checks only status codes, these state the rules.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from openiop.access import scope as scope_module
from openiop.access.querysets import (
    OrganizationRowQuerySet,
    ProgramRowQuerySet,
    organizations_reached,
    patient_q,
)
from openiop.access.scope import (
    EMPTY,
    PROGRAMS_ATTR,
    Grant,
    Scope,
    can,
    covers_patient,
    grant,
    patient_program_ids,
    remember_programs,
    scope_for,
)
from openiop.access.services import deny, require, require_on_patient
from openiop.accounts.models import Membership, User
from openiop.audit.models import AuditEvent
from openiop.care.models import Episode
from openiop.consent.models import ExternalRecipient
from openiop.core.errors import PermissionDenied
from openiop.measures.models import DrugTest
from openiop.organizations.models import Program, Site, Track
from openiop.patients.models import Patient
from tests.factories import (
    EpisodeFactory,
    OrganizationFactory,
    PatientFactory,
    ProgramFactory,
    TrackFactory,
    staff,
)

# --- Grant: pure rules -----------------------------------------------------

ORG, OTHER_ORG, PROG, OTHER_PROG = 1, 2, 10, 11


def test_a_program_role_does_not_pass_an_organization_level_check():
    g = Grant(program_ids=frozenset({PROG}))
    assert not g.covers(organization_id=ORG)
    assert not g.covers(organization_id=ORG, program_id=None)


def test_a_program_role_passes_only_its_own_program():
    g = Grant(program_ids=frozenset({PROG}))
    assert g.covers(organization_id=ORG, program_id=PROG)
    assert not g.covers(organization_id=ORG, program_id=OTHER_PROG)


def test_an_organization_role_passes_every_check_in_its_organization_only():
    g = Grant(organization_ids=frozenset({ORG}))
    assert g.covers(organization_id=ORG)
    assert g.covers(organization_id=ORG, program_id=PROG)
    assert not g.covers(organization_id=OTHER_ORG)
    assert not g.covers(organization_id=OTHER_ORG, program_id=PROG)


def test_a_grant_is_true_when_it_holds_anywhere():
    assert not Grant()
    assert Grant(organization_ids=frozenset({ORG}))
    assert Grant(program_ids=frozenset({PROG}))


def test_a_grant_covers_a_patient_in_its_organization_or_with_an_episode_in_its_programs():
    org_wide = Grant(organization_ids=frozenset({ORG}))
    assert org_wide.covers_patient(organization_id=ORG, program_ids=[])
    assert not org_wide.covers_patient(organization_id=OTHER_ORG, program_ids=[PROG])
    program = Grant(program_ids=frozenset({PROG}))
    assert program.covers_patient(organization_id=ORG, program_ids=[OTHER_PROG, PROG])
    assert not program.covers_patient(organization_id=ORG, program_ids=[OTHER_PROG])
    assert not program.covers_patient(organization_id=ORG, program_ids=[])


# --- Scope: from memberships -----------------------------------------------


def m(role, organization_id, program_id=None):
    return SimpleNamespace(role=role, organization_id=organization_id, program_id=program_id)


def test_a_scope_grants_a_permission_where_a_listed_role_is_held():
    s = Scope(
        memberships=[
            m("clinician", ORG, PROG),
            m("intake_coordinator", OTHER_ORG),
            m("billing", ORG, OTHER_PROG),  # billing may not change a patient
        ]
    )
    g = s.grant("patient.change")
    assert g == Grant(frozenset({OTHER_ORG}), frozenset({PROG}))
    assert s.grant("patient.change") is g  # decided once per actor
    assert s.grant("audit.view") == Grant()
    assert s.organization_ids == {ORG, OTHER_ORG}


def test_an_unknown_permission_is_an_error_not_a_refusal():
    with pytest.raises(KeyError, match="Unknown permission 'patient.fly'"):
        Scope().grant("patient.fly")


@pytest.mark.parametrize(
    "actor",
    [None, AnonymousUser(), SimpleNamespace(is_active=True)],
    ids=["none", "anonymous", "no-auth-attribute"],
)
def test_nobody_signed_in_has_the_empty_scope(actor):
    assert scope_for(actor) is EMPTY
    assert not can(actor, "patient.view")


@pytest.mark.django_db
def test_an_inactive_account_or_membership_grants_nothing(cast):
    inactive = staff("clinician", program=cast.program_a, is_active=False)
    assert scope_for(inactive) is EMPTY
    assert not can(inactive, "patient.view")
    Membership.objects.filter(user=cast.clinician_b).update(is_active=False)
    fresh = User.objects.get(pk=cast.clinician_b.pk)
    assert not grant(fresh, "patient.view")


@pytest.mark.django_db
def test_the_scope_is_read_once_per_user_object(cast, django_assert_num_queries):
    user = User.objects.get(pk=cast.clinician_a.pk)
    first = scope_for(user)
    assert first.grant("patient.view").program_ids == {cast.program_a.pk}
    with django_assert_num_queries(0):
        assert scope_for(user) is first


# --- can / require ---------------------------------------------------------


@pytest.mark.django_db
def test_can_without_a_place_asks_whether_the_permission_is_held_anywhere(cast):
    assert can(cast.clinician_a, "patient.view")
    assert not can(cast.clinician_a, "audit.view")


@pytest.mark.django_db
def test_can_with_only_an_organization_needs_an_organization_wide_role(cast):
    org = cast.org.pk
    assert not can(cast.clinician_a, "patient.view", organization_id=org)
    assert can(cast.intake, "patient.view", organization_id=org)


@pytest.mark.django_db
def test_can_with_a_program_needs_a_role_in_it_or_in_its_organization(cast):
    org, a, b = cast.org.pk, cast.program_a.pk, cast.program_b.pk
    assert can(cast.clinician_a, "patient.view", organization_id=org, program_id=a)
    assert not can(cast.clinician_a, "patient.view", organization_id=org, program_id=b)
    assert can(cast.clinician_a, "patient.view", program_id=a)
    assert not can(cast.clinician_a, "patient.view", program_id=b)
    assert can(cast.intake, "patient.view", organization_id=org, program_id=b)


@pytest.mark.django_db
def test_require_passes_silently_where_the_permission_holds(cast):
    before = AuditEvent.objects.count()
    require(
        cast.clinician_a, "patient.view", organization_id=cast.org.pk, program_id=cast.program_a.pk
    )
    require(cast.intake, "patient.view", organization_id=cast.org.pk)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_require_refuses_a_program_role_at_organization_level_and_audits_it(cast):
    with pytest.raises(PermissionDenied) as err:
        require(cast.clinician_a, "patient.view", organization_id=cast.org.pk, action="update")
    assert str(err.value) == "You do not have permission to do that."
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.actor, event.event, event.action, event.outcome) == (
        cast.clinician_a,
        "patient.view",
        "update",
        "denied",
    )


@pytest.mark.django_db
def test_require_refuses_a_role_in_another_program(cast):
    with pytest.raises(PermissionDenied):
        require(
            cast.clinician_a,
            "patient.view",
            organization_id=cast.org.pk,
            program_id=cast.program_b.pk,
        )
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.event, event.action, event.outcome) == ("patient.view", "read", "denied")


@pytest.mark.django_db
def test_deny_audits_the_refusal_with_the_patient_and_raises(cast):
    with pytest.raises(PermissionDenied) as err:
        deny(cast.clinician_b, "patient.view", patient=cast.patient_a)
    assert str(err.value) == "You do not have permission to do that."
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.actor, event.event, event.action, event.outcome, event.patient) == (
        cast.clinician_b,
        "patient.view",
        "read",
        "denied",
        cast.patient_a,
    )


@pytest.mark.django_db
def test_require_on_patient_passes_where_the_patient_is(cast):
    before = AuditEvent.objects.count()
    require_on_patient(cast.clinician_a, cast.patient_a, "measure.record")
    require_on_patient(cast.intake, cast.patient_b, "measure.record")
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_require_on_patient_refuses_elsewhere_and_audits_the_patient(cast):
    with pytest.raises(PermissionDenied):
        require_on_patient(cast.clinician_a, cast.patient_b, "measure.record")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.actor, event.event, event.action, event.outcome, event.patient) == (
        cast.clinician_a,
        "measure.record",
        "create",
        "denied",
        cast.patient_b,
    )
    with pytest.raises(PermissionDenied):
        require_on_patient(cast.clinician_a, cast.patient_b, "measure.record", action="update")
    assert AuditEvent.objects.order_by("-id").first().action == "update"


# --- one patient -----------------------------------------------------------


@pytest.mark.django_db
def test_a_patients_programs_are_those_of_their_episodes_past_and_present(cast):
    patient = Patient.objects.get(pk=cast.patient_a.pk)
    EpisodeFactory(patient=patient, program=cast.program_b, organization=cast.org)
    assert patient_program_ids(patient) == {cast.program_a.pk, cast.program_b.pk}
    assert patient.__dict__[PROGRAMS_ATTR] == {cast.program_a.pk, cast.program_b.pk}


@pytest.mark.django_db
def test_a_patients_programs_are_read_once(cast, django_assert_num_queries):
    patient = Patient.objects.get(pk=cast.patient_a.pk)
    patient_program_ids(patient)
    with django_assert_num_queries(0):
        assert patient_program_ids(patient) == {cast.program_a.pk}


@pytest.mark.django_db
def test_remember_programs_fills_many_patients_in_one_query(cast, django_assert_num_queries):
    lone = PatientFactory(organization=cast.org)
    patients = [Patient.objects.get(pk=p.pk) for p in (cast.patient_a, cast.patient_b, lone)]
    kept = Patient.objects.get(pk=cast.patient_a.pk)
    kept.__dict__[PROGRAMS_ATTR] = frozenset({-1})  # already known: left as it is
    with django_assert_num_queries(1):
        remember_programs([*patients, kept])
    assert [p.__dict__[PROGRAMS_ATTR] for p in patients] == [
        {cast.program_a.pk},
        {cast.program_b.pk},
        frozenset(),
    ]
    assert kept.__dict__[PROGRAMS_ATTR] == {-1}
    with django_assert_num_queries(0):
        remember_programs(patients)
        assert [patient_program_ids(p) for p in patients][2] == frozenset()


@pytest.mark.django_db
def test_covers_patient_follows_the_patients_episodes(cast):
    assert covers_patient(cast.clinician_a, "patient.view", cast.patient_a)
    assert not covers_patient(cast.clinician_a, "patient.view", cast.patient_b)
    assert covers_patient(cast.intake, "patient.view", cast.patient_b)
    assert not covers_patient(cast.auditor, "patient.view", cast.patient_a)
    # a program role reaches a patient of another program once admitted there too
    EpisodeFactory(patient=cast.patient_b, program=cast.program_a, organization=cast.org)
    patient_b = Patient.objects.get(pk=cast.patient_b.pk)
    assert covers_patient(cast.clinician_a, "patient.view", patient_b)


@pytest.mark.django_db
def test_an_organization_wide_role_does_not_cover_another_organizations_patient(cast):
    other = EpisodeFactory(program=ProgramFactory(organization=OrganizationFactory()))
    assert not covers_patient(cast.intake, "patient.view", other.patient)
    assert not covers_patient(cast.clinician_a, "patient.view", other.patient)


@pytest.mark.django_db
def test_an_organization_wide_role_covers_a_patient_without_reading_episodes(
    cast, django_assert_num_queries
):
    intake = User.objects.get(pk=cast.intake.pk)
    patient = Patient.objects.get(pk=cast.patient_b.pk)
    scope_for(intake)
    with django_assert_num_queries(0):
        assert covers_patient(intake, "patient.view", patient)


@pytest.mark.django_db
def test_a_program_role_covers_by_the_patients_programs_even_in_its_organization(cast):
    # program_ids is consulted only when the grant has programs
    fresh = Patient.objects.get(pk=cast.patient_b.pk)
    fresh.__dict__[PROGRAMS_ATTR] = frozenset({cast.program_a.pk})
    assert covers_patient(cast.clinician_a, "patient.view", fresh)
    fresh.__dict__[PROGRAMS_ATTR] = frozenset()
    assert not covers_patient(cast.clinician_a, "patient.view", fresh)


# --- visible_to, each kind of row -------------------------------------------


@pytest.fixture
def world(cast):
    """Program C of the same organization on its own site, and another organization."""
    program_c = ProgramFactory(organization=cast.org, name="Program C")
    episode_c = EpisodeFactory(program=program_c, track=TrackFactory(program=program_c))
    other_program = ProgramFactory(organization=OrganizationFactory(), name="Elsewhere")
    other_episode = EpisodeFactory(program=other_program, track=TrackFactory(program=other_program))
    return SimpleNamespace(
        program_c=program_c,
        episode_c=episode_c,
        other_program=other_program,
        other_episode=other_episode,
    )


def names(qs, attr="name"):
    return {getattr(x, attr) for x in qs}


@pytest.mark.django_db
def test_patients_visible_to_a_program_role_are_those_with_an_episode_there(cast, world):
    seen = set(Patient.objects.visible_to(cast.clinician_a, "view"))
    assert seen == {cast.patient_a}
    EpisodeFactory(patient=world.episode_c.patient, program=cast.program_a, organization=cast.org)
    assert set(Patient.objects.visible_to(cast.clinician_a, "view")) == {
        cast.patient_a,
        world.episode_c.patient,
    }


@pytest.mark.django_db
def test_patients_visible_to_an_organization_role_are_its_organizations(cast, world):
    assert set(Patient.objects.visible_to(cast.intake, "view")) == {
        cast.patient_a,
        cast.patient_b,
        world.episode_c.patient,
    }
    assert not Patient.objects.visible_to(cast.auditor, "view").exists()
    assert not Patient.objects.visible_to(None, "view").exists()


@pytest.mark.django_db
def test_visible_to_defaults_to_viewing(cast):
    assert set(Patient.objects.visible_to(cast.readonly_a)) == {cast.patient_a}
    assert not Patient.objects.visible_to(cast.readonly_a, "change").exists()


@pytest.mark.django_db
def test_patient_rows_follow_the_patient(cast, world):
    rows = {}
    for episode in (cast.episode_a, cast.episode_b, world.episode_c, world.other_episode):
        rows[episode.pk] = DrugTest.objects.create(
            organization=episode.organization,
            patient=episode.patient,
            episode=episode,
            collected_on=dt.date(2026, 1, 5),
            status="collected",
            outcome="negative",
        )
    assert set(DrugTest.objects.visible_to(cast.clinician_a, "view")) == {rows[cast.episode_a.pk]}
    assert set(DrugTest.objects.visible_to(cast.director_a, "view")) == {rows[cast.episode_a.pk]}
    org_wide = staff("program_director", organization=cast.org)
    assert set(DrugTest.objects.visible_to(org_wide, "view")) == {
        rows[cast.episode_a.pk],
        rows[cast.episode_b.pk],
        rows[world.episode_c.pk],
    }
    # one patient: the same rule decided once
    assert set(DrugTest.objects.for_patient(cast.clinician_a, cast.patient_a)) == {
        rows[cast.episode_a.pk]
    }
    assert not DrugTest.objects.for_patient(cast.clinician_a, cast.patient_b).exists()
    assert set(DrugTest.objects.for_patient(org_wide, cast.patient_b)) == {rows[cast.episode_b.pk]}
    assert DrugTest.objects.for_patient(cast.clinician_a, cast.patient_a, "record").count() == 1
    assert not DrugTest.objects.for_patient(cast.readonly_a, cast.patient_a).exists()


@pytest.mark.django_db
def test_program_rows_are_seen_in_the_program_or_with_an_organization_role(cast, world):
    assert set(Episode.objects.visible_to(cast.clinician_a, "view")) == {cast.episode_a}
    assert set(Episode.objects.visible_to(cast.intake, "view")) == {
        cast.episode_a,
        cast.episode_b,
        world.episode_c,
    }
    assert set(Program.objects.visible_to(cast.clinician_a, "view")) == {cast.program_a}
    assert set(Program.objects.visible_to(cast.admin, "view")) == {
        cast.program_a,
        cast.program_b,
        world.program_c,
    }
    assert set(Track.objects.visible_to(cast.clinician_a, "view")) == {cast.track_a}
    assert set(Track.objects.visible_to(cast.admin, "view")) == set(
        Track.objects.filter(program__organization=cast.org)
    )
    assert not Program.objects.visible_to(cast.auditor, "view").exists()


@pytest.mark.django_db
def test_sites_are_seen_through_a_program_on_them_or_an_organization_role(cast, world):
    assert set(Site.objects.visible_to(cast.clinician_a, "view")) == {cast.program_a.site}
    assert set(Site.objects.visible_to(cast.admin, "view")) == set(
        Site.objects.filter(organization=cast.org)
    )
    assert world.program_c.site in set(Site.objects.visible_to(cast.admin, "view"))
    assert world.other_program.site not in set(Site.objects.visible_to(cast.admin, "view"))


@pytest.mark.django_db
def test_staff_are_seen_where_the_actor_may_see_staff(cast, world):
    elsewhere = staff("clinician", program=world.other_program, username="elsewhere")
    by_director = set(User.objects.visible_to(cast.director_a, "view"))
    assert by_director == {cast.clinician_a, cast.readonly_a, cast.director_a, cast.prescriber_a}
    by_admin = set(User.objects.visible_to(cast.admin, "view"))
    assert {cast.clinician_b, cast.intake, cast.auditor, cast.admin} <= by_admin
    assert elsewhere not in by_admin
    assert cast.patient_user not in by_admin
    assert not User.objects.visible_to(cast.clinician_a, "view").exists()


@pytest.mark.django_db
def test_organization_rows_are_seen_by_a_role_in_the_organization_or_one_of_its_programs(
    cast, world
):
    mine = ExternalRecipient.objects.create(organization=cast.org, name="Dr Mine", kind="provider")
    theirs = ExternalRecipient.objects.create(
        organization=world.other_program.organization, name="Dr Theirs", kind="provider"
    )
    assert set(ExternalRecipient.objects.visible_to(cast.clinician_a, "view")) == {mine}
    assert set(ExternalRecipient.objects.visible_to(cast.admin, "view")) == {mine}
    elsewhere = staff("clinician", program=world.other_program)
    assert set(ExternalRecipient.objects.visible_to(elsewhere, "view")) == {theirs}
    assert not ExternalRecipient.objects.visible_to(cast.auditor, "view").exists()


@pytest.mark.django_db
def test_the_audit_log_is_seen_only_with_an_organization_wide_role(cast, world):
    with pytest.raises(PermissionDenied):
        require_on_patient(cast.clinician_a, cast.patient_b, "patient.view")
    assert (
        AuditEvent.objects.visible_to(cast.auditor, "view")
        .filter(organization_id=cast.org.pk)
        .exists()
    )
    assert set(
        AuditEvent.objects.visible_to(cast.auditor, "view").values_list(
            "organization_id", flat=True
        )
    ) == {cast.org.pk}
    program_auditor = staff("auditor", program=cast.program_a)
    assert not AuditEvent.objects.visible_to(program_auditor, "view").exists()


@pytest.mark.django_db
def test_organizations_reached_are_the_whole_ones_and_those_of_the_programs(cast, world):
    g = Grant(frozenset({cast.org.pk}), frozenset({world.other_program.pk}))
    assert organizations_reached(g) == {cast.org.pk, world.other_program.organization_id}
    assert organizations_reached(Grant(frozenset({cast.org.pk}))) == {cast.org.pk}


@pytest.mark.django_db
def test_patient_q_without_programs_is_the_organization_alone(cast, world):
    g = Grant(frozenset({world.other_program.organization_id}))
    assert set(Patient.objects.filter(patient_q(g, "pk"))) == {world.other_episode.patient}
    g = Grant(program_ids=frozenset({cast.program_b.pk}))
    assert set(Patient.objects.filter(patient_q(g, "pk"))) == {cast.patient_b}
    # both: the organization-wide part is kept when programs are added
    g = Grant(frozenset({world.other_program.organization_id}), frozenset({cast.program_b.pk}))
    assert set(Patient.objects.filter(patient_q(g, "pk"))) == {
        world.other_episode.patient,
        cast.patient_b,
    }


def test_each_kind_of_row_names_its_fields():
    assert OrganizationRowQuerySet.organization_field == "organization_id"
    assert (ProgramRowQuerySet.program_field, ProgramRowQuerySet.organization_field) == (
        "program_id",
        "organization_id",
    )


def test_the_module_keeps_one_cache_attribute():
    assert scope_module.PROGRAMS_ATTR == "_openiop_program_ids"
