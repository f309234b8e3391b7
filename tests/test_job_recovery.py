"""A worker that dies mid-job: the job is retried once by another worker,
then given up with a reason; the job's own record (a solver run) follows."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openiop.operations.models import WorkerHeartbeat
from openiop.operations.recovery import recover_lost_jobs
from openiop.scheduling.models import RunStatus, SolverRun
from openiop.scheduling.services.runs import solver_run_start
from tests.scheduling_helpers import next_monday, world

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def beat(worker_id: str, seconds_ago: float) -> None:
    when = timezone.now() - dt.timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": "test", "pid": 1, "started_at": when, "beat_at": when},
    )


def claimed_by(job_id, worker_id: str, *, seconds_ago: float = 120) -> DBTaskResult:
    job = DBTaskResult.objects.get(pk=job_id)
    job.claim(worker_id)
    DBTaskResult.objects.filter(pk=job_id).update(
        started_at=timezone.now() - dt.timedelta(seconds=seconds_ago)
    )
    return job


@pytest.fixture
def probe_job(db, settings):
    from openiop.operations.tasks import probe

    settings.TASKS = DATABASE
    return probe.enqueue("recovery-test", 1).id


def test_a_dead_workers_job_is_requeued_once_then_failed(probe_job):
    beat("dead-1", seconds_ago=300)
    beat("alive", seconds_ago=1)
    claimed_by(probe_job, "dead-1")
    assert recover_lost_jobs() == {"requeued": 1, "failed": 0}
    job = DBTaskResult.objects.get(pk=probe_job)
    assert job.status == "READY" and job.started_at is None and job.worker_ids == ["dead-1"]
    assert recover_lost_jobs() == {"requeued": 0, "failed": 0}  # nothing more to do

    claimed_by(probe_job, "dead-2")  # no heartbeat at all
    assert recover_lost_jobs() == {"requeued": 0, "failed": 1}
    job = DBTaskResult.objects.get(pk=probe_job)
    assert job.status == "FAILED" and job.worker_ids == ["dead-1", "dead-2"]
    assert job.exception_class_path == "openiop.operations.recovery.WorkerLost"
    assert "stopped, 2 times" in job.traceback


def test_a_living_workers_long_job_is_left_alone(probe_job):
    WorkerHeartbeat.objects.create(
        worker_id="busy",
        host="test",
        pid=3,
        started_at=timezone.now() - dt.timedelta(hours=2),
        beat_at=timezone.now() - dt.timedelta(seconds=2),
    )
    claimed_by(probe_job, "busy", seconds_ago=3600)
    assert recover_lost_jobs() == {"requeued": 0, "failed": 0}
    assert DBTaskResult.objects.get(pk=probe_job).status == "RUNNING"


def test_a_worker_restarted_under_the_same_id_does_not_keep_its_old_job(probe_job):
    # systemd restarts openiop-worker@1 under the same id: the id beats, but
    # from a process that started after the job was claimed
    claimed_by(probe_job, "host-1", seconds_ago=120)
    WorkerHeartbeat.objects.create(
        worker_id="host-1",
        host="test",
        pid=2,
        started_at=timezone.now() - dt.timedelta(seconds=30),
        beat_at=timezone.now(),
    )
    assert recover_lost_jobs() == {"requeued": 1, "failed": 0}


def test_a_job_claimed_a_moment_ago_is_left_alone(probe_job):
    # its worker has not beaten yet (it has just started): not taken for dead
    claimed_by(probe_job, "new-worker", seconds_ago=5)
    assert recover_lost_jobs() == {"requeued": 0, "failed": 0}


def dead_solver_run(cast, settings, capture):
    settings.TASKS = DATABASE
    world(cast)
    with capture(execute=True):  # the job is enqueued when the run commits
        run = solver_run_start(
            actor=cast.director_a, program=cast.program_a, week=next_monday(), time_limit_s=2
        )
    job = DBTaskResult.objects.get(task_path="openiop.scheduling.tasks.run_solver")
    # the first worker claimed both the job and the run, then died
    claimed_by(job.pk, "dead-1")
    SolverRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, percent=40)
    return run, job


def test_a_solver_run_whose_worker_died_is_taken_over_by_the_retry(
    cast, settings, transactional_db, django_capture_on_commit_callbacks
):
    run, job = dead_solver_run(cast, settings, django_capture_on_commit_callbacks)
    assert recover_lost_jobs()["requeued"] == 1
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "w2")
    job.refresh_from_db()
    run.refresh_from_db()
    assert job.status == "SUCCESSFUL" and job.worker_ids == ["dead-1", "w2"]
    assert run.status == RunStatus.DONE and run.percent == 100


def test_a_solver_run_lost_twice_is_failed_with_the_reason(
    cast, settings, django_capture_on_commit_callbacks
):
    run, job = dead_solver_run(cast, settings, django_capture_on_commit_callbacks)
    assert recover_lost_jobs()["requeued"] == 1
    claimed_by(job.pk, "dead-2")
    assert recover_lost_jobs()["failed"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "The worker running the optimizer stopped twice; start the run again."


@pytest.mark.django_db(transaction=True)
def test_workers_recovering_at_once_requeue_a_job_once(settings):
    from django.db import connection

    from openiop.operations.tasks import probe
    from tests.security.test_races import race

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (CI runs this there)")
    settings.TASKS = DATABASE
    job_id = probe.enqueue("recovery-race", 1).id
    claimed_by(job_id, "dead-1")
    results = race(lambda i: recover_lost_jobs())
    assert sum(r["requeued"] for r in results) == 1, results
    job = DBTaskResult.objects.get(pk=job_id)
    assert job.status == "READY" and job.worker_ids == ["dead-1"]


def test_an_export_left_running_is_started_again_from_nothing(cast, settings, tmp_path):
    from openiop.interop.models import ExportJob, ExportStatus
    from openiop.interop.services.jobs import export_job_run, export_job_start, job_dir

    settings.FHIR_EXPORT_DIR = tmp_path
    job = export_job_start(actor=cast.director_a, organization=cast.org)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, patients_done=7)
    job_dir(job).mkdir(parents=True)
    (job_dir(job) / "Half.ndjson").write_text("{}\n")  # what the dead worker left
    assert export_job_run(job.pk) == {"skipped": True}  # a first attempt does not take it
    export_job_run(job.pk, resume=True)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert not (job_dir(job) / "Half.ndjson").exists()


def test_safety_sweeps_stay_one_chain(cast, settings, django_capture_on_commit_callbacks):
    """Each raised alert asks for a sweep; queued sweeps do not multiply (each
    sweep schedules its successor, so one waiting is enough)."""
    from openiop.measures.tasks import start_sweeps
    from tests.test_safety_net import item9

    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=True):
        item9(cast)  # an open safety alert, so a sweep is due
    start_sweeps()
    start_sweeps()
    waiting = DBTaskResult.objects.filter(
        task_path="openiop.measures.tasks.safety_sweep", status="READY"
    )
    assert waiting.count() == 1
