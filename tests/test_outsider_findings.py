"""Small findings of the outside check of the day-one issue: crafted addresses
that gave a 500, and a FHIR date taken in UTC."""

import pytest

from tests.plans_helpers import small_plan


@pytest.mark.parametrize(
    "url",
    [
        "/scheduling/?week=0001-01-01",
        "/scheduling/?week=9999-12-31",
        "/scheduling/day/0001-01-01/",
        "/scheduling/day/9999-12-31/",
    ],
)
def test_a_calendar_at_the_end_of_time_is_not_a_server_error(cast, url):
    response = cast.client("director_a").get(url)
    assert response.status_code in (200, 404)


def test_a_repair_week_at_the_end_of_time_is_not_a_server_error(cast):
    url = f"/scheduling/programs/{cast.program_a.uuid}/repair/?week=9999-12-31"
    assert cast.client("director_a").get(url).status_code in (200, 404)


def test_a_bogus_parent_is_a_404(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    response = cast.client("clinician_a").get(
        f"/care/plans/{plan.uuid}/intervention/new/?parent=bogus"
    )
    assert response.status_code == 404


def test_a_care_plans_created_is_the_moment_with_its_offset(cast):
    import datetime as dt

    from openiop.care.plans.plan_models import TreatmentPlan
    from openiop.interop.fhir.careplan import careplan_resource

    plan = small_plan(cast.clinician_a, cast.episode_a)
    # 21:00 on 2 December in Oregon is already 3 December in UTC
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        created_at=dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC)
    )
    plan.refresh_from_db()
    resource = careplan_resource(plan, plan.versions.get(), [], cast.patient_a)
    assert resource["created"] == "2026-12-03T05:00:00+00:00"  # not the bare UTC date


def test_plan_a_week_at_the_end_of_time_is_a_field_error(cast):
    """Found on the second outside check: typing year 9999 into "Plan a week" was a 500."""
    response = cast.client("director_a").post(
        "/scheduling/plan/",
        {"program": cast.program_a.pk, "week": "9999-12-31", "time_limit_s": 5},
    )
    assert response.status_code == 400  # the form again, with the field's error
    assert "Choose a week between 1900 and 2200." in response.content.decode()


def test_a_repair_changes_one_week_only(cast):
    """Found: a crafted repair with days years apart recorded a three-year leave."""
    import datetime as dt

    from openiop.core.errors import ApplicationError
    from openiop.scheduling.services.repair import describe_change
    from tests.scheduling_helpers import next_monday, world

    world(cast, patients=1, series=False)
    week = next_monday()
    with pytest.raises(ApplicationError) as err:
        describe_change(
            program=cast.program_a,
            week=week,
            kind="clinician_off",
            user=cast.clinician_a,
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2027, 12, 31),
        )
    assert "A repair changes one week" in err.value.fields["starts_on"][0]
