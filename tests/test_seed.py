"""`openiop seed`: repeatable, idempotent, one audit event, plain refusals."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from openiop.accounts.models import Membership, User
from openiop.audit.models import AuditEvent
from openiop.audit.services import audit_verify
from openiop.care.models import Episode, EpisodeStatus
from openiop.cli import main
from openiop.demo.seed import bench_slug, bench_username, find_bench_staff, seed_organization
from openiop.organizations.models import Organization
from openiop.patients.models import Coverage, Patient, SupportPerson
from openiop.patients.services import search_name_for

pytestmark = pytest.mark.django_db


def snapshot(slug: str) -> dict:
    org = Organization.objects.get(slug=slug)
    return {
        "org": org.uuid,
        "patients": list(
            Patient.objects.filter(organization=org)
            .order_by("mrn")
            .values_list("mrn", "legal_given_name", "legal_family_name", "uuid", "date_of_birth")
        ),
        "episodes": list(
            Episode.objects.filter(organization=org)
            .order_by("patient__mrn")
            .values_list("uuid", "program__name", "status", "admitted_on", "discharged_on")
        ),
        "staff": list(
            User.objects.filter(username__startswith=slug + "-")
            .order_by("username")
            .values_list("username", "display_name", "uuid")
        ),
    }


def test_same_seed_gives_the_same_rows():
    slug = bench_slug(5, 30)
    with transaction.atomic():
        seed_organization(patients=30, weeks=4, seed=5)
        first = snapshot(slug)
        transaction.set_rollback(True)
    assert not Organization.objects.filter(slug=slug).exists()

    seed_organization(patients=30, weeks=4, seed=5)
    again = snapshot(slug)
    assert again == first
    assert len(again["patients"]) == 30
    # another seed makes other people
    seed_organization(patients=30, weeks=4, seed=6)
    other = snapshot(bench_slug(6, 30))
    assert [p[1:3] for p in other["patients"]] != [p[1:3] for p in first["patients"]]
    assert {p[3] for p in other["patients"]}.isdisjoint({p[3] for p in first["patients"]})


def test_the_same_seed_at_another_size_does_not_collide():
    seed_organization(patients=20, weeks=4, seed=5)
    seed_organization(patients=40, weeks=4, seed=5)
    assert Patient.objects.filter(organization__slug__startswith="bench-s5-").count() == 60


def test_shape_of_the_seeded_organization():
    result = seed_organization(patients=200, weeks=8, seed=3)
    org = result.organization
    assert org.slug == "bench-s3-p200"
    assert org.name.startswith("Benchmark Org (synthetic)")
    patients = Patient.objects.filter(organization=org)
    assert patients.count() == 200
    assert Coverage.objects.filter(patient__organization=org).count() == 200
    assert SupportPerson.objects.filter(patient__organization=org).count() == 200
    assert all(p.search_name == search_name_for(p) for p in patients)

    episodes = Episode.objects.filter(organization=org)
    assert episodes.count() == 200
    discharged = episodes.filter(status=EpisodeStatus.DISCHARGED)
    assert 30 <= discharged.count() <= 90  # about 30%
    assert all(e.admitted_on <= e.discharged_on for e in discharged)
    open_count = episodes.filter(status=EpisodeStatus.ACTIVE).count()
    clinicians = Membership.objects.filter(organization=org, role="clinician").count()
    assert clinicians == result.counts["clinicians"]
    assert open_count / 25 <= clinicians <= open_count / 25 + 3
    # every open episode's clinician works in that program
    for e in episodes.filter(status=EpisodeStatus.ACTIVE).select_related("primary_clinician"):
        assert Membership.objects.filter(
            user=e.primary_clinician, program=e.program, role__in=["clinician", "program_director"]
        ).exists()

    staff = find_bench_staff(org)
    assert staff["director"].username == bench_username(org.slug, "director")
    assert staff["clinician"].memberships.get().role == "clinician"
    assert staff["director"].check_password("bench-password-2026")


def test_one_audit_event_for_the_run_and_the_chain_holds():
    before = AuditEvent.objects.count()
    result = seed_organization(patients=30, weeks=4, seed=8)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(event="seed")
    assert event.actor_id is None
    assert (event.action, event.via, event.purpose) == ("execute", "cli", "operations")
    assert event.organization_id == result.organization.pk
    assert event.detail["counts"]["patients"] == 30
    assert audit_verify().ok


def test_second_run_for_the_same_seed_and_size_does_nothing():
    out = io.StringIO()
    call_command("seed", patients=30, weeks=4, seed=9, stdout=out)
    assert "patients" in out.getvalue() and "Done in" in out.getvalue()
    events = AuditEvent.objects.count()

    out = io.StringIO()
    call_command("seed", patients=30, weeks=4, seed=9, stdout=out)
    assert "already exists" in out.getvalue()
    assert Patient.objects.filter(organization__slug="bench-s9-p30").count() == 30
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "options",
    [
        {"patients": 0},
        {"patients": 1_000_001},
        {"patients": 10, "weeks": 0},
        {"patients": 10, "weeks": 521},
    ],
)
def test_bad_input_is_refused_with_status_2(options):
    with pytest.raises(CommandError) as excinfo:
        call_command("seed", **options)
    assert excinfo.value.returncode == 2
    assert str(excinfo.value).endswith(".")
    assert not Organization.objects.filter(slug__startswith="bench-").exists()


def test_bad_input_exits_2_from_the_command_line(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["seed", "--patients", "-5"])
    assert excinfo.value.code == 2
    assert "between 1 and 1,000,000" in capsys.readouterr().err
