"""The caseload's clinician picker: the whole list while it is short, a search
by name beyond `PICKER_LIMIT`, never anyone outside the programs one sees."""

import pytest

from openiop.care import picker
from openiop.care.picker import caseload_clinician, clinician_picker
from tests.factories import EpisodeFactory, staff

pytestmark = pytest.mark.django_db


def names(p) -> list[str]:
    return [u.username for u in p.choices]


def test_a_short_staff_is_the_whole_list_as_before(cast):
    p = clinician_picker(actor=cast.director_a, chosen=cast.director_a)
    assert set(names(p)) == {"clin.a", "director.a", "prescriber.a"}
    assert (p.searchable, p.more) == (False, False)
    assert clinician_picker(actor=cast.clinician_a, chosen=cast.clinician_a) is None


def test_a_long_staff_is_searched_and_at_most_the_limit_listed(cast, monkeypatch):
    monkeypatch.setattr(picker, "PICKER_LIMIT", 2)
    for n in range(3):
        staff("clinician", program=cast.program_a, username=f"extra{n}", display_name=f"Extra {n}")
    p = clinician_picker(actor=cast.director_a, chosen=cast.director_a)
    assert (p.searchable, p.more) == (True, True)
    assert "director.a" in names(p) and len(names(p)) <= 3  # the limit, and the one shown
    found = clinician_picker(actor=cast.director_a, chosen=cast.director_a, query="extra 1")
    assert names(found) == ["director.a", "extra1"] and found.found == 1 and not found.more
    # program B's clinician is not among the director of program A's staff, by any name
    outside = clinician_picker(
        actor=cast.director_a, chosen=cast.director_a, query=cast.clinician_b.username
    )
    assert (names(outside), outside.found) == (["director.a"], 0)


def test_the_caseload_page_searches_and_shows_the_chosen_clinician(cast, monkeypatch):
    monkeypatch.setattr(picker, "PICKER_LIMIT", 1)
    EpisodeFactory(program=cast.program_a, primary_clinician=cast.clinician_a)
    client = cast.client("director_a")
    page = client.get("/care/caseload/").content.decode()
    assert 'name="who"' in page and 1 <= page.count("<option") <= 2  # one, and the director
    found = client.get(
        f"/care/caseload/?who={cast.clinician_a.display_name}&clinician={cast.clinician_a.uuid}"
    ).content.decode()
    assert f"Caseload of {cast.clinician_a.get_display_name()}" in found
    assert f'value="{cast.clinician_a.uuid}" selected' in found
    nobody = client.get("/care/caseload/?who=nobody-by-this-name").content.decode()
    assert "No clinician matches" in nobody


def test_only_staff_the_actor_sees_can_be_chosen(cast):
    assert caseload_clinician(cast.director_a, str(cast.clinician_a.uuid)) == cast.clinician_a
    assert caseload_clinician(cast.director_a, str(cast.clinician_b.uuid)) == cast.director_a
    # a clinician may not look at colleagues' caseloads at all
    assert caseload_clinician(cast.clinician_a, str(cast.director_a.uuid)) == cast.clinician_a
