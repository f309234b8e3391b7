"""Demo history for measurement-based care: schedules, PHQ-9 / GAD-7 / AUDIT-C
(and DAST-10, BAM) over time, drug tests, check-ins and open safety alerts.

Everything goes through the services (so it is scored and audited like real
use) and is synthetic; the trajectories are invented to look like a program
where most people improve and some do not.
"""

import datetime as dt
import random

from openiop.accounts.models import Membership, User
from openiop.care.models import Episode, EpisodeStatus
from openiop.measures import services
from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import AlertStatus, Instrument, LinkPurpose, SafetyAlert

# program name -> (instrument code, at admission, every N weeks, at discharge)
SCHEDULES = {
    "Adult Substance Use IOP": [
        ("auditc", True, None, True),
        ("dast10", True, None, True),
        ("bam", True, 4, True),
        ("phq9", True, 4, True),
    ],
    "Adult Mental Health IOP": [("phq9", True, 2, True), ("gad7", True, 2, True)],
    "Adolescent IOP": [("phq9", True, 2, True), ("auditc", True, None, False)],
}
ACK_NOTES = [
    "Called the patient the same day; safety plan reviewed, no current intent.",
    "Seen in person after group; risk assessed low, crisis line numbers given.",
    "Discussed with the psychiatrist; medication reviewed, next visit moved up.",
]
SUBSTANCES_FOUND = ["cannabis", "alcohol", "cocaine", "benzodiazepines", "methamphetamine"]


def spread(rng: random.Random, total: int, n: int, top: int) -> list[int]:
    values = [0] * n
    for _ in range(min(total, n * top)):
        i = rng.choice([k for k in range(n) if values[k] < top])
        values[i] += 1
    return values


def build_measures_history(org, *, seed: int, today: dt.date) -> None:
    rng = random.Random(seed + 5)
    ensure_shipped()
    shipped = {i.code: i for i in Instrument.objects.filter(organization__isnull=True)}
    programs = {p.name: p for p in org.programs.all()}
    admin = User.objects.get(
        memberships__organization=org, memberships__role="administrator", username="admin"
    )
    for name, rows in SCHEDULES.items():
        if name in programs:
            services.schedule_save(
                actor=admin,
                program=programs[name],
                rows=[(shipped[code], adm, weeks, dis) for code, adm, weeks, dis in rows],
            )
    directors = {
        m.program_id: m.user
        for m in Membership.objects.filter(organization=org, role="program_director")
    }
    episodes = list(
        Episode.objects.filter(organization=org)
        .select_related("patient", "program", "primary_clinician")
        .order_by("id")
    )
    for ep in episodes:
        actor = ep.primary_clinician or directors.get(ep.program_id)
        if actor is None:
            continue
        _scores(rng, ep, actor, shipped, today)
        if ep.program.focus in ("substance_use", "co_occurring"):
            _drug_tests(rng, ep, actor, today)
    _checkins(rng, episodes, today)
    _acknowledge_old_alerts(rng, today)
    _open_alert(episodes, shipped, today)


def _end(ep, today):
    return ep.discharged_on or today


def _scores(rng, ep, actor, shipped, today):
    end = _end(ep, today)
    weeks = max(0, (end - ep.admitted_on).days // 7)
    improver = rng.random() < 0.7
    if ep.program.focus == "mental_health":
        codes = ["phq9", "gad7"]
        step = 2
    elif ep.program.focus == "co_occurring":
        codes = ["phq9"]
        step = 2
    else:
        codes = ["phq9"]
        step = 4
    for code in codes:
        top = 24 if code == "phq9" else 21
        base = rng.randint(9, 22)
        final = round(base * (rng.uniform(0.2, 0.55) if improver else rng.uniform(0.8, 1.1)))
        for week in range(0, weeks + 1, step):
            share = week / weeks if weeks else 0
            total = max(0, min(top, round(base + (final - base) * share + rng.randint(-2, 2))))
            n = 8 if code == "phq9" else 7
            answers = spread(rng, total, n, 3) + ([0] if code == "phq9" else [])
            services.response_record(
                actor=actor,
                patient=ep.patient,
                instrument=shipped[code],
                answers=answers,
                administered_on=ep.admitted_on + dt.timedelta(days=7 * week),
                episode=ep,
            )
    if ep.program.focus in ("substance_use", "co_occurring"):
        drinks = spread(rng, rng.randint(0, 9), 3, 4)
        if drinks[0] == 0:
            drinks = [0, None, None]
        services.response_record(
            actor=actor,
            patient=ep.patient,
            instrument=shipped["auditc"],
            answers=drinks,
            administered_on=ep.admitted_on,
            episode=ep,
        )
    if ep.program.focus == "substance_use":
        yes = rng.sample(range(1, 11), rng.randint(2, 7))
        services.response_record(
            actor=actor,
            patient=ep.patient,
            instrument=shipped["dast10"],
            answers=["yes" if n in yes else "no" for n in range(1, 11)],
            administered_on=ep.admitted_on,
            episode=ep,
        )
        for week in range(0, max(1, (_end(ep, today) - ep.admitted_on).days // 7) + 1, 4):
            use = 0 if rng.random() < 0.6 else rng.randint(1, 3)
            answers = [rng.randint(0, 3), rng.randint(0, 3), rng.randint(0, 3)]
            answers += [use, 0 if not use else rng.randint(0, use), 0 if not use else 1]
            answers += [rng.randint(0, 2) if use else None for _ in range(7)]
            answers += [rng.randint(0, 3), rng.randint(1, 4), rng.randint(0, 4)]
            answers += [rng.randint(0, 2), rng.randint(0, 4), rng.randint(0, 4)]
            answers += [rng.choice([0, 4]), rng.randint(0, 3), rng.randint(1, 4), rng.randint(1, 4)]
            services.response_record(
                actor=actor,
                patient=ep.patient,
                instrument=shipped["bam"],
                answers=answers,
                administered_on=ep.admitted_on + dt.timedelta(days=7 * week),
                episode=ep,
            )


def _drug_tests(rng, ep, actor, today):
    services.recovery_set(
        actor=actor,
        patient=ep.patient,
        started_on=ep.admitted_on - dt.timedelta(days=rng.randint(2, 30)),
        reason="self_report",
        note="Last use as reported at intake.",
    )
    day = ep.admitted_on + dt.timedelta(days=3)
    while day <= _end(ep, today):
        roll = rng.random()
        if roll < 0.05:
            services.drug_test_record(
                actor=actor, patient=ep.patient, collected_on=day, status="missed", episode=ep
            )
        else:
            positive = roll > 0.9
            found = rng.choice(SUBSTANCES_FOUND) if positive else None
            results = [
                {"substance": s, "result": "positive" if s == found else "negative"}
                for s in (
                    "alcohol",
                    "cannabis",
                    "cocaine",
                    "opiates",
                    "fentanyl",
                    "benzodiazepines",
                )
            ]
            if found and found not in {r["substance"] for r in results}:
                results.append({"substance": found, "result": "positive"})
            services.drug_test_record(
                actor=actor,
                patient=ep.patient,
                collected_on=day,
                status="collected",
                specimen="urine",
                observed=rng.random() < 0.3,
                results=results,
                reset_recovery=positive and rng.random() < 0.5,
                episode=ep,
            )
        day += dt.timedelta(days=7)


def _checkins(rng, episodes, today):
    active = [e for e in episodes if e.status == EpisodeStatus.ACTIVE]
    for ep in active[:: max(1, len(active) // 10)]:
        mood, cravings = rng.randint(2, 5), rng.randint(4, 8)
        for back in range(20, -1, -1):
            day = today - dt.timedelta(days=back)
            if day < ep.admitted_on or rng.random() < 0.2:
                continue
            mood = max(0, min(10, mood + rng.choice([-1, 0, 1, 1])))
            cravings = max(0, min(10, cravings + rng.choice([-1, -1, 0, 1])))
            triggers = rng.sample(
                ["stress", "conflict", "lonely", "bored", "people", "tired"], k=rng.randint(0, 2)
            )
            services.checkin_record(
                actor=None,
                patient=ep.patient,
                mood=mood,
                cravings=cravings,
                triggers=triggers,
                day=day,
                source="link",
                episode=ep,
            )


def _acknowledge_old_alerts(rng, today):
    """Most past alerts were dealt with; their notes are the history."""
    for alert in SafetyAlert.objects.filter(status=AlertStatus.OPEN).select_related("episode"):
        who = alert.episode.primary_clinician if alert.episode else None
        if who is not None:
            services.alert_acknowledge(actor=who, alert=alert, note=rng.choice(ACK_NOTES))


def _open_alert(episodes, shipped, today):
    """One open alert on the demo clinician's caseload: a PHQ-9 the patient
    completed from a one-time link, with item 9 above 0."""
    candidates = [
        e for e in episodes if e.status == EpisodeStatus.ACTIVE and e.primary_clinician is not None
    ]
    ep = next((e for e in candidates if e.primary_clinician.username == "clinician"), None)
    ep = ep or (candidates[0] if candidates else None)
    if ep is None:
        return
    _link, token = services.link_create(
        actor=ep.primary_clinician,
        patient=ep.patient,
        purpose=LinkPurpose.QUESTIONNAIRE,
        instrument=shipped["phq9"],
    )
    services.link_submit_answers(token=token, answers=[2, 2, 1, 2, 1, 2, 1, 1, 1])
