"""The plan revision check (`care.plans.services.common.bump`): an edit made
from a revision that is no longer the plan's current one is refused and
writes nothing, so two people never silently overwrite each other's work.

Written against the mutants of `.ci/mutation` (group `plans`)."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from openiop.care.plans.plan_models import PlanStatus, TreatmentPlan
from openiop.care.plans.services.common import bump, expected_revision
from openiop.core.errors import ApplicationError, Conflict
from tests.plans_helpers import small_plan

pytestmark = pytest.mark.django_db


def fresh(plan):
    return TreatmentPlan.objects.get(pk=plan.pk)


def test_an_edit_from_the_current_revision_counts_exactly_one_change(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = fresh(plan).revision
    before = timezone.now()
    bump(TreatmentPlan, plan, start, cast.director_a, status=PlanStatus.OPEN)
    row = fresh(plan)
    assert row.revision == start + 1
    assert row.changed_by == cast.director_a
    assert row.changed_at >= before
    assert row.updated_at == row.changed_at  # the row says it was updated, and when
    # the caller's object follows the row
    assert (plan.revision, plan.changed_by, plan.changed_at) == (
        start + 1,
        cast.director_a,
        row.changed_at,
    )


def test_the_revision_may_come_as_text_from_a_form(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = fresh(plan).revision
    bump(TreatmentPlan, plan, str(start), cast.clinician_a)
    assert fresh(plan).revision == start + 1


def test_an_edit_from_a_stale_revision_is_refused_and_writes_nothing(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = fresh(plan).revision
    bump(TreatmentPlan, plan, start, cast.director_a)
    after_first = fresh(plan)
    stale = TreatmentPlan.objects.get(pk=plan.pk)
    with pytest.raises(Conflict) as err:
        bump(TreatmentPlan, stale, start, cast.clinician_a)
    row = fresh(plan)
    assert row.revision == start + 1
    assert row.changed_by == cast.director_a
    assert row.changed_at == after_first.changed_at
    # the refusal says who changed it, to which revision, and the revision edited
    message = err.value.message
    assert cast.director_a.get_display_name() in message
    assert f"(revision {start + 1})" in message
    assert f"after the revision {start} you were editing" in message
    assert err.value.fields == {"revision": [message]}
    assert err.value.status == 409


def test_an_edit_from_a_revision_ahead_of_the_plan_is_refused(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = fresh(plan).revision
    with pytest.raises(Conflict):
        bump(TreatmentPlan, plan, start + 1, cast.clinician_a)
    assert fresh(plan).revision == start


def test_a_stale_edit_of_a_row_nobody_is_named_on_says_someone(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = fresh(plan).revision
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        revision=start + 1, changed_by=None, changed_at=None
    )
    with pytest.raises(Conflict) as err:
        bump(TreatmentPlan, plan, start, cast.clinician_a)
    assert err.value.message.startswith("someone changed this plan at just now")


def test_a_stale_edit_names_the_time_in_the_programs_zone(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = fresh(plan).revision
    moment = dt.datetime(2026, 3, 4, 22, 5, tzinfo=dt.UTC)
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        revision=start + 3, changed_by=cast.director_a, changed_at=moment
    )
    with pytest.raises(Conflict) as err:
        bump(TreatmentPlan, plan, start, cast.clinician_a, what="relapse prevention plan")
    zone = plan.episode.program.site.time_zone
    local = timezone.localtime(moment, zoneinfo.ZoneInfo(zone))
    assert (
        f"{cast.director_a.get_display_name()} changed this relapse prevention plan at "
        f"{local:%Y-%m-%d %H:%M %Z} (revision {start + 3})" in err.value.message
    )


def test_an_edit_the_extra_condition_refuses_is_refused_as_closed_not_as_a_conflict(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = fresh(plan).revision
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ENDED)
    with pytest.raises(ApplicationError) as err:
        bump(TreatmentPlan, plan, start, cast.clinician_a, status=PlanStatus.OPEN)
    assert not isinstance(err.value, Conflict)
    assert err.value.message == "This plan can no longer be changed."
    assert fresh(plan).revision == start


@pytest.mark.parametrize("value", [None, "", "two", "1.5", object()])
def test_a_missing_or_unreadable_revision_is_refused(value):
    with pytest.raises(ApplicationError) as err:
        expected_revision(value)
    message = "Say which revision of the plan this change was made from."
    assert err.value.fields == {"revision": [message]}


@pytest.mark.parametrize("value", [0, -1, "0"])
def test_a_revision_below_one_is_refused(value):
    with pytest.raises(ApplicationError) as err:
        expected_revision(value)
    assert err.value.fields == {"revision": ["A revision is a number from 1."]}


@pytest.mark.parametrize(("value", "number"), [(1, 1), ("1", 1), ("7", 7), (12, 12)])
def test_a_revision_from_one_up_is_read_as_a_number(value, number):
    assert expected_revision(value) == number


def test_an_edit_changes_only_its_own_plan_not_others_at_the_same_revision(cast):
    mine = small_plan(cast.clinician_a, cast.episode_a)
    other = small_plan(cast.clinician_b, cast.episode_b)
    TreatmentPlan.objects.filter(pk=other.pk).update(revision=fresh(mine).revision)
    before = fresh(other)
    bump(TreatmentPlan, mine, fresh(mine).revision, cast.clinician_a)
    after = fresh(other)
    assert (after.revision, after.changed_by_id, after.changed_at) == (
        before.revision,
        before.changed_by_id,
        before.changed_at,
    )
