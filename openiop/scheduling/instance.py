"""The adapter between the database and the solver: one program's week as a
solver `Instance` (plain dataclasses), and the solver's answer back in
database ids.

Solver ids: site `s<pk>`, room `r<pk>`, clinician `u<pk>`, program `g<pk>`,
track `t<pk>`, patient `p<pk>`, offers `S<series pk>` (a recurring track group
in this week) and `O<session pk>` (a session already in the calendar). Patients
are labelled by MRN: explanations never carry a name.

Staff time and rooms that other programs' sessions use this week are taken
out (as leave and closures), so two programs planned one after the other do
not double-book a shared clinician or room.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Q

from openiop.care.models import Episode, EpisodeStatus
from openiop.organizations.models import Room
from openiop.scheduling import localtime
from openiop.scheduling.models import (
    PatientAvailability,
    RoomClosure,
    RoomHours,
    RoomProfile,
    RosterEntry,
    RosterStatus,
    SchedulingPreference,
    Session,
    SessionSeries,
    SessionSource,
    SessionStatus,
    SessionType,
    StaffHours,
    StaffLeave,
)
from openiop.scheduling.needs import first_by_modality, needs_for, plan_interventions
from openiop.scheduling.services.sessions import series_runs_on
from openiop.scheduling.services.types import as_solver_type
from openiop.scheduling.solver import model as sm
from openiop.scheduling.solver import windows as win
from openiop.scheduling.staff import credentials_of, program_staff

DAY = 24 * 60
DEFAULT_HOURS = tuple(sm.Interval(d, 8 * 60, 21 * 60) for d in range(5))


def pk_of(solver_id: str) -> int:
    return int(solver_id[1:])


@dataclass
class WeekData:
    """The instance and what is needed to turn its answer back into rows."""

    instance: sm.Instance
    program: object
    week: dt.date
    types: dict[str, SessionType]
    series: dict[int, SessionSeries] = field(default_factory=dict)
    sessions: dict[int, Session] = field(default_factory=dict)
    episodes: dict[int, Episode] = field(default_factory=dict)  # patient pk -> episode
    labels: dict[str, str] = field(default_factory=dict)  # solver id -> what pages show
    schedule: sm.Schedule | None = None  # the published week, for repairs


def _iv(weekday: int, start: dt.time, end: dt.time) -> sm.Interval | None:
    s, e = localtime.minutes(start), localtime.minutes(end)
    if end == dt.time(23, 59):
        e = DAY
    return sm.Interval(weekday, s, e) if s < e else None


def _days_in_week(week: dt.date, first: dt.date, last: dt.date) -> tuple[sm.Interval, ...]:
    out = []
    for d in range(7):
        day = week + dt.timedelta(days=d)
        if first <= day <= last:
            out.append(sm.Interval(d, 0, DAY))
    return tuple(out)


def _session_iv(s: Session) -> sm.Interval:
    e = DAY if s.end_time == dt.time(23, 59) else localtime.minutes(s.end_time)
    return sm.Interval(s.date.weekday(), localtime.minutes(s.start_time), e)


def _patient(ep: Episode, avail, prefs, needs, track_offer_counts) -> sm.Patient | None:
    windows = tuple(
        iv for a in avail.get(ep.patient_id, ()) if (iv := _iv(a.weekday, a.start_time, a.end_time))
    )
    if not windows:
        if ep.track_id and ep.track is not None:
            windows = tuple(
                iv
                for d in ep.track.weekdays
                if (iv := _iv(d - 1, ep.track.start_time, ep.track.end_time))
            )
        windows = windows or DEFAULT_HOURS
    pref = prefs.get(ep.patient_id)
    need_rows = needs.get(ep.pk)
    if need_rows is None:  # no signed plan: the track's groups
        need_rows = [
            {"code": code, "count": n, "minutes": None, "responsible_id": None}
            for code, n in sorted(track_offer_counts.get(ep.track_id, {}).items())
        ]
    solver_needs = tuple(
        sm.Need(
            session_type=n["code"],
            count=n["count"],
            duration_min=n["minutes"],
            preferred_clinician_id=f"u{n['responsible_id']}" if n["responsible_id"] else None,
        )
        for n in need_rows
        if n["count"] > 0
    )
    if not solver_needs:
        return None
    return sm.Patient(
        id=f"p{ep.patient_id}",
        program_id=f"g{ep.program_id}",
        availability=windows,
        needs=solver_needs,
        track_id=f"t{ep.track_id}" if ep.track_id else None,
        time_of_day=sm.TimeOfDay(pref.time_of_day) if pref and pref.time_of_day else None,
        telehealth_ok=bool(pref and pref.telehealth_ok),
        label=ep.patient.mrn,
    )


def build_week(program, week: dt.date, *, from_published: bool = False) -> WeekData:
    """One program's week. `from_published`: the week as published (for a repair):
    its group sessions are the offers, its rosters the schedule, its patients
    those on a roster."""
    week_end = week + dt.timedelta(days=6)
    org_id = program.organization_id
    site = program.site
    types = {t.code: t for t in SessionType.objects.filter(organization_id=org_id, is_active=True)}
    by_modality = first_by_modality(types.values())
    data = WeekData(instance=None, program=program, week=week, types=types)  # type: ignore[arg-type]

    # this program's sessions of the week, and everyone else's (busy time)
    week_sessions = list(
        Session.objects.filter(
            organization_id=org_id, week=week, status=SessionStatus.SCHEDULED
        ).select_related("session_type", "series")
    )
    own = [s for s in week_sessions if s.program_id == program.pk]
    others = [s for s in week_sessions if s.program_id != program.pk]
    staff_busy: dict[int, list] = defaultdict(list)
    room_busy: dict[int, list] = defaultdict(list)
    for s in others:
        if s.facilitator_id:
            staff_busy[s.facilitator_id].append(_session_iv(s))
        if s.room_id:
            room_busy[s.room_id].append(_session_iv(s))

    if not from_published:  # visits booked by hand: their clinician and room are taken
        for s in own:
            if not s.session_type.is_group:
                if s.facilitator_id:
                    staff_busy[s.facilitator_id].append(_session_iv(s))
                if s.room_id:
                    room_busy[s.room_id].append(_session_iv(s))

    # rooms at the program's site
    rooms = list(Room.objects.filter(site=site, is_active=True))
    kinds = dict(RoomProfile.objects.filter(room__in=rooms).values_list("room_id", "kind"))
    hours: dict[int, list] = defaultdict(list)
    for h in RoomHours.objects.filter(room__in=rooms):
        if iv := _iv(h.weekday, h.start_time, h.end_time):
            hours[h.room_id].append(iv)
    closed: dict[int, list] = defaultdict(list)
    for c in RoomClosure.objects.filter(room__in=rooms, starts_on__lte=week_end, ends_on__gte=week):
        closed[c.room_id] += _days_in_week(week, c.starts_on, c.ends_on)
    solver_rooms = tuple(
        sm.Room(
            id=f"r{r.pk}",
            site_id=f"s{site.pk}",
            name=r.name,
            capacity=r.capacity,
            kind=sm.RoomKind(kinds.get(r.pk) or ("group" if r.capacity >= 6 else "office")),
            open_hours=tuple(hours[r.pk]) if hours.get(r.pk) else None,
            closed=tuple(closed[r.pk]) + tuple(room_busy[r.pk]),
        )
        for r in rooms
    )
    room_ids = {r.pk for r in rooms}
    data.labels.update({f"r{r.pk}": r.name for r in rooms})

    # clinicians: working hours at this site (or any site), minus leave and busy time
    staff = list(program_staff(program))
    staff_ids = [u.pk for u in staff]
    creds = credentials_of(staff_ids, site, week)
    avail: dict[int, list] = defaultdict(list)
    for h in StaffHours.objects.filter(user_id__in=staff_ids, organization_id=org_id).filter(
        Q(site__isnull=True) | Q(site=site)
    ):
        if iv := _iv(h.weekday, h.start_time, h.end_time):
            avail[h.user_id].append(iv)
    leave: dict[int, list] = defaultdict(list)
    for lv in StaffLeave.objects.filter(
        user_id__in=staff_ids, organization_id=org_id, starts_on__lte=week_end, ends_on__gte=week
    ):
        leave[lv.user_id] += _days_in_week(week, lv.starts_on, lv.ends_on)
    clinicians = tuple(
        sm.Clinician(
            id=f"u{u.pk}",
            name=u.get_display_name(),
            site_ids=frozenset({f"s{site.pk}"}),
            credentials=frozenset(creds.get(u.pk, ())),
            availability=win.normalize(avail[u.pk]),
            leave=tuple(leave[u.pk]) + tuple(staff_busy[u.pk]),
        )
        for u in staff
    )
    data.labels.update({f"u{u.pk}": u.get_display_name() for u in staff})

    # group offers: recurring track groups and group sessions already in the calendar
    tracks = list(program.tracks.filter(is_active=True))
    offers: list[sm.GroupOffer] = []
    series_rows = list(
        SessionSeries.objects.filter(program=program, is_active=True).select_related("session_type")
    )
    materialized = {s.series_id for s in own if s.series_id}
    week_index = week.toordinal() // 7
    track_counts: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def fac(user_id):
        return f"u{user_id}" if user_id in creds else None

    def room(room_id):
        return f"r{room_id}" if room_id in room_ids else None

    for se in series_rows:
        date = week + dt.timedelta(days=se.weekday)
        if not series_runs_on(se, date) or se.pk in materialized:
            continue
        st = se.session_type
        if st.code not in types or not st.is_group:
            continue
        start = localtime.minutes(se.start_time)
        if start + st.duration_min > DAY:
            continue
        topics = st.curriculum or []
        offers.append(
            sm.GroupOffer(
                id=f"S{se.pk}",
                session_type=st.code,
                program_id=f"g{program.pk}",
                interval=sm.Interval(se.weekday, start, start + st.duration_min),
                track_id=f"t{se.track_id}" if se.track_id else None,
                room_id=room(se.room_id),
                facilitator_id=fac(se.facilitator_id),
                topic=topics[(week_index + se.weekday) % len(topics)] if topics else "",
                telehealth=bool(se.telehealth_url) and se.room_id is None,
            )
        )
        data.series[se.pk] = se
        track_counts[se.track_id][st.code] += 1

    roster = defaultdict(list)
    for entry in RosterEntry.objects.filter(
        session__in=own, status=RosterStatus.ENROLLED
    ).values_list("session_id", "patient_id"):
        roster[entry[0]].append(entry[1])
    sched_groups, sched_appts = [], []
    for s in own:
        data.sessions[s.pk] = s
        iv = _session_iv(s)
        if s.session_type.is_group:
            members = roster.get(s.pk, [])
            fixed = s.source == SessionSource.MANUAL
            locked = 0 if from_published else len(members)
            has_place = s.room_id in room_ids or bool(s.telehealth_url)
            if locked and not (s.facilitator_id in creds and has_place):
                locked = 0
            offers.append(
                sm.GroupOffer(
                    id=f"O{s.pk}",
                    session_type=s.session_type.code,
                    program_id=f"g{program.pk}",
                    interval=iv,
                    track_id=f"t{s.track_id}" if s.track_id else None,
                    # what the session asks for: a hand-made session its own room and
                    # facilitator; a published one what its series fixes (None: any)
                    room_id=room(s.room_id if fixed else (s.series.room_id if s.series else None)),
                    facilitator_id=fac(
                        s.facilitator_id
                        if fixed
                        else (s.series.facilitator_id if s.series else None)
                    ),
                    topic=s.topic,
                    telehealth=bool(s.telehealth_url) and s.room_id is None,
                    locked_members=locked,
                )
            )
            if s.series_id:
                track_counts[s.track_id][s.session_type.code] += 1
            if from_published and members and s.facilitator_id in creds:
                sched_groups.append(
                    sm.GroupSession(
                        f"O{s.pk}",
                        f"u{s.facilitator_id}",
                        room(s.room_id),
                        tuple(sorted(f"p{p}" for p in members)),
                    )
                )
        elif from_published and s.facilitator_id in creds:
            for p in roster.get(s.pk, []):
                sched_appts.append(
                    sm.Appointment(
                        f"p{p}", s.session_type.code, f"u{s.facilitator_id}", iv, room(s.room_id)
                    )
                )

    # patients: open episodes (or, for a repair, those on the published rosters)
    episodes = Episode.objects.filter(
        program=program, status=EpisodeStatus.ACTIVE, admitted_on__lte=week_end
    ).select_related("patient", "track")
    if from_published:
        on_roster = {p for members in roster.values() for p in members}
        on_roster |= {int(a.patient_id[1:]) for a in sched_appts}
        episodes = episodes.filter(patient_id__in=on_roster)
    episodes = list(episodes)
    data.episodes = {ep.patient_id: ep for ep in episodes}
    patient_ids = [ep.patient_id for ep in episodes]
    avail_rows = defaultdict(list)
    for a in PatientAvailability.objects.filter(patient_id__in=patient_ids):
        avail_rows[a.patient_id].append(a)
    prefs = {
        p.patient_id: p for p in SchedulingPreference.objects.filter(patient_id__in=patient_ids)
    }
    plans = plan_interventions([ep.pk for ep in episodes])
    needs = {
        ep_id: needs_for(week=week, since=since, interventions=ivs, types_by_modality=by_modality)
        for ep_id, (since, ivs) in plans.items()
    }
    # a patient's sessions in another program that week are blocked time: one
    # person is never booked in two places
    booked_elsewhere: dict[int, list] = defaultdict(list)
    other_ids = {s.pk: s for s in others}
    for session_id, patient_id in RosterEntry.objects.filter(
        session_id__in=list(other_ids),
        status=RosterStatus.ENROLLED,
        patient_id__in=[ep.patient_id for ep in episodes],
    ).values_list("session_id", "patient_id"):
        booked_elsewhere[patient_id].append(_session_iv(other_ids[session_id]))
    patients = []
    for ep in episodes:
        p = _patient(ep, avail_rows, prefs, needs, track_counts)
        if p is not None and booked_elsewhere.get(ep.patient_id):
            p = replace(
                p, availability=win.subtract(p.availability, booked_elsewhere[ep.patient_id])
            )
        if p is not None:
            patients.append(_known_clinicians(p, creds))
        data.labels[f"p{ep.patient_id}"] = ep.patient.mrn

    instance = sm.Instance(
        week=week,
        sites=(sm.Site(f"s{site.pk}", site.name, site.time_zone),),
        rooms=solver_rooms,
        clinicians=_with_busy(clinicians, staff_busy),
        programs=(
            sm.Program(
                id=f"g{program.pk}",
                site_id=f"s{site.pk}",
                name=program.name,
                min_weekly_minutes=int(program.min_weekly_hours * 60),
                max_weekly_minutes=int(program.max_weekly_hours * 60)
                if program.max_weekly_hours is not None
                else None,
            ),
        ),
        session_types=tuple(as_solver_type(t) for t in types.values()),
        offers=tuple(offers),
        patients=tuple(patients),
        tracks=tuple(sm.Track(f"t{t.pk}", f"g{program.pk}", t.name) for t in tracks),
        previous=() if from_published else previous_week(program, week, {p.id for p in patients}),
    )
    data.instance = instance
    if from_published:
        present = {p.id for p in patients}
        groups = (
            replace(g, patient_ids=tuple(p for p in g.patient_ids if p in present))
            for g in sched_groups
        )
        data.schedule = sm.Schedule(
            groups=tuple(g for g in groups if g.patient_ids),
            appointments=tuple(a for a in sched_appts if a.patient_id in present),
        )
    return data


def _known_clinicians(p: sm.Patient, creds: dict) -> sm.Patient:
    """Drop a preferred clinician who does not work for the program this week."""
    needs = tuple(
        replace(n, preferred_clinician_id=None)
        if n.preferred_clinician_id and pk_of(n.preferred_clinician_id) not in creds
        else n
        for n in p.needs
    )
    return replace(p, needs=needs)


def _with_busy(clinicians, staff_busy) -> tuple:
    return tuple(
        replace(c, leave=tuple(set(c.leave) | set(staff_busy.get(pk_of(c.id), ()))))
        for c in clinicians
    )


def previous_week(program, week: dt.date, patient_ids: set[str]) -> tuple:
    """Last week's published assignments, so the optimizer keeps what worked."""
    last = week - dt.timedelta(days=7)
    out = []
    rows = RosterEntry.objects.filter(
        session__program=program,
        session__week=last,
        session__status=SessionStatus.SCHEDULED,
        status=RosterStatus.ENROLLED,
    ).select_related("session__session_type")
    for r in rows:
        pid = f"p{r.patient_id}"
        if pid not in patient_ids:
            continue
        s = r.session
        if s.session_type.is_group:
            if s.series_id:
                out.append(sm.PreviousAssignment(pid, offer_id=f"S{s.series_id}"))
        elif s.facilitator_id:
            out.append(
                sm.PreviousAssignment(
                    pid,
                    session_type=s.session_type.code,
                    clinician_id=f"u{s.facilitator_id}",
                    interval=_session_iv(s),
                )
            )
    return tuple(out)
