"""Measurement history for a benchmark organization (`openiop seed`'s bench-*):
scored responses, drug tests and check-ins written with bulk_create, like the
seeder itself, with one audit event for the run. Deterministic for a seed.

Per episode, from admission to discharge (or today):
- PHQ-9 every 2 weeks; GAD-7 every 2 weeks in the mental health program;
- AUDIT-C at admission and BAM every 4 weeks in the substance use programs;
- a drug test every week in the substance use programs (about 8% positive,
  4% missed);
- daily check-ins over the last 60 days for one open episode in ten.
Scores come from the real scorer, so the stored totals and bands are right.
"""

import datetime as dt
import random
import time

from django.db import connection, transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import Episode, EpisodeStatus
from openiop.core import context
from openiop.demo import names
from openiop.measures import scoring
from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import (
    CheckIn,
    DrugTest,
    DrugTestResult,
    Instrument,
    Response,
    ResponseSource,
)

BATCH = 2000
CHUNK = 2000  # episodes per round of inserts


def has_measures(organization) -> bool:
    return Response.objects.filter(organization=organization).exists()


def seed_measures(organization, *, seed: int = 1) -> dict:
    """Write the history for every episode of the organization; returns counts."""
    started = time.perf_counter()
    ensure_shipped()
    shipped = {i.code: i for i in Instrument.objects.filter(organization__isnull=True)}
    seeder = _Seeder(organization, shipped, seed)
    with context.bind(via="cli", purpose="operations"), transaction.atomic():
        counts = seeder.run()
        audit_record(
            actor=None,
            action=Action.EXECUTE,
            event="seed.measures",
            organization_id=organization.pk,
            detail={"seed": seed, "counts": counts},
            actor_name="openiop bench outcomes",
        )
    _analyze()
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _analyze() -> None:
    """Refresh PostgreSQL's planner statistics after the bulk load, as the
    organization seeder does (autovacuum may be off on a benchmark server)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Response, DrugTest, DrugTestResult, CheckIn):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class _Seeder:
    def __init__(self, organization, shipped, seed):
        self.org = organization
        self.shipped = shipped
        self.rng = random.Random(f"measures/{seed}")
        self.uuid_rng = random.Random(f"measures-uuid/{organization.slug}/{seed}")
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.counts = {"responses": 0, "drug_tests": 0, "checkins": 0}

    def uuid(self):
        return names.rng_uuid(self.uuid_rng)

    def run(self) -> dict:
        episodes = Episode.objects.filter(organization=self.org).select_related("program")
        ids = list(episodes.order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), CHUNK):
            chunk = list(episodes.filter(id__in=ids[start : start + CHUNK]).order_by("id"))
            responses, tests, checkins = [], [], []
            for ep in chunk:
                self._episode(ep, responses, tests, checkins)
            Response.objects.bulk_create(responses, batch_size=BATCH)
            DrugTest.objects.bulk_create([t for t, _r in tests], batch_size=BATCH)
            DrugTestResult.objects.bulk_create(
                [DrugTestResult(test=t, **r) for t, rows in tests for r in rows], batch_size=BATCH
            )
            CheckIn.objects.bulk_create(checkins, batch_size=BATCH)
            self.counts["responses"] += len(responses)
            self.counts["drug_tests"] += len(tests)
            self.counts["checkins"] += len(checkins)
        return dict(self.counts)

    def _response(self, ep, code, day, answers) -> Response:
        result = scoring.score(self.shipped[code].definition, answers)
        return Response(
            uuid=self.uuid(),
            organization_id=ep.organization_id,
            patient_id=ep.patient_id,
            episode=ep,
            instrument=self.shipped[code],
            administered_on=day,
            administered_at=self.now - dt.timedelta(days=(self.today - day).days),
            answers=result.answers,
            total=result.total,
            band=result.band or "",
            band_label=result.band_label or "",
            severity=result.severity,
            scored=result.scored,
            result={k: v for k, v in result.as_dict().items() if k != "answers"},
            source=ResponseSource.STAFF,
            created_by_id=ep.primary_clinician_id,
        )

    def _episode(self, ep, responses, tests, checkins) -> None:
        rng = self.rng
        end = ep.discharged_on or self.today
        days = (end - ep.admitted_on).days
        focus = ep.program.focus
        improver = rng.random() < 0.65
        for code, n_items in (("phq9", 8), ("gad7", 7)):
            if code == "gad7" and focus != "mental_health":
                continue
            base = rng.randint(6, 22)
            final = round(base * (rng.uniform(0.2, 0.55) if improver else rng.uniform(0.8, 1.1)))
            for day_n in range(0, days + 1, 14):
                share = day_n / days if days else 0
                total = round(base + (final - base) * share + rng.randint(-2, 2))
                answers = _spread(rng, max(0, total), n_items, 3)
                if code == "phq9":
                    answers.append(1 if rng.random() < 0.03 else 0)
                day = ep.admitted_on + dt.timedelta(days=day_n)
                responses.append(self._response(ep, code, day, answers))
        if focus == "mental_health":
            return
        drinks = _spread(rng, rng.randint(0, 8), 3, 4)
        responses.append(
            self._response(ep, "auditc", ep.admitted_on, drinks if drinks[0] else [0, None, None])
        )
        for day_n in range(0, days + 1, 28):
            use = 0 if rng.random() < 0.6 else rng.randint(1, 3)
            answers = [rng.randint(0, 3) for _ in range(3)] + [use, 0, 1 if use else 0]
            answers += [rng.randint(0, 2) if use else None for _ in range(7)]
            answers += [rng.randint(0, 4) for _ in range(6)]
            answers += [rng.choice([0, 4]), rng.randint(0, 4), rng.randint(0, 4), rng.randint(0, 4)]
            responses.append(
                self._response(ep, "bam", ep.admitted_on + dt.timedelta(days=day_n), answers)
            )
        for day_n in range(3, days + 1, 7):
            tests.append(self._test(ep, ep.admitted_on + dt.timedelta(days=day_n)))
        if ep.status == EpisodeStatus.ACTIVE and rng.random() < 0.1:
            mood, cravings = rng.randint(2, 6), rng.randint(3, 8)
            for back in range(min(59, days), -1, -1):
                if rng.random() < 0.2:
                    continue
                mood = max(0, min(10, mood + rng.choice([-1, 0, 1, 1])))
                cravings = max(0, min(10, cravings + rng.choice([-1, -1, 0, 1])))
                checkins.append(
                    CheckIn(
                        uuid=self.uuid(),
                        organization_id=ep.organization_id,
                        patient_id=ep.patient_id,
                        episode=ep,
                        day=self.today - dt.timedelta(days=back),
                        mood=mood,
                        cravings=cravings,
                        triggers=rng.sample(
                            ["stress", "bored", "people", "tired"], k=rng.randint(0, 2)
                        ),
                        source="link",
                    )
                )

    def _test(self, ep, day):
        roll = self.rng.random()
        common = {
            "uuid": self.uuid(),
            "organization_id": ep.organization_id,
            "patient_id": ep.patient_id,
            "episode": ep,
            "collected_on": day,
        }
        if roll < 0.04:
            return DrugTest(status="missed", outcome="missed", **common), []
        found = self.rng.choice(["cannabis", "alcohol", "cocaine"]) if roll > 0.92 else None
        rows = [
            {"substance": s, "result": "positive" if s == found else "negative", "expected": False}
            for s in ("alcohol", "cannabis", "cocaine")
        ]
        test = DrugTest(
            status="collected",
            specimen="urine",
            outcome="positive" if found else "negative",
            positive_substances=[found] if found else [],
            **common,
        )
        return test, rows


def _spread(rng, total: int, n: int, top: int) -> list[int]:
    values = [0] * n
    for _ in range(min(total, n * top)):
        i = rng.choice([k for k in range(n) if values[k] < top])
        values[i] += 1
    return values
