"""Demo history of billing: the organization as a community mental health
center (Medicare type of bill 76X), a payer for every coverage the demo's
patients carry with rule sets from the templates, authorizations (most
approved for the last five weeks, a few about to run out, one only requested,
one patient without any), Medicare certifications (one lapsed), the past
sessions' notes, then five weeks of days judged, the older ready days charged
and one day written off. All synthetic.

Payers, rules, authorizations, certifications, charges and the write-off go
through the services billing staff use. The past notes of three weeks are
written directly, with one audit event for the lot (the program kept them
before it billed from OpenIOP); a few are left as the demo's held days need
them: drafts, a note without a plan objective, near-identical parts (these go
through the note services).

Held days of every kind the demo can show: notes missing or unsigned, a note
not linked to an objective, near-identical parts, short minutes (late
arrivals), too few days in the week (the weekend tracks), no authorization,
a requested one, an exhausted one, a lapsed certification, no primary
diagnosis, an overdue plan review, too few services for Medicare.
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from openiop.accounts.models import User
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import Authorization, Certification, Payer, ProviderKind
from openiop.billing.rule_templates import template_rule
from openiop.billing.selectors import authorization_used
from openiop.billing.services.authorizations import (
    authorization_create,
    authorization_decide,
    authorization_update,
)
from openiop.billing.services.certifications import (
    attestation_for,
    certification_draft,
    certification_sign,
)
from openiop.billing.services.charges import charges_create
from openiop.billing.services.days import day_write_off, days_evaluate
from openiop.billing.services.payers import (
    billing_profile_set,
    organization_combos,
    payer_create,
    rules_set,
)
from openiop.care.models import Episode, EpisodeStatus
from openiop.consent.models import RecipientKind
from openiop.consent.recipients import recipient_create
from openiop.demo import names
from openiop.demo.scheduling import PARTS, TOPICS
from openiop.patients.models import Coverage, PayerType
from openiop.scheduling.models import ATTENDED, Attendance, Note, NoteEntry, Session
from openiop.scheduling.records import NoteKind, NoteStatus
from openiop.scheduling.services import notes as note_services

WINDOW_DAYS = 35
CHARGED_UNTIL = 10  # days ago: older ready days are charged
# payer kind -> payer id prefix (synthetic electronic ids)
PAYER_IDS = {
    PayerType.MEDICAID: "ORMCD",
    PayerType.COMMERCIAL: "DEMO",
    PayerType.MEDICARE: "MCRDM",
    PayerType.TRICARE: "TRIDM",
    PayerType.SELF_PAY: "",
}
# payer kind -> (H0015 rate, S9480 rate) a day; synthetic, like the contracts' own
DAY_RATES = {
    PayerType.MEDICAID: ("165.00", "185.00"),
    PayerType.COMMERCIAL: ("250.00", "290.00"),
    PayerType.TRICARE: ("230.00", "260.00"),
    PayerType.SELF_PAY: ("150.00", "150.00"),
}
# Medicare IOP: a rate per service code and per day in two tiers (synthetic)
MEDICARE_RATES = {"G0410": "65.00", "G0176": "35.00", "G0177": "40.00", "90834": "110.00",
                  "90847": "120.00", "99213": "95.00"}  # fmt: skip
MEDICARE_TIERS = ("260.00", "300.00")
NEEDS_AUTHORIZATION = {PayerType.MEDICAID, PayerType.COMMERCIAL, PayerType.TRICARE}
DAP = (
    "Reviewed the week's trigger log together; {n} named two high-risk evenings.",
    "Engaged, on time; cravings lower than at admission by the patient's own rating.",
    "Keep the evening plan; practise the refusal script before the family visit.",
)


def build_billing(org, rng, today: dt.date) -> dict:
    users = {u.username: u for u in User.objects.filter(memberships__organization=org)}
    billing, intake = users["billing"], users["intake"]
    billing_profile_set(actor=billing, organization=org, provider_kind=ProviderKind.CMHC)
    payers = _payers(org, billing, users["admin"])
    _link_coverages(org, payers)
    start = today - dt.timedelta(days=WINDOW_DAYS)
    episodes = list(
        Episode.objects.filter(organization=org, status=EpisodeStatus.ACTIVE)
        .select_related("patient", "program", "primary_clinician")
        .order_by("pk")
    )
    closed = list(
        Episode.objects.filter(
            organization=org, status=EpisodeStatus.DISCHARGED, discharged_on__gte=start
        )
        .select_related("patient", "program", "primary_clinician")
        .order_by("pk")
    )
    coverage = {
        c.patient_id: c
        for c in Coverage.objects.filter(patient__organization=org, payer__isnull=False)
        .select_related("payer")
        .order_by("is_primary", "pk")
    }
    counts = {"notes": _document_sessions(org, rng, today, users)}
    auths = _authorizations(rng, today, intake, episodes + closed, coverage)
    _certifications(today, users, episodes, coverage)
    _closed_certifications(org, users, closed, coverage)
    days_evaluate(organization=org, start=start, end=today)
    _running_out(today, intake, auths)
    days_evaluate(organization=org, start=start, end=today)
    charged = charges_create(
        organization=org, through=today - dt.timedelta(days=CHARGED_UNTIL), actor=billing
    )
    _write_off(org, billing)
    counts.update(
        authorizations=len(auths),
        charged_days=charged["days"],
        days=dict(
            BillingDay.objects.filter(organization=org)
            .values("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        ),
    )
    return counts


# --- payers and rules -------------------------------------------------------------


def _template_for(kind: str, focus: str) -> str:
    if kind == PayerType.MEDICARE:
        return "medicare_iop"
    if kind == PayerType.SELF_PAY:
        return "self_pay"
    return "commercial_psych_s9480" if focus == "mental_health" else "commercial_sud_h0015"


def _payers(org, actor, admin) -> dict[str, Payer]:
    """Each payer with its rules and, but for self-pay, its Part 2 recipient
    (where its concurrent review packets are sent)."""
    combos = organization_combos(org.pk)
    out = {}
    for i, (kind, name) in enumerate(names.PAYERS):
        prefix = PAYER_IDS.get(kind, "DEMO")
        recipient = None
        if kind != PayerType.SELF_PAY:
            recipient = recipient_create(
                actor=admin,
                organization=org,
                name=name,
                kind=RecipientKind.PAYER,
                contact=f"utilization.review{i + 1}@example.test",
            )
        payer = payer_create(
            actor=actor,
            organization=org,
            name=name,
            kind=kind,
            payer_id=f"{prefix}{i + 1:02d}" if prefix else "",
            recipient=recipient,
        )
        rules = [
            _priced(template_rule(_template_for(kind, f), level, f), kind) for level, f in combos
        ]
        rules_set(actor=actor, payer=payer, rules=rules)
        out[name] = payer
    return out


def _priced(rule: dict, kind: str) -> dict:
    """The template's rule with the demo contract's rates (templates leave them blank)."""
    if kind == PayerType.MEDICARE:
        rule["tier_3_rate"], rule["tier_4_rate"] = MEDICARE_TIERS
        for service in rule["services"]:
            service["rate"] = MEDICARE_RATES.get(service["code"])
    elif kind in DAY_RATES:
        h0015, s9480 = DAY_RATES[kind]
        rule["per_diem_rate"] = s9480 if rule["per_diem_code"] == "S9480" else h0015
    return rule


def _link_coverages(org, payers) -> None:
    """The demo's coverages name the payers: link each to its payer (one audit event)."""
    linked = 0
    for name, payer in payers.items():
        linked += Coverage.objects.filter(
            patient__organization=org, payer_name=name, payer__isnull=True
        ).update(payer=payer, payer_type=payer.kind, updated_at=timezone.now())
    audit_record(
        actor=None,
        action=Action.EXECUTE,
        event="demo.coverages_linked",
        organization_id=org.pk,
        detail={"coverages": linked},
        actor_name="openiop demo",
    )


# --- notes ------------------------------------------------------------------------


def _document_sessions(org, rng, today, users) -> int:
    """Signed notes for the past weeks' sessions with attendees, except the last
    two days (not written yet) and the few kept for the worklist's reasons."""
    now = timezone.now()
    attended = Attendance.objects.filter(session=OuterRef("pk"), status__in=ATTENDED)
    sessions = list(
        Session.objects.filter(organization=org, starts_at__lt=now, status="scheduled")
        .filter(Exists(attended))
        .exclude(notes__isnull=False)
        .exclude(session_type__code="drug_testing")
        .select_related("session_type", "facilitator", "program")
        .order_by("starts_at", "pk")
    )
    recent = today - dt.timedelta(days=1)
    older = [s for s in sessions if s.date < recent]
    groups = [s for s in older if s.session_type.is_group and s.facilitator_id]
    # the note services write the few notes the worklist's reasons need
    special = _special_notes(rng, groups, today)
    bulk = [s for s in older if s.pk not in special and s.facilitator_id]
    return _bulk_notes(org, rng, bulk) + len(special)


def _attendees(session) -> list[int]:
    return list(
        session.attendance.filter(status__in=ATTENDED)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
    )


def _special_notes(rng, groups, today) -> set[int]:
    """Last week's drafts, a note with a part linked to no objective, a signed
    note with two near-identical parts (the clinician confirmed them)."""
    last_week = today - dt.timedelta(days=today.weekday() + 7)
    pool = [s for s in groups if last_week <= s.date < last_week + dt.timedelta(days=7)] or groups
    pool = [s for s in pool if len(_attendees(s)) >= 2]
    rng.shuffle(pool)
    picked = pool[:5]
    for i, s in enumerate(picked):
        who = s.facilitator
        note = note_services.note_start(actor=who, session=s)
        entries = list(note.entries.select_related("patient"))
        objectives = note_services.objectives_for([e.patient_id for e in entries], note.program_id)
        parts = {}
        for j, e in enumerate(entries):
            name = e.patient.preferred_name or e.patient.legal_given_name
            text = PARTS[(i + j) % len(PARTS)].format(n=name, d=rng.randint(3, 40))
            if i == 4:  # near-identical: the same words with another name
                text = PARTS[0].format(n="This member", d=7)
            keys = [o.pk for o in objectives.get(e.patient_id, [])[:1]]
            if i == 3 and j == 0:
                keys = []  # the part says nothing of the plan
            parts[e.patient_id] = (text, keys)
        note = note_services.note_save(
            actor=who,
            note=note,
            revision=note.revision,
            topic=TOPICS[i % len(TOPICS)],
            interventions="Cognitive behavioural therapy; peer feedback.",
            group_part="Check-in, then a structured exercise on high-risk situations "
            "(synthetic note).",
            entries=parts,
        )
        if i >= 3:
            note_services.note_sign(actor=who, note=note, confirm_similar=True)
    return {s.pk for s in picked}


def _bulk_notes(org, rng, sessions) -> int:
    """Signed notes written directly: a group note with an individual part for
    each attendee linked to a plan objective, or a DAP note."""
    by_program = defaultdict(list)
    for s in sessions:
        by_program[s.program_id].append(s)
    marks = defaultdict(list)
    for sid, pid in (
        Attendance.objects.filter(session__in=sessions, status__in=ATTENDED)
        .order_by("patient_id")
        .values_list("session_id", "patient_id")
    ):
        marks[sid].append(pid)
    patients = {
        p.pk: p.preferred_name or p.legal_given_name
        for p in _patients({pid for pids in marks.values() for pid in pids})
    }
    objectives = {}
    for program_id, rows in by_program.items():
        pids = {pid for s in rows for pid in marks[s.pk]}
        for pid, objs in note_services.objectives_for(pids, program_id).items():
            objectives[(program_id, pid)] = objs[: 1 + pid % 2]
    notes, entries = [], []
    for i, s in enumerate(sessions):
        signed_at = s.ends_at + dt.timedelta(hours=rng.randint(1, 20))
        group = s.session_type.is_group
        who = patients[marks[s.pk][0]]
        note = Note(
            organization_id=org.pk,
            program_id=s.program_id,
            session=s,
            kind=NoteKind.GROUP if group else NoteKind.DAP,
            status=NoteStatus.SIGNED,
            topic=s.topic or (TOPICS[i % len(TOPICS)] if group else ""),
            interventions="Cognitive behavioural therapy; motivational interviewing."
            if group
            else "",
            group_part="Check-in on the week, then a structured exercise; members practised "
            "refusal skills in pairs (synthetic note)."
            if group
            else "",
            participants=len(marks[s.pk]),
            data="" if group else DAP[0].format(n=who),
            assessment="" if group else DAP[1],
            plan="" if group else DAP[2],
            signed_by_id=s.facilitator_id,
            signed_at=signed_at,
            created_by_id=s.facilitator_id,
        )
        notes.append(note)
        for j, pid in enumerate(marks[s.pk]):
            chosen = objectives.get((s.program_id, pid), [])
            text = (
                PARTS[(i * 3 + j) % len(PARTS)].format(n=patients[pid], d=rng.randint(3, 40))
                if group
                else ""
            )
            entries.append((note, pid, text, chosen))
    Note.objects.bulk_create(notes, batch_size=500)
    rows = [
        NoteEntry(
            organization_id=org.pk,
            note=note,
            patient_id=pid,
            text=text,
            objective_keys=[str(o.key) for o in chosen],
        )
        for note, pid, text, chosen in entries
    ]
    NoteEntry.objects.bulk_create(rows, batch_size=500)
    through = NoteEntry.objectives.through
    through.objects.bulk_create(
        [
            through(noteentry_id=row.pk, planobjective_id=o.pk)
            for row, (_n, _p, _t, chosen) in zip(rows, entries, strict=True)
            for o in chosen
        ],
        batch_size=1000,
    )
    audit_record(
        actor=None,
        action=Action.EXECUTE,
        event="demo.notes",
        organization_id=org.pk,
        patient_ids=sorted(patients),
        detail={"notes": len(notes), "entries": len(rows)},
        actor_name="openiop demo",
    )
    return len(notes)


def _patients(ids):
    from openiop.patients.models import Patient

    return Patient.objects.filter(pk__in=ids).only("pk", "preferred_name", "legal_given_name")


# --- authorizations and certifications ---------------------------------------------


def _authorizations(rng, today, actor, episodes, coverage) -> list[Authorization]:
    """Approved for the last five weeks (more units than needed; `_running_out`
    trims a few), one only requested, one patient without any."""
    needing = [
        e
        for e in episodes
        if coverage.get(e.patient_id) and coverage[e.patient_id].payer.kind in NEEDS_AUTHORIZATION
    ]
    made = []
    for i, e in enumerate(needing):
        if i == 1:
            continue  # nobody asked the payer: every day held for it
        payer = coverage[e.patient_id].payer
        starts = max(e.admitted_on, today - dt.timedelta(days=WINDOW_DAYS))
        ends = today + dt.timedelta(days=5 if i in (3, 14) else rng.randint(14, 30))
        if e.discharged_on:
            ends = e.discharged_on
        auth = authorization_create(
            actor=actor,
            episode=e,
            payer=payer,
            level_of_care=e.program.level_of_care,
            requested_units=30,
            starts_on=starts,
            ends_on=ends,
            reviewer=e.primary_clinician,
            payer_reviewer=f"Care manager (demo), 555-03{i:02d}",
        )
        if i == 2:
            continue  # sent, the payer has not answered
        review = today + dt.timedelta(days=rng.randint(-2, 6))
        auth = authorization_decide(
            actor=actor,
            authorization=auth,
            decision="approved",
            number=f"DA{rng.randint(100000, 999999)}",
            units=30,
            # a discharged patient's care is not reviewed again
            next_review_on=None if e.discharged_on else min(max(review, starts), ends),
        )
        made.append(auth)
    return made


def _running_out(today, actor, auths) -> None:
    """Trim a few approvals to what the days used (the payer approved fewer):
    two at 80% or more, one used up before the last days."""
    used = authorization_used([a.pk for a in auths])
    busy = sorted((a for a in auths if used.get(a.pk, 0) >= 5), key=lambda a: a.pk)
    for k, auth in enumerate(busy[:3]):
        n = used[auth.pk]
        units = n - 2 if k == 0 else n + 1  # the first one runs out before its last days
        authorization_update(actor=actor, authorization=auth, units=units)


def _certifications(today, users, episodes, coverage) -> None:
    """Medicare patients' certifications, signed at admission; one lapsed.

    A certification covers days from its signature on; the demo's were signed
    at admission, so they are signed today and moved back, like the plans."""
    signer = users["prescriber"]
    medicare = sorted(
        (
            e
            for e in episodes
            if coverage.get(e.patient_id)
            and coverage[e.patient_id].payer.kind == PayerType.MEDICARE
        ),
        key=lambda e: (e.admitted_on, e.pk),
    )
    for i, e in enumerate(medicare):
        cert = certification_draft(
            actor=signer,
            episode=e,
            weekly_hours="9" if i % 2 else "12",
            statement="Needs structured treatment at least 9 hours a week to prevent "
            "inpatient care (synthetic).",
            covers_from=today,
        )
        cert = certification_sign(actor=signer, certification=cert)
        span = cert.covers_through - cert.covers_from
        covers_from = e.admitted_on
        covers_through = covers_from + span
        if i == 0:  # lapsed: nobody recertified
            covers_through = min(covers_through, today - dt.timedelta(days=8))
            covers_through = max(covers_through, covers_from)
        Certification.objects.filter(pk=cert.pk).update(
            covers_from=covers_from,
            covers_through=covers_through,
            signed_at=timezone.make_aware(dt.datetime.combine(covers_from, dt.time(16))),
        )


def _closed_certifications(org, users, closed, coverage) -> None:
    """Discharged Medicare patients' certifications, written directly (the
    services write to open episodes only), with one audit event."""
    signer = users["prescriber"]
    rows = [
        Certification(
            organization_id=org.pk,
            episode=e,
            patient_id=e.patient_id,
            kind="initial",
            status="signed",
            weekly_hours=9,
            statement="Needs structured treatment at least 9 hours a week (synthetic).",
            covers_from=e.admitted_on,
            covers_through=max(e.discharged_on, e.admitted_on + dt.timedelta(days=59)),
            signed_by=signer,
            signer_name=signer.get_display_name(),
            credentials="PMHNP",
            signed_at=timezone.make_aware(dt.datetime.combine(e.admitted_on, dt.time(16))),
            created_by=signer,
        )
        for e in closed
        if coverage.get(e.patient_id) and coverage[e.patient_id].payer.kind == PayerType.MEDICARE
    ]
    for r in rows:
        r.attestation = attestation_for(r)
    Certification.objects.bulk_create(rows)
    audit_record(
        actor=None,
        action=Action.EXECUTE,
        event="demo.certifications",
        organization_id=org.pk,
        patient_ids=sorted(r.patient_id for r in rows),
        detail={"certifications": len(rows)},
        actor_name="openiop demo",
    )


def _write_off(org, actor) -> None:
    day = (
        BillingDay.objects.filter(organization=org, status=DayStatus.HELD, held_for=",week,")
        .order_by("date", "pk")
        .first()
    ) or BillingDay.objects.filter(organization=org, status=DayStatus.HELD).order_by("date").first()
    if day is not None:
        day_write_off(
            actor=actor,
            day=day,
            reason="One day in the week: below the payer's three days, not billable (synthetic).",
        )
