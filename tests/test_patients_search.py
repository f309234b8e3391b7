"""Patient search finds exactly the patients of the rule it always had (the
start of any word of the name, the MRN in any case, the date of birth), on
both databases; on PostgreSQL it reads the trigram and MRN indexes to do so."""

import datetime as dt
import re

import pytest
from django.db import connection, transaction

from openiop.accounts.models import User
from openiop.demo.seed import bench_username, find_bench_staff, seed_organization
from openiop.patients.models import Patient
from openiop.patients.selectors import matching, patient_search

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the indexes exist on PostgreSQL only"
)


def reference(patients: list[Patient], query: str) -> set[int]:
    """The search as a plain rule over the rows, written without SQL."""
    query = query.strip()[:100]
    if not query:
        return {p.pk for p in patients}
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"):
        try:
            day = dt.datetime.strptime(query, fmt).date()
        except ValueError:
            continue
        return {p.pk for p in patients if p.date_of_birth == day}
    words = [w for w in re.split(r"[\s,]+", query.lower()) if w]

    def named(p):
        return all(p.search_name.startswith(w) or " " + w in p.search_name for w in words)

    return {p.pk for p in patients if p.mrn.lower() == query.lower() or named(p)}


def queries_for(patients: list[Patient]) -> list[str]:
    """Searches a user would type, from the rows themselves, and some that must
    match nothing or must not be read as patterns."""
    found = []
    for p in patients[::37]:
        family, given = p.legal_family_name, p.legal_given_name
        found += [
            family[:4].lower(),
            family.upper(),
            given[:2],
            f"{given} {family[:3]}",
            f"{family}, {given}",
            family[1:4],  # inside a word: matches only where a word starts so
            p.mrn.lower(),
            p.mrn[:-2],  # part of an MRN is not an MRN
            p.date_of_birth.isoformat(),
            p.date_of_birth.strftime("%m/%d/%Y"),
            p.date_of_birth.strftime("%m-%d-%Y"),
        ]
        if p.preferred_name:
            found.append(p.preferred_name[:3])
    return found + ["a", "e", "zzqx", "%", "_", "a%", "a_b", "  ", "2001-02-30", "o'"]


def actors(org) -> list[User]:
    staff = find_bench_staff(org)
    intake = User.objects.get(username=bench_username(org.slug, "intake"))  # organization-wide
    return [staff["director"], staff["clinician"], intake]


def check_against_reference(org) -> int:
    """Every query, every actor: the same patients as the rule. Returns how
    many searches found someone (so the test knows it tested something)."""
    found = 0
    for actor in actors(org):
        visible = list(Patient.objects.visible_to(actor, "view"))
        assert visible, actor
        for query in queries_for(visible):
            got = [p.pk for p in patient_search(actor=actor, query=query)]
            assert len(got) == len(set(got)), query
            assert set(got) == reference(visible, query), (actor.username, query)
            found += bool(got)
    return found


def test_search_finds_the_patients_of_the_plain_rule():
    org = seed_organization(patients=300, weeks=8, seed=31).organization
    assert check_against_reference(org) > 100


@on_postgresql
def test_search_through_the_indexes_finds_the_same_patients():
    org = seed_organization(patients=300, weeks=8, seed=32).organization
    with transaction.atomic(), connection.cursor() as cursor:
        # a table this small is read whole unless the planner may not: make it use the indexes
        cursor.execute("SET LOCAL enable_seqscan = off")
        everyone = list(Patient.objects.all())
        assert {p.organization_id for p in everyone} == {org.pk}
        for query in ("imag", "tria sp", "e"):
            plan = explain(matching(Patient.objects.all(), query))
            assert "patients_patient_search_name_trgm" in plan, plan
            assert "patients_patient_mrn_upper" in plan, plan
        searches = queries_for(everyone)
        for query in searches:
            got = {p.pk for p in matching(Patient.objects.all(), query)}
            assert got == reference(everyone, query), query
        assert check_against_reference(org) > 100


@on_postgresql
def test_the_indexes_exist_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'patients_patient'"
        )
        indexes = dict(cursor.fetchall())
    assert "gin (search_name gin_trgm_ops)" in indexes["patients_patient_search_name_trgm"]
    assert "upper" in indexes["patients_patient_mrn_upper"]


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
