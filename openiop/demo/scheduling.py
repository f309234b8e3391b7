"""Demo history of scheduling: session types, rooms and their kinds, staff
working hours, each track's recurring groups (group therapy, a psychoeducation
workshop, a skills group), patients' availability around work and school,
three past weeks of sessions with rosters and attendance (mostly present, some
late or absent), weekly individual sessions, a few signed group notes; then
the optimizer plans this week for the adult substance use program (published)
and next week (left for the director to review). All synthetic.

Past weeks are written through the session and attendance services (so they
are audited), as a program would have kept them before it used the optimizer.
"""

import datetime as dt
import random

from django.utils import timezone

from openiop.accounts.models import User
from openiop.care.models import Episode, EpisodeStatus
from openiop.organizations.models import Program, Room
from openiop.scheduling import localtime
from openiop.scheduling.models import (
    ATTENDED,
    RoomProfile,
    RunStatus,
    SessionSource,
    SessionType,
    SolverRun,
)
from openiop.scheduling.services import attendance as attendance_services
from openiop.scheduling.services import availability as avail
from openiop.scheduling.services import notes as note_services
from openiop.scheduling.services.runs import solver_run_execute, solver_run_publish
from openiop.scheduling.services.sessions import build_session, series_create
from openiop.scheduling.services.types import session_type_update, session_types_ensure

ROOMS = {  # site index -> (name, seats, kind)
    0: [("Group Room Cedar", 14, "group"), ("Group Room Maple", 12, "group"),
        ("Office 101", 3, "office"), ("Office 102", 3, "office"), ("Office 103", 4, "office")],
    1: [("Group Room Aspen", 12, "group"), ("Office 201", 3, "office"),
        ("Office 202", 4, "office")],
}  # fmt: skip
# username -> weekly hours: (weekdays 0-6, start, end)
HOURS = {
    "director": [((0, 1, 2, 3, 4), "08:00", "17:00")],
    "clinician": [((0, 1, 2, 3, 4), "08:00", "17:00"), ((5, 6), "08:30", "15:30")],
    "clinician2": [((0, 1, 2, 3, 4), "12:00", "21:30"), ((5,), "08:30", "14:00")],
    "director.mh": [((0, 1, 2, 3, 4), "08:00", "18:00")],
    "clinician3": [((0, 1, 2, 3, 4), "08:00", "17:00")],
    "clinician4": [((0, 1, 2, 3), "12:00", "21:00")],
    "clinician.teen": [((0, 1, 2, 3, 4), "11:00", "20:30"), ((5,), "08:30", "14:00")],
    "prescriber": [((0, 2, 3), "09:00", "19:00"), ((4,), "09:00", "13:00")],
}
# (program index, track name) -> who leads its groups, and its group room
LEADS = {
    (0, "Morning"): ("clinician", "Group Room Cedar"),
    (0, "Evening"): ("clinician2", "Group Room Cedar"),
    (0, "Weekend"): ("clinician", "Group Room Cedar"),
    (1, "Morning"): ("clinician3", "Group Room Maple"),
    (1, "Dual diagnosis evening"): ("clinician4", "Group Room Maple"),
    (2, "After school"): ("clinician.teen", "Group Room Aspen"),
    (2, "Saturday"): ("clinician.teen", "Group Room Aspen"),
}
PARTS = [
    "{n} named the drive past the old bar as a trigger and rehearsed another route.",
    "{n} was quiet early on; later shared a craving on Sunday and how the urge passed.",
    "{n} practised the urge-surfing exercise and rated cravings 6 before, 3 after.",
    "{n} described an argument at home and used the pause-and-plan steps afterwards.",
    "{n} reported {d} days without use and gave feedback to a newer member.",
    "{n} struggled to stay on topic; redirected twice, then listed three coping options.",
    "{n} brought the completed trigger log and identified evenings alone as highest risk.",
    "{n} challenged an all-or-nothing thought about a lapse with support from peers.",
]
TOPICS = ["Triggers and cravings", "Relapse prevention", "Stress and emotions"]


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _windows_for(track) -> list[avail.Window]:
    """A patient's week around work or school, by the track they chose."""
    s = track.start_time
    if track.kind == "morning":
        return [avail.Window(d, _t("08:30"), _t("15:30"), "works afternoons") for d in range(5)]
    if track.kind == "evening":
        note = "after work"
        return [
            avail.Window(d, _t("14:00") if d < 4 else _t("16:00"), _t("21:30"), note)
            for d in range(5)
        ]
    if track.kind == "afternoon":
        return [avail.Window(d, _t("15:00"), _t("20:30"), "after school") for d in range(5)]
    return [avail.Window(d, _t("17:00"), _t("19:00"), "after work") for d in range(5)] + [
        avail.Window(d, _t("08:30"), max(s, _t("15:30")), "weekend") for d in (5, 6)
    ]


def _slots_for(track) -> list[dt.time]:
    """When a patient of this track sees their therapist."""
    if track.kind == "morning":
        return [_t("12:30"), _t("13:30"), _t("14:30")]
    if track.kind == "evening":
        start = localtime.minutes(track.start_time)
        return [localtime.time_of(start - 60 * k) for k in (1, 2, 3)]
    if track.kind == "afternoon":
        return [track.end_time]
    return [_t("17:00")]


class _Book:
    """Who is busy when (so the history never double-books anyone)."""

    def __init__(self) -> None:
        self.busy: dict[tuple, list[tuple[int, int]]] = {}

    def free(self, keys, date, start: dt.time, minutes: int) -> bool:
        a = localtime.minutes(start)
        return all(
            not any(a < e and s < a + minutes for s, e in self.busy.get((k, date), []))
            for k in keys
        )

    def take(self, keys, date, start: dt.time, minutes: int) -> None:
        a = localtime.minutes(start)
        for k in keys:
            self.busy.setdefault((k, date), []).append((a, a + minutes))


def build_scheduling_history(org, *, seed: int = 2026, today: dt.date | None = None) -> None:
    rng = random.Random(seed + 4)
    today = today or timezone.localdate()
    this_week = localtime.monday(today)
    users = {u.username: u for u in User.objects.filter(memberships__organization=org)}
    director = users["director"]
    session_types_ensure(org)
    types = {t.code: t for t in SessionType.objects.filter(organization=org)}
    for t in types.values():  # a small program runs groups from three members
        if t.is_group:
            session_type_update(actor=director, session_type=t, min_size=3)
    programs = list(Program.objects.filter(organization=org).select_related("site").order_by("id"))
    sites = sorted({p.site for p in programs}, key=lambda s: s.pk)
    rooms: dict[str, Room] = {}
    for i, site in enumerate(sites):
        for name, seats, kind in ROOMS.get(i, []):
            room = Room.objects.create(site=site, name=name, capacity=seats)
            RoomProfile.objects.create(organization=org, room=room, kind=kind)
            rooms[name] = room
    for username, rows in HOURS.items():
        windows = [avail.Window(d, _t(a), _t(b)) for days, a, b in rows for d in days]
        avail.staff_hours_replace(
            actor=users[username], user=users[username], organization=org, windows=windows
        )
    _renew_leads(org, users, today)
    start_on = this_week - dt.timedelta(weeks=8)
    series_by_track = {}
    for pi, program in enumerate(programs):
        for track in program.tracks.all():
            lead, room_name = LEADS[(pi, track.name)]
            made = []
            for k, iso in enumerate(track.weekdays):
                for code, start in _track_day(track, k):
                    made.append(
                        _series(
                            _director_of(users, pi),
                            program=program,
                            session_type=types[code],
                            weekday=iso - 1,
                            start_time=localtime.time_of(start),
                            starts_on=start_on,
                            track=track,
                            room=rooms[room_name],
                            facilitator=users[lead],
                        )
                    )
            series_by_track[track.pk] = made
    episodes = list(
        Episode.objects.filter(organization=org, track__isnull=False)
        .select_related("patient", "track", "program", "primary_clinician")
        .order_by("id")
    )
    for ep in episodes:
        if ep.status == EpisodeStatus.ACTIVE:
            avail.availability_replace(
                actor=users["intake"], patient=ep.patient, windows=_windows_for(ep.track)
            )
            if rng.random() < 0.35:
                avail.preference_set(
                    actor=users["intake"],
                    patient=ep.patient,
                    time_of_day=ep.track.kind if ep.track.kind != "weekend" else "",
                    telehealth_ok=rng.random() < 0.5,
                )
    book = _Book()
    for back in (3, 2, 1, 0):
        week = this_week - dt.timedelta(weeks=back)
        for pi, program in enumerate(programs):
            if pi == 0 and back == 0:
                continue  # the optimizer plans this one below
            _history_week(rng, book, program, week, series_by_track, episodes, types, users)
    _optimizer_weeks(programs[0], this_week, director)
    _mark_attendance(rng, org, today, users)
    _sign_notes(rng, org, this_week - dt.timedelta(weeks=1))


def _renew_leads(org, users, today) -> None:
    """A group leader whose demo licence has lapsed has renewed it (the lapsed row
    stays, so the dashboard still shows it)."""
    from openiop.accounts.models import StaffCredential

    for lead, _room in set(LEADS.values()):
        creds = StaffCredential.objects.filter(user=users[lead], organization=org)
        if creds.exists() and not creds.filter(expires_on__gte=today).exists():
            old = creds.order_by("-expires_on").first()
            StaffCredential.objects.create(
                user=old.user,
                organization=org,
                license_type=old.license_type,
                number=f"{old.number}-R",
                state=old.state,
                expires_on=today + dt.timedelta(days=730),
                created_by=users["admin"],
            )


def _track_day(track, k: int) -> list[tuple[str, int]]:
    """The groups of a track's k-th day: two 90-minute group therapy sessions in
    the track's hours, and on the first two days a workshop and a skills group
    next to them (before an evening track, after the others)."""
    start, end = localtime.minutes(track.start_time), localtime.minutes(track.end_time)
    out = [("group_therapy", start), ("group_therapy", start + 90)]
    extra = start - 90 if track.kind == "evening" else end
    if k == 0:
        out += [("psychoeducation", extra), ("skills_group", extra + 60)]
    elif k == 1:
        out += [("skills_group", extra + 60)]
    return out


def _series(director, **fields):
    """Through the service where the program has a director; the adolescent
    program has none in the demo, so its groups are written directly."""
    if director is not None:
        return series_create(actor=director, **fields)
    from openiop.scheduling.models import SessionSeries

    return SessionSeries.objects.create(organization_id=fields["program"].organization_id, **fields)


def _director_of(users, program_index):
    return {0: users["director"], 1: users["director.mh"]}.get(program_index)


def _history_week(rng, book, program, week, series_by_track, episodes, types, users) -> None:
    actor = users["admin"]
    in_care = [
        e
        for e in episodes
        if e.program_id == program.pk
        and e.admitted_on <= week + dt.timedelta(days=6)
        and (e.discharged_on is None or e.discharged_on >= week)
    ]
    for track in program.tracks.all():
        members = [e for e in in_care if e.track_id == track.pk]
        for series in series_by_track.get(track.pk, []):
            date = week + dt.timedelta(days=series.weekday)
            here = [
                e
                for e in members
                if e.admitted_on <= date and (e.discharged_on is None or e.discharged_on >= date)
            ]
            st = series.session_type
            if len(here) < 2:
                continue
            here = here[: st.max_size]
            session = build_session(
                program=program,
                session_type=st,
                date=date,
                start_time=series.start_time,
                duration=st.duration_min,
                track=track,
                series=series,
                room=series.room,
                facilitator=series.facilitator,
                source=SessionSource.MANUAL,
                created_by=actor,
                topic=st.curriculum[(week.toordinal() // 7 + series.weekday) % len(st.curriculum)]
                if st.curriculum
                else "",
            )
            session.save()
            book.take(
                [f"u{series.facilitator_id}", f"r{series.room_id}"]
                + [f"p{e.patient_id}" for e in here],
                date,
                series.start_time,
                st.duration_min,
            )
            _enroll(session, here, actor)
    # one individual session a week with the primary clinician (a therapist)
    therapy = types["individual_therapy"]
    offices = list(Room.objects.filter(site=program.site, scheduling__kind="office"))
    for e in in_care:
        clinician = e.primary_clinician
        if clinician is None or clinician.username in ("director", "prescriber"):
            continue
        placed = False
        for day in sorted(range(5), key=lambda d: (d + e.pk) % 5):
            date = week + dt.timedelta(days=day)
            if date < e.admitted_on or (e.discharged_on and date > e.discharged_on):
                continue
            for slot in _slots_for(e.track):
                room = next((r for r in offices if book.free([f"r{r.pk}"], date, slot, 50)), None)
                keys = [f"u{clinician.pk}", f"p{e.patient_id}"]
                if room is None or not book.free(keys, date, slot, 50):
                    continue
                session = build_session(
                    program=program,
                    session_type=therapy,
                    date=date,
                    start_time=slot,
                    duration=50,
                    room=room,
                    facilitator=clinician,
                    source=SessionSource.MANUAL,
                    created_by=actor,
                )
                session.save()
                book.take(keys + [f"r{room.pk}"], date, slot, 50)
                _enroll(session, [e], actor)
                placed = True
                break
            if placed:
                break


def _enroll(session, episodes, actor) -> None:
    from openiop.scheduling.models import RosterEntry

    RosterEntry.objects.bulk_create(
        [
            RosterEntry(
                organization_id=session.organization_id,
                session=session,
                patient_id=e.patient_id,
                episode=e,
                created_by=actor,
            )
            for e in episodes
        ]
    )


def _optimizer_weeks(program, this_week, director) -> None:
    """This week planned and published by the optimizer; next week proposed, for review."""
    for week, publish in ((this_week, True), (this_week + dt.timedelta(days=7), False)):
        run = SolverRun.objects.create(
            organization_id=program.organization_id,
            program=program,
            week=week,
            time_limit_s=3,
            created_by=director,
        )
        solver_run_execute(run.pk)
        run.refresh_from_db()
        if publish and run.status == RunStatus.DONE:
            solver_run_publish(actor=director, run=run)


def _mark_attendance(rng, org, today, users) -> None:
    from openiop.scheduling.models import Session

    now = timezone.now()
    sessions = (
        Session.objects.filter(organization=org, starts_at__lt=now, status="scheduled")
        .select_related("facilitator", "session_type", "program")
        .prefetch_related("roster")
        .order_by("starts_at")
    )
    # a few people drift away: absent more often, two of them twice in a row lately
    drifting = {}
    for s in sessions:
        actor = s.facilitator or users["director"]
        marks = []
        for r in s.roster.all():
            risk = drifting.setdefault(r.patient_id, rng.random() < 0.12)
            roll = rng.random()
            if roll < (0.35 if risk else 0.05):
                marks.append(attendance_services.Mark(r.patient_id, "absent"))
            elif roll < (0.4 if risk else 0.08):
                marks.append(attendance_services.Mark(r.patient_id, "excused"))
            elif roll < 0.15:
                marks.append(
                    attendance_services.Mark(
                        r.patient_id, "late", max(5, s.minutes - rng.choice([10, 15, 20]))
                    )
                )
            elif roll < 0.19:
                marks.append(
                    attendance_services.Mark(
                        r.patient_id, "left_early", max(5, s.minutes - rng.choice([15, 30]))
                    )
                )
            else:
                marks.append(attendance_services.Mark(r.patient_id, "present"))
        if marks:
            attendance_services.attendance_record(
                actor=_may_mark(actor, users), session=s, marks=marks
            )


def _may_mark(user, users):
    from openiop.access.scope import can

    return user if can(user, "attendance.record") else users["director"]


def _sign_notes(rng, org, last_week) -> None:
    """Signed group notes for last week's morning groups of the first program."""
    from openiop.scheduling.models import Session

    groups = (
        Session.objects.filter(
            organization=org,
            week=last_week,
            session_type__code="group_therapy",
            track__name="Morning",
            program__name="Adult Substance Use IOP",
        )
        .select_related("facilitator", "session_type")
        .order_by("starts_at")
    )
    for i, s in enumerate(groups):
        if not s.attendance.filter(status__in=ATTENDED).exists():
            continue
        note = note_services.note_start(actor=s.facilitator, session=s)
        entries = list(note.entries.select_related("patient"))
        objectives = note_services.objectives_for([e.patient_id for e in entries], note.program_id)
        parts = {}
        for j, e in enumerate(entries):
            text = PARTS[(i * 3 + j) % len(PARTS)].format(
                n=e.patient.preferred_name or e.patient.legal_given_name, d=rng.randint(3, 40)
            )
            chosen = [o.pk for o in objectives.get(e.patient_id, [])[:1]]
            parts[e.patient_id] = (text, chosen)
        note = note_services.note_save(
            actor=s.facilitator,
            note=note,
            revision=note.revision,
            topic=TOPICS[i % len(TOPICS)],
            interventions="Cognitive behavioural therapy; motivational interviewing; "
            "peer feedback.",
            group_part="Check-in on the week, then a structured exercise on high-risk situations; "
            "members practised refusal skills in pairs (synthetic note).",
            entries=parts,
        )
        note_services.note_sign(actor=s.facilitator, note=note, confirm_similar=True)
