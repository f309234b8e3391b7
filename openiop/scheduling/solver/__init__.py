"""The weekly schedule optimizer: plain dataclasses in, a schedule out, no ORM.

    from openiop.scheduling.solver import Instance, SolveOptions, solve, check, repair

    result = solve(instance, SolveOptions(time_limit_s=30, on_progress=task.report))
    assert check(instance, result.schedule).ok
    result.schedule            # groups that run (facilitator, room, roster) and appointments
    result.unmet               # every need not met, each with its reasons
    result.objective, result.bound, result.gap   # unmet + below-minimum minutes, proven bound

Filling an `Instance` from the database (one week, `week` = its Monday)
------------------------------------------------------------------------
All times are site-local wall-clock `Interval(day, start, end)`: weekday
0 = Monday, minutes after local midnight, within one day. Convert stored UTC
rows with the site's zone; `clock.interval_utc` converts back (DST-safe).

- `Site(id, name, time_zone)`: organizations.Site (IANA zone).
- `Room(id, site_id, name, capacity, kind, open_hours, closed)`: organizations.Room;
  `kind` GROUP or OFFICE; `open_hours` None = always open; `closed` = this
  week's closures.
- `Clinician(id, name, site_ids, credentials, availability, leave,
  max_weekly_minutes)`: a staff user; `credentials` = current licence types
  (accounts.StaffCredential.license_type, e.g. "LCSW", "MD"); `availability`
  = working hours this week; `leave` = leave and sick days.
- `Program(id, site_id, name, min_weekly_minutes, max_weekly_minutes)`:
  organizations.Program's hours band, in minutes.
- `Track(id, program_id, name)`: organizations.Track.
- `SessionType(code, name, modality, duration_min, credentials, min_size,
  max_size, telehealth_ok, extra_seats)`: session types as data
  (`catalog.DEFAULT_SESSION_TYPES`; groups 6-12 by default, never above 15).
- `GroupOffer(id, session_type, program_id, interval, track_id, room_id,
  facilitator_id, topic, telehealth)`: each recurring or one-off group
  session of the week; `room_id` / `facilitator_id` None = let the solver choose.
- `Patient(id, program_id, availability, needs, track_id, time_of_day,
  telehealth_ok, label)`: an open episode; `availability` = the patient's
  weekly windows (must not overlap); `needs` = the treatment plan's
  prescription: `Need(session_type, count, preferred_clinician_id,
  duration_min)` per session type (groups by count, appointments placed by
  the solver); `label` is what messages show (an MRN, never a name).
- `PreviousAssignment`: last week's published schedule (group memberships and
  appointments), for stability.

What comes back (`SolveResult`)
-------------------------------
`schedule.groups`: `GroupSession(offer_id, facilitator_id, room_id,
patient_ids)` for each offer that runs; `schedule.appointments`:
`Appointment(patient_id, session_type, clinician_id, interval, room_id)`
(room None = telehealth); `unmet`: `UnmetNeed(patient_id, session_type,
missing, minutes, reasons)` with `Reason(code, message)`, e.g. "no evening
family therapist on Thursdays"; `objective` and `bound` in minutes;
`timeline` of `Progress` points (also streamed to `on_progress`);
`first_feasible_s`, `wall_s`, `stats`.

Bad input raises `InstanceError(message, field=...)`: one sentence naming
the record and the problem (overlapping windows, a session longer than a day,
a week with no staff, unknown references), before anything is solved.

Modules: `model` (dataclasses), `validate`, `clock` (UTC helpers), `catalog`
(default session types), `space` (pruning), `greedy` (baseline and hint),
`cpsat` (the CP-SAT model), `relax` (its LP bound), `pool` (the pooled LP
bound of a large part) and `large` (the narrowed model searched there),
`optimize` (`solve`),
`check` (independent checker), `explain` (reasons), `repair` (re-plan after
a change), `generate` and `planted` (synthetic instances), `bench`
(`openiop bench_schedule`). Decisions: docs/adr/0004-lexicographic-schedule-objective.md
and docs/adr/0015-one-large-site.md.
"""

from openiop.scheduling.solver.check import CheckReport, Violation, check
from openiop.scheduling.solver.clock import interval_utc, local_to_utc, session_utc
from openiop.scheduling.solver.explain import explain
from openiop.scheduling.solver.model import (
    ALL_WEEK,
    Appointment,
    Clinician,
    GroupOffer,
    GroupSession,
    Instance,
    InstanceError,
    Interval,
    Modality,
    Need,
    Patient,
    PreviousAssignment,
    Program,
    Progress,
    Reason,
    Room,
    RoomKind,
    Schedule,
    SessionType,
    Site,
    SolveResult,
    TimeOfDay,
    Track,
    UnmetNeed,
)
from openiop.scheduling.solver.optimize import SolveOptions, solve
from openiop.scheduling.solver.repair import (
    ClinicianOff,
    PatientAdmitted,
    PatientDischarged,
    RepairResult,
    RoomClosed,
    repair,
)
from openiop.scheduling.solver.validate import validate

__all__ = [
    "ALL_WEEK",
    "Appointment",
    "CheckReport",
    "Clinician",
    "ClinicianOff",
    "GroupOffer",
    "GroupSession",
    "Instance",
    "InstanceError",
    "Interval",
    "Modality",
    "Need",
    "Patient",
    "PatientAdmitted",
    "PatientDischarged",
    "PreviousAssignment",
    "Program",
    "Progress",
    "Reason",
    "RepairResult",
    "Room",
    "RoomClosed",
    "RoomKind",
    "Schedule",
    "SessionType",
    "Site",
    "SolveOptions",
    "SolveResult",
    "TimeOfDay",
    "Track",
    "UnmetNeed",
    "Violation",
    "check",
    "explain",
    "interval_utc",
    "local_to_utc",
    "repair",
    "session_utc",
    "solve",
    "validate",
]
