"""The census list, read a program at a time, is the list it always was: open
episodes by program name, then patient name, page after page."""

import pytest

from openiop.accounts.models import Membership, User
from openiop.care.census import ProgramOrderedList, census_patients
from openiop.care.models import Episode, EpisodeStatus
from openiop.care.selectors import census_summary
from openiop.core.pagination import paginate
from openiop.demo.seed import bench_username, find_bench_staff, seed_organization
from openiop.organizations.models import Program
from tests.factories import EpisodeFactory, PatientFactory, ProgramFactory, staff

pytestmark = pytest.mark.django_db


def as_before(actor, program=None) -> list[int]:
    """The list as one query ordered by program and patient name (the old way)."""
    qs = Episode.objects.visible_to(actor, "view").filter(status=EpisodeStatus.ACTIVE)
    if program is not None:
        qs = qs.filter(program=program)
    return list(
        qs.order_by(
            "program__name", "patient__legal_family_name", "patient__legal_given_name", "id"
        ).values_list("id", flat=True)
    )


class FakeRequest:
    def __init__(self, page):
        self.GET = {"page": str(page)}


def paged(actor, programs, per_page: int) -> list[int]:
    listed, page_number = [], 1
    while True:
        page = paginate(
            FakeRequest(page_number), census_patients(actor=actor, programs=programs), per_page
        )
        listed += [ep.pk for ep in page.object_list]
        if not page.has_next():
            return listed
        page_number += 1


@pytest.mark.parametrize("per_page", [7, 25])
def test_every_page_in_the_old_order_across_programs(per_page):
    org = seed_organization(patients=150, weeks=8, seed=41).organization
    staff = find_bench_staff(org)
    intake = User.objects.get(username=bench_username(org.slug, "intake"))
    for actor in (intake, staff["director"]):
        programs = census_summary(actor=actor)
        expected = as_before(actor)
        assert paged(actor, programs, per_page) == expected
        assert census_patients(actor=actor, programs=programs).count() == len(expected)
        for program in programs:  # the census of one program (?program=...)
            assert paged(actor, [program], per_page) == as_before(actor, program)
    # the organization-wide actor's pages cross from one program to the next
    assert len(census_summary(actor=intake)) == 3


def test_patients_of_the_same_name_stay_in_episode_order(cast):
    twins = [
        EpisodeFactory(
            program=cast.program_a,
            patient=PatientFactory(
                organization=cast.org, legal_family_name="Same", legal_given_name="Name"
            ),
        )
        for _ in range(3)
    ]
    programs = census_summary(actor=cast.intake)
    listed = paged(cast.intake, programs, 2)
    assert listed == as_before(cast.intake)
    assert [pk for pk in listed if pk in {t.pk for t in twins}] == sorted(t.pk for t in twins)


def test_a_page_asks_only_the_programs_it_covers(cast, django_assert_num_queries):
    programs = census_summary(actor=cast.intake)
    listing = census_patients(actor=cast.intake, programs=programs)
    assert listing.count() == 2  # counted by the summary: no query
    with django_assert_num_queries(1):
        assert [ep.pk for ep in listing[0:1]] == [cast.episode_a.pk]
    with django_assert_num_queries(2):
        assert len(listing[0:2]) == 2
    with django_assert_num_queries(0):
        assert listing[5:9] == []


def test_programs_of_one_name_are_listed_together_by_patient_name(cast):
    """Two organizations' programs of the same name, seen by one person: their
    patients interleave by name, as the single ordered query had them."""
    other_org_program = ProgramFactory(name="Program A")
    both = staff("intake_coordinator", organization=cast.org, username="intake.both")
    Membership.objects.create(
        user=both, role="intake_coordinator", organization=other_org_program.organization
    )
    for family in ("Aaa", "Zzz"):
        EpisodeFactory(
            program=other_org_program,
            patient=PatientFactory(
                organization=other_org_program.organization, legal_family_name=family
            ),
        )
    programs = census_summary(actor=both)
    assert [p.name for p in programs].count("Program A") == 2
    assert paged(both, programs, 2) == as_before(both)


def test_the_census_page_lists_a_program_and_pages_on(cast):
    for n in range(30):
        EpisodeFactory(
            program=cast.program_a,
            patient=PatientFactory(organization=cast.org, legal_family_name=f"Census{n:02d}"),
        )
    client = cast.client("director_a")
    program = Program.objects.get(pk=cast.program_a.pk)
    first = client.get(f"/care/census/?program={program.uuid}").content.decode()
    second = client.get(f"/care/census/?program={program.uuid}&page=2").content.decode()
    assert "Page 1 of 2 (31 in all)" in first and "Page 2 of 2 (31 in all)" in second
    assert "Census00" in first and "Census29" in second and "Census29" not in first


def test_a_slice_is_the_only_way_in():
    with pytest.raises(TypeError):
        ProgramOrderedList([])[0]
