"""Safety alert routing (`measures.services.alerts._recipients`): an alert
goes to the patient's primary clinician if their account is active, and to
the active directors of the patient's program (or of the whole organization);
only when there is nobody of these, to the program's clinicians. Nobody of
another program or organization, no inactive account or membership, nobody
twice.

Written against the mutants of `.ci/mutation` (group `alerts`)."""

import pytest

from openiop.accounts.models import Membership
from openiop.measures.services.alerts import _recipients
from tests.factories import OrganizationFactory, ProgramFactory, staff

pytestmark = pytest.mark.django_db


def routed(episode):
    return _recipients(episode, episode.organization_id)


def test_the_primary_clinician_and_the_programs_director_are_told(cast):
    assert routed(cast.episode_a) == [
        (cast.clinician_a.pk, "primary_clinician"),
        (cast.director_a.pk, "program_director"),
    ]


def test_an_inactive_primary_clinician_is_not_told(cast):
    cast.clinician_a.is_active = False
    cast.clinician_a.save()
    episode = type(cast.episode_a).objects.get(pk=cast.episode_a.pk)
    assert routed(episode) == [(cast.director_a.pk, "program_director")]


def test_organization_wide_directors_are_told_and_directors_elsewhere_are_not(cast):
    org_director = staff("program_director", organization=cast.org)
    staff("program_director", program=cast.program_b)
    other_org = OrganizationFactory()
    staff("program_director", program=ProgramFactory(organization=other_org))
    staff("program_director", organization=other_org)
    assert {uid for uid, _ in routed(cast.episode_a)} == {
        cast.clinician_a.pk,
        cast.director_a.pk,
        org_director.pk,
    }


def test_an_inactive_director_account_or_membership_is_not_told(cast):
    Membership.objects.filter(user=cast.director_a).update(is_active=False)
    gone = staff("program_director", program=cast.program_a)
    gone.is_active = False
    gone.save()
    assert routed(cast.episode_a) == [(cast.clinician_a.pk, "primary_clinician")]


def test_without_clinician_or_director_the_programs_clinicians_are_told(cast):
    episode = cast.episode_a
    episode.primary_clinician = None
    Membership.objects.filter(user=cast.director_a).delete()
    other = staff("clinician", program=cast.program_a)
    inactive = staff("clinician", program=cast.program_a)
    Membership.objects.filter(user=inactive).update(is_active=False)
    staff("clinician", program=cast.program_b)
    staff("prescriber", program=cast.program_a)
    got = routed(episode)
    assert sorted(got) == sorted(
        [(cast.clinician_a.pk, "program_clinician"), (other.pk, "program_clinician")]
    )


def test_program_clinicians_are_not_told_when_a_director_is(cast):
    episode = cast.episode_a
    episode.primary_clinician = None
    assert routed(episode) == [(cast.director_a.pk, "program_director")]


def test_nobody_is_told_twice(cast):
    episode = cast.episode_a
    episode.primary_clinician = cast.director_a
    assert routed(episode) == [(cast.director_a.pk, "primary_clinician")]


def test_a_response_without_an_episode_is_routed_to_nobody(cast):
    assert _recipients(None, cast.org.pk) == []
