"""The benchmark month's sessions, attendance and notes (for `bench_seed.py`).

Each track runs four days a week (its own days, then weekdays it does not use,
in order); a patient comes three or four of them. A track day is 180 minutes of
groups of at most 12 (group therapy 90, a psychoeducation workshop 60, a skills
group 30 minutes: three services); each patient also sees their clinician for
50 minutes once a week on their first day, and some the prescriber once in the
month. Most are present; some are late, leave early or miss a day. Notes are
signed by the facilitator with each attendee's part linked to one objective of
their plan; a few notes are left unsigned or missing, a few parts have no
objective, a few pairs are flagged near-identical (`similar_percent`).

Written a week at a time with `bulk_create`, so memory stays flat.
"""

import datetime as dt

from openiop.care.plans.plan_models import PlanObjective
from openiop.demo import names
from openiop.organizations.models import Program, Track
from openiop.scheduling import localtime
from openiop.scheduling.models import Session, SessionSource
from openiop.scheduling.records import Attendance, Note, NoteEntry, NoteKind, NoteStatus

BATCH = 2000
GROUP_SIZE = 12
DAYS_A_WEEK = 4
FOUR_DAY_SHARE = 0.45
# a track day: (session type, minutes after the track's start, duration)
TRACK_DAY = [("group_therapy", 0, 90), ("psychoeducation", 90, 60), ("skills_group", 150, 30)]
TOPICS = [
    "Triggers and cravings",
    "Relapse prevention",
    "Stress and emotions",
    "Healthy relationships",
    "Building a recovery network",
    "Sleep, food and exercise",
]
OPENINGS = [
    "Shared a high-risk moment from the week",
    "Was quiet at first, then joined the exercise",
    "Brought the completed trigger log",
    "Described an argument at home",
    "Reported steady days without use",
    "Rated cravings before and after the exercise",
    "Gave feedback to a newer member",
    "Practised refusal skills in a pair",
]
MIDDLES = [
    "and named {n} coping options",
    "and rehearsed a plan for the weekend",
    "and linked the urge to {n} hours of poor sleep",
    "and identified evenings alone as the riskiest time",
    "and challenged an all-or-nothing thought",
    "and set a goal of {n} meetings this week",
    "and used the pause-and-plan steps",
    "and asked for support from a peer",
]
ENDINGS = [
    "; progress toward the objective noted.",
    "; will practise daily and report back.",
    "; homework reviewed and renewed.",
    "; mood rated {n} of 10 at the end.",
    "; agreed to call a support person.",
    "; needs follow-up in individual session.",
]
DAP = (
    "Reviewed the week, cravings and use of coping skills (synthetic).",
    "Engaged; making progress toward the plan's objective (synthetic).",
    "Continue the current plan; practise the skill daily (synthetic).",
)
ANALYZED = (Session, Attendance, Note, NoteEntry, NoteEntry.objectives.through)


def seed_sessions(org, *, episodes, types, staff, start, weeks, rng, uuid_rng, counts, log) -> None:
    _Writer(org, episodes, types, staff, start, weeks, rng, uuid_rng, counts, log).run()


def track_days(track) -> list[int]:
    """The ISO weekdays a track runs in the benchmark: its own, then other weekdays."""
    days = sorted(track.weekdays)
    for d in range(1, 6):
        if len(days) >= DAYS_A_WEEK:
            break
        if d not in days:
            days.append(d)
    return days[:DAYS_A_WEEK]


class _Writer:
    def __init__(self, org, episodes, types, staff, start, weeks, rng, uuid_rng, counts, log):
        self.org, self.episodes, self.types = org, episodes, types
        self.staff, self.start, self.weeks = staff, start, weeks
        self.rng, self.uuid_rng, self.counts, self.log = rng, uuid_rng, counts, log
        self.programs = {
            p.pk: p for p in Program.objects.filter(organization=org).select_related("site")
        }
        self.tracks = {t.pk: t for t in Track.objects.filter(program__organization=org)}
        self.days = {pk: track_days(t) for pk, t in self.tracks.items()}
        self.objectives = _objectives(org)
        self.recorder = staff.get("director") or staff.get("intake")
        for e in episodes:  # each patient's days a week and month of a prescriber visit
            e["n_days"] = DAYS_A_WEEK if rng.random() < FOUR_DAY_SHARE else DAYS_A_WEEK - 1
            e["med_week"] = rng.randrange(weeks) if rng.random() < 0.3 else None
        self.by_track: dict[int, list[dict]] = {}
        for e in episodes:
            self.by_track.setdefault(e["track_id"], []).append(e)
        self.instants: dict = {}
        for key in ("sessions", "attendance", "patient_days", "notes", "notes_unsigned",
                    "sessions_without_note", "note_entries", "entries_without_objective",
                    "entries_flagged_similar", "objective_links"):  # fmt: skip
            counts.setdefault(key, 0)

    def uuid(self):
        return names.rng_uuid(self.uuid_rng)

    def run(self) -> None:
        for w in range(self.weeks):
            week = self.start + dt.timedelta(weeks=w)
            self._week(w, week)
            self.log(
                f"sessions: week {w + 1} of {self.weeks} ({week:%Y-%m-%d}) done; "
                f"{self.counts['patient_days']:,} patient-days, "
                f"{self.counts['attendance']:,} attendance rows so far"
            )

    # one week -------------------------------------------------------------

    def _week(self, w: int, week: dt.date) -> None:
        # planned: [(session, [(episode, status, minutes)])]
        planned: list[tuple[Session, list]] = []
        day_status: dict[tuple[int, dt.date], tuple[str, int]] = {}
        for track_id, members in self.by_track.items():
            track = self.tracks[track_id]
            program = self.programs[track.program_id]
            clinicians = self.staff["clinicians"].get(program.pk) or [None]
            for k, iso in enumerate(self.days[track_id]):
                date = week + dt.timedelta(days=iso - 1)
                here = [e for e in members if k < e["n_days"] and _in_care(e, date)]
                begin = _begin(track, iso)
                for g in range(0, len(here), GROUP_SIZE):
                    group = here[g : g + GROUP_SIZE]
                    lead = clinicians[(g // GROUP_SIZE + k + w) % len(clinicians)]
                    for s_i, (code, offset, minutes) in enumerate(TRACK_DAY):
                        session = self._session(
                            program, track, code, date, begin + offset, minutes, lead, w
                        )
                        marks = []
                        for e in group:
                            status = day_status.get((e["id"], date))
                            if status is None:
                                status = day_status[(e["id"], date)] = self._day_roll()
                            marks.append((e, *_mark(status, s_i, minutes)))
                        planned.append((session, marks))
        # weekly individual session, on the patient's first day in care this week
        for track_id, members in self.by_track.items():
            track = self.tracks[track_id]
            program = self.programs[track.program_id]
            for e in members:
                days = [
                    week + dt.timedelta(days=iso - 1) for iso in self.days[track_id][: e["n_days"]]
                ]
                days = [d for d in days if _in_care(e, d)]
                if not days:
                    continue
                date = days[0]
                iso = date.isoweekday()
                begin = _begin(track, iso)
                evening = begin >= 17 * 60
                at = begin - 120 if evening else begin + 180
                s = self._session(
                    program, track, "individual_therapy", date, at, 50,
                    e["primary_clinician_id"], w,
                )  # fmt: skip
                planned.append((s, [(e, *self._individual_roll(50))]))
                if e["med_week"] == w and self.staff.get("prescriber"):
                    s = self._session(
                        program, track, "medication_management", date, at + 60, 25,
                        self.staff["prescriber"].pk, w,
                    )  # fmt: skip
                    planned.append((s, [(e, *self._individual_roll(25))]))
        self._write(planned, day_status)

    def _session(self, program, track, code, date, at, minutes, lead, w) -> Session:
        st = self.types[code]
        start = localtime.time_of(at)
        tz = program.site.time_zone
        key = (date, at, tz)
        starts_at = self.instants.get(key)
        if starts_at is None:
            starts_at = self.instants[key] = localtime.to_utc(date, start, tz)
        return Session(
            organization_id=program.organization_id,
            program=program,
            track=track,
            session_type=st,
            date=date,
            start_time=start,
            end_time=localtime.time_of(at + minutes),
            time_zone=tz,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=minutes),
            week=localtime.monday(date),
            facilitator_id=lead,
            topic=TOPICS[(w + date.weekday()) % len(TOPICS)] if st.is_group else "",
            source=SessionSource.MANUAL,
            uuid=self.uuid(),
            created_by=self.recorder,
        )

    def _day_roll(self) -> tuple[str, int]:
        """How a patient's track day goes: (what, minutes short)."""
        r = self.rng.random()
        if r < 0.035:
            return ("absent", 0)
        if r < 0.045:
            return ("excused", 0)
        if r < 0.095:
            return ("late", self.rng.choice([10, 15, 20]))
        if r < 0.125:
            return ("left_early", self.rng.choice([10, 15]))
        return ("present", 0)

    def _individual_roll(self, minutes: int) -> tuple[str, int]:
        r = self.rng.random()
        if r < 0.06:
            return ("absent", 0)
        if r < 0.09:
            return ("late", minutes - 10)
        return ("present", minutes)

    # writing --------------------------------------------------------------

    def _write(self, planned, day_status) -> None:
        sessions = [s for s, _ in planned]
        Session.objects.bulk_create(sessions, batch_size=BATCH)
        attendance, notes, note_marks = [], [], []
        for session, marks in planned:
            for e, status, minutes in marks:
                attendance.append(
                    Attendance(
                        organization_id=session.organization_id,
                        session=session,
                        patient_id=e["patient_id"],
                        episode_id=e["id"],
                        status=status,
                        minutes=minutes,
                        date=session.date,
                        week=session.week,
                        recorded_by_id=session.facilitator_id or self.recorder.pk,
                        uuid=self.uuid(),
                    )
                )
            present = [(e, st) for e, st, _m in marks if st in ("present", "late", "left_early")]
            if not present:
                continue
            if self.rng.random() < 0.005:
                self.counts["sessions_without_note"] += 1
                continue
            note = self._note(session, len(present))
            notes.append(note)
            note_marks.append((note, present))
        Attendance.objects.bulk_create(attendance, batch_size=BATCH)
        Note.objects.bulk_create(notes, batch_size=BATCH)
        entries = self._entries(note_marks)
        NoteEntry.objects.bulk_create([en for en, _ in entries], batch_size=BATCH)
        through = NoteEntry.objectives.through
        rows = [through(noteentry_id=en.pk, planobjective_id=oid) for en, oid in entries if oid]
        through.objects.bulk_create(rows, batch_size=BATCH)
        c = self.counts
        c["sessions"] += len(sessions)
        c["attendance"] += len(attendance)
        c["patient_days"] += len(day_status)
        c["notes"] += len(notes)
        c["notes_unsigned"] += sum(1 for n in notes if n.status != NoteStatus.SIGNED)
        c["note_entries"] += len(entries)
        c["objective_links"] += len(rows)

    def _note(self, session, participants: int) -> Note:
        signed = self.rng.random() >= 0.015
        group = session.session_type.is_group
        return Note(
            organization_id=session.organization_id,
            program_id=session.program_id,
            session=session,
            kind=NoteKind.GROUP if group else NoteKind.DAP,
            status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
            topic=session.topic,
            interventions="Cognitive behavioural therapy; motivational interviewing (synthetic)."
            if group
            else "",
            group_part="Check-in, a structured exercise and practice in pairs (synthetic)."
            if group
            else "",
            participants=participants if group else 1,
            data="" if group else DAP[0],
            assessment="" if group else DAP[1],
            plan="" if group else DAP[2],
            signed_by_id=session.facilitator_id if signed else None,
            signed_at=session.ends_at + dt.timedelta(hours=2) if signed else None,
            uuid=self.uuid(),
            created_by_id=session.facilitator_id,
        )

    def _entries(self, note_marks):
        rng, c = self.rng, self.counts
        out = []
        for note, present in note_marks:
            clone = len(present) > 1 and rng.random() < 0.015
            texts = []
            for i, (e, _status) in enumerate(present):
                n = rng.randint(2, 9)
                text = (
                    f"{rng.choice(OPENINGS)} {rng.choice(MIDDLES).format(n=n)}"
                    f"{rng.choice(ENDINGS).format(n=n)}"
                )
                if clone and i == 1:
                    text = texts[0]
                texts.append(text)
                objectives = self.objectives.get(e["id"]) or []
                oid, key = (None, None)
                if objectives and rng.random() >= 0.01:
                    oid, key = objectives[(note.session.date.toordinal() + i) % len(objectives)]
                else:
                    c["entries_without_objective"] += 1
                similar = 100 if clone and i < 2 else None
                if similar:
                    c["entries_flagged_similar"] += 1
                entry = NoteEntry(
                    organization_id=note.organization_id,
                    note=note,
                    patient_id=e["patient_id"],
                    text=text,
                    objective_keys=[key] if key else [],
                    similar_percent=similar,
                    uuid=self.uuid(),
                    created_by_id=note.created_by_id,
                )
                out.append((entry, oid))
        return out


def _in_care(e: dict, date: dt.date) -> bool:
    return e["admitted_on"] <= date and (e["discharged_on"] is None or e["discharged_on"] >= date)


def _begin(track, iso: int) -> int:
    """A track day's start, in minutes: the track's own time, or 18:00 for a
    weekend track's added weekdays."""
    if track.kind == "weekend" and iso not in track.weekdays:
        return 18 * 60
    return localtime.minutes(track.start_time)


def _mark(day: tuple[str, int], index: int, minutes: int) -> tuple[str, int]:
    """A group session's mark from how the day went: late for the first session,
    leaving early from the last."""
    what, short = day
    if what in ("absent", "excused"):
        return what, 0
    if what == "late" and index == 0:
        return "late", minutes - short
    if what == "left_early" and index == len(TRACK_DAY) - 1:
        return "left_early", minutes - short
    return "present", minutes


def _objectives(org) -> dict[int, list[tuple[int, str]]]:
    """Each episode's objectives in its current plan version: (id, key)."""
    from django.db.models import F

    out: dict[int, list[tuple[int, str]]] = {}
    rows = (
        PlanObjective.objects.filter(
            goal__problem__version__plan__organization=org,
            goal__problem__version__plan__current_id=F("goal__problem__version_id"),
        )
        .order_by(
            "goal__problem__version__plan__episode_id",
            "goal__problem__position",
            "goal__position",
            "position",
            "id",
        )  # fmt: skip
        .values_list("goal__problem__version__plan__episode_id", "id", "key")
    )
    for episode_id, oid, key in rows.iterator(chunk_size=5000):
        out.setdefault(episode_id, []).append((oid, str(key)))
    return out
