"""Two clinicians save an edit made from the same revision of a plan at the
same moment, in two real threads with their own database connections: one
edit lands, the other is refused naming who changed the plan and when, and
nothing of the refused edit is written. Runs on SQLite and on PostgreSQL
(the CI runs the suite on both)."""

import contextlib
import tempfile
import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from openiop.care.plans.plan_models import PlanProblem, TreatmentPlan
from openiop.care.plans.services.plan import plan_item_save
from openiop.care.plans.services.relapse import relapse_plan_save
from openiop.core.errors import Conflict
from tests.plans_helpers import small_plan

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def real_database():
    """Threads get their own connections to the test database.

    PostgreSQL: as it is. SQLite: the test database is in memory with a shared
    cache, where a second writer fails at once ("table is locked") instead of
    waiting as it does on the file database the app uses; so the threads work
    on a file copy of it, with the app's WAL and busy_timeout settings.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "race.sqlite3")
        import sqlite3

        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        before = connections.settings["default"]
        connections.settings["default"] = {**before, "NAME": path}
        try:
            yield
        finally:
            connections.settings["default"] = before


def in_thread(job):
    return race(job)[0]


def race(*jobs):
    """Run the jobs in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_concurrent_edits_from_the_same_revision_one_wins_one_is_refused(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    start = plan.revision

    def edit(actor, text):
        def job():
            mine = TreatmentPlan.objects.select_related("episode__program__site").get(pk=plan.pk)
            return plan_item_save(
                actor=actor, plan=mine, revision=start, kind="problem", statement=text
            )

        return job

    with real_database():
        results = race(
            edit(cast.clinician_a, "Added by the clinician (synthetic)"),
            edit(cast.director_a, "Added by the director (synthetic)"),
        )
        revision, added = in_thread(
            lambda: (
                TreatmentPlan.objects.get(pk=plan.pk).revision,
                list(
                    PlanProblem.objects.filter(statement__startswith="Added by").values_list(
                        "statement", flat=True
                    )
                ),
            )
        )
    won = [r for r in results if isinstance(r, PlanProblem)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(refused) == 1, results
    winner = won[0].created_by
    assert f"{winner.display_name} changed this plan at" in refused[0].message
    assert f"revision {start + 1}" in refused[0].message
    assert revision == start + 1
    assert added == [won[0].statement]


def test_concurrent_edits_of_the_relapse_prevention_plan_lose_nothing(cast):
    fields = dict(
        triggers="t", warning_signs="w", coping_strategies="c", people_to_call="Sam 555-0100"
    )
    rpp = relapse_plan_save(actor=cast.clinician_a, episode=cast.episode_a, **fields)

    def edit(actor, coping):
        return lambda: relapse_plan_save(
            actor=actor,
            episode=cast.episode_a,
            revision=rpp.revision,
            **{**fields, "coping_strategies": coping},
        )

    with real_database():
        results = race(
            edit(cast.clinician_a, "Call my sponsor"), edit(cast.director_a, "Go running")
        )
        saved = in_thread(lambda: type(rpp).objects.get(pk=rpp.pk))
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    winner = next(r for r in results if not isinstance(r, Conflict))
    assert saved.revision == 2 and saved.coping_strategies == winner.coping_strategies
