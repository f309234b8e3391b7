"""The solver's input and output: frozen dataclasses, no ORM.

Times are site-local wall-clock times: an `Interval` is a weekday (0 = Monday)
and minutes from local midnight. The site's IANA time zone travels with the
instance, so an 18:00 group stays at 18:00 local in a week when the clocks
change; `clock.local_to_utc` turns a slot into an aware UTC datetime.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

DAY_MINUTES = 24 * 60
WEEK_DAYS = 7
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_PLURALS = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)
GROUP_HARD_MAX = 15  # no group, whatever its type says, seats more than this
GROUP_DEFAULT_MIN = 6
GROUP_DEFAULT_MAX = 12


class InstanceError(ValueError):
    """Input the solver refuses, with one sentence naming what is wrong.

    `field` names the offending part ("patients[P-0003].availability") so the
    Django side can put the message next to the form field or in the API's
    field errors.
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Modality(StrEnum):
    GROUP = "group"
    INDIVIDUAL = "individual"
    FAMILY = "family"
    MEDICATION = "medication"
    TESTING = "testing"


class TimeOfDay(StrEnum):
    MORNING = "morning"  # starts before 12:00
    AFTERNOON = "afternoon"  # starts 12:00-16:59
    EVENING = "evening"  # starts 17:00 or later

    @classmethod
    def of(cls, minute: int) -> TimeOfDay:
        if minute < 12 * 60:
            return cls.MORNING
        if minute < 17 * 60:
            return cls.AFTERNOON
        return cls.EVENING


class RoomKind(StrEnum):
    GROUP = "group"  # group rooms: one group at a time, capacity = seats
    OFFICE = "office"  # offices for individual, family and medication visits


@dataclass(frozen=True, order=True)
class Interval:
    """Weekday `day` (0 = Monday) from `start` to `end` minutes after local midnight."""

    day: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.day < WEEK_DAYS:
            raise InstanceError(f"A weekday must be 0 (Monday) to 6 (Sunday), not {self.day}.")
        if not 0 <= self.start < self.end <= DAY_MINUTES:
            raise InstanceError(
                f"A time window must start before it ends within one day "
                f"(got {WEEKDAY_NAMES[self.day]} {self.start}-{self.end} minutes)."
            )

    @classmethod
    def at(cls, day: int, start: str, end: str) -> Interval:
        """`Interval.at(3, "18:00", "19:30")`."""

        def minutes(text: str) -> int:
            hours, mins = text.split(":")
            return int(hours) * 60 + int(mins)

        return cls(day, minutes(start), minutes(end))

    @property
    def minutes(self) -> int:
        return self.end - self.start

    @property
    def week_start(self) -> int:
        return self.day * DAY_MINUTES + self.start

    @property
    def week_end(self) -> int:
        return self.day * DAY_MINUTES + self.end

    def overlaps(self, other: Interval) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.day == other.day and self.start <= other.start and other.end <= self.end

    @property
    def time_of_day(self) -> TimeOfDay:
        return TimeOfDay.of(self.start)

    def label(self) -> str:
        return f"{WEEKDAY_NAMES[self.day]} {hhmm(self.start)}-{hhmm(self.end)}"


ALL_WEEK: tuple[Interval, ...] = tuple(Interval(d, 0, DAY_MINUTES) for d in range(WEEK_DAYS))


@dataclass(frozen=True)
class SessionType:
    """A kind of session, as data (`catalog.DEFAULT_SESSION_TYPES` holds the defaults).

    `credentials`: licence types (e.g. "LCSW", "MD"), any one of which lets a
    clinician lead it; empty means any clinician. Groups seat `min_size` to
    `max_size` patients (default 6-12, never more than 15); other modalities
    are one patient. `extra_seats`: others in the room (family members).
    """

    code: str
    name: str
    modality: Modality
    duration_min: int
    credentials: frozenset[str] = frozenset()
    min_size: int = 1
    max_size: int = 1
    telehealth_ok: bool = True
    extra_seats: int = 0

    def __post_init__(self) -> None:
        where = f"session_types[{self.code}]"
        if not 5 <= self.duration_min <= DAY_MINUTES:
            raise InstanceError(
                f"Session type '{self.code}' lasts {self.duration_min} minutes; a session "
                f"must last 5 minutes to one day ({DAY_MINUTES} minutes).",
                field=f"{where}.duration_min",
            )
        if self.modality == Modality.GROUP:
            if not 1 <= self.min_size <= self.max_size <= GROUP_HARD_MAX:
                raise InstanceError(
                    f"Group type '{self.code}' seats {self.min_size}-{self.max_size}; sizes "
                    f"must satisfy 1 <= minimum <= maximum <= {GROUP_HARD_MAX}.",
                    field=f"{where}.max_size",
                )
        elif self.min_size != 1 or self.max_size != 1:
            raise InstanceError(
                f"Session type '{self.code}' is {self.modality.value}: it seats one patient.",
                field=f"{where}.max_size",
            )

    @classmethod
    def group(cls, code: str, name: str, duration_min: int, **kw) -> SessionType:
        kw.setdefault("min_size", GROUP_DEFAULT_MIN)
        kw.setdefault("max_size", GROUP_DEFAULT_MAX)
        return cls(code, name, Modality.GROUP, duration_min, **kw)

    @property
    def is_group(self) -> bool:
        return self.modality == Modality.GROUP

    def allows(self, credentials: frozenset[str]) -> bool:
        return not self.credentials or bool(self.credentials & credentials)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    time_zone: str  # IANA name, e.g. "America/Los_Angeles"


@dataclass(frozen=True)
class Room:
    """`open_hours` None: open all week. `closed`: closures this week (subtracted)."""

    id: str
    site_id: str
    name: str
    capacity: int
    kind: RoomKind = RoomKind.GROUP
    open_hours: tuple[Interval, ...] | None = None
    closed: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Clinician:
    """Working hours (`availability`) minus `leave` is when they can see patients.

    `max_weekly_minutes`: an optional cap on patient-facing minutes this week.
    """

    id: str
    name: str
    site_ids: frozenset[str]
    credentials: frozenset[str]
    availability: tuple[Interval, ...]
    leave: tuple[Interval, ...] = ()
    max_weekly_minutes: int | None = None


@dataclass(frozen=True)
class Program:
    """A program at one site with its weekly hours band (in minutes)."""

    id: str
    site_id: str
    name: str
    min_weekly_minutes: int = 9 * 60
    max_weekly_minutes: int | None = 19 * 60


@dataclass(frozen=True)
class Track:
    id: str
    program_id: str
    name: str


@dataclass(frozen=True)
class GroupOffer:
    """A group session that may run this week (a recurring track session or a one-off).

    Its time is fixed; `room_id` / `facilitator_id` None lets the solver choose
    one. `telehealth` groups need no room. `topic` (psychoeducation curriculum):
    a patient attends each topic at most once a week.

    `locked_members` > 0 marks a group that already runs with that many
    patients who are not part of this solve (repair uses it): it keeps its
    facilitator and room, and only its free seats are offered.
    """

    id: str
    session_type: str
    program_id: str
    interval: Interval
    track_id: str | None = None
    room_id: str | None = None
    facilitator_id: str | None = None
    topic: str = ""
    telehealth: bool = False
    locked_members: int = 0


@dataclass(frozen=True)
class Need:
    """A prescribed session: `count` per week of `session_type`.

    Group needs are met by joining group offers of that type; the others are
    placed as appointments. `duration_min` overrides the type's duration;
    `preferred_clinician_id` asks for continuity.
    """

    session_type: str
    count: int = 1
    preferred_clinician_id: str | None = None
    duration_min: int | None = None


@dataclass(frozen=True)
class Patient:
    """A patient in one program. `label` is what explanations show (an MRN), never a name."""

    id: str
    program_id: str
    availability: tuple[Interval, ...]
    needs: tuple[Need, ...]
    track_id: str | None = None
    time_of_day: TimeOfDay | None = None
    telehealth_ok: bool = False
    label: str = ""

    @property
    def display(self) -> str:
        return self.label or self.id


@dataclass(frozen=True)
class PreviousAssignment:
    """Last week's (or the published week's) assignment, for stability.

    Either a group membership (`offer_id`), or an appointment (`session_type`,
    `clinician_id`, `interval`, and `room_id` if the room should stay too).
    """

    patient_id: str
    offer_id: str | None = None
    session_type: str | None = None
    clinician_id: str | None = None
    interval: Interval | None = None
    room_id: str | None = None


@dataclass(frozen=True)
class Instance:
    """Everything one week's solve needs. `week` is the Monday of the week."""

    week: dt.date
    sites: tuple[Site, ...]
    rooms: tuple[Room, ...]
    clinicians: tuple[Clinician, ...]
    programs: tuple[Program, ...]
    session_types: tuple[SessionType, ...]
    offers: tuple[GroupOffer, ...]
    patients: tuple[Patient, ...]
    tracks: tuple[Track, ...] = ()
    previous: tuple[PreviousAssignment, ...] = ()

    @cached_property
    def site(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @cached_property
    def room(self) -> dict[str, Room]:
        return {r.id: r for r in self.rooms}

    @cached_property
    def clinician(self) -> dict[str, Clinician]:
        return {c.id: c for c in self.clinicians}

    @cached_property
    def program(self) -> dict[str, Program]:
        return {p.id: p for p in self.programs}

    @cached_property
    def track(self) -> dict[str, Track]:
        return {t.id: t for t in self.tracks}

    @cached_property
    def session_type(self) -> dict[str, SessionType]:
        return {t.code: t for t in self.session_types}

    @cached_property
    def offer(self) -> dict[str, GroupOffer]:
        return {o.id: o for o in self.offers}

    @cached_property
    def patient(self) -> dict[str, Patient]:
        return {p.id: p for p in self.patients}

    def need_minutes(self, need: Need) -> int:
        return need.duration_min or self.session_type[need.session_type].duration_min

    def site_of_patient(self, patient: Patient) -> str:
        return self.program[patient.program_id].site_id


# ---------------------------------------------------------------- output


@dataclass(frozen=True)
class Appointment:
    """An individual, family, medication or testing visit; `room_id` None is telehealth."""

    patient_id: str
    session_type: str
    clinician_id: str
    interval: Interval
    room_id: str | None = None


@dataclass(frozen=True)
class GroupSession:
    """An offer that runs, with its facilitator, room (None for telehealth) and roster."""

    offer_id: str
    facilitator_id: str
    room_id: str | None
    patient_ids: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    groups: tuple[GroupSession, ...] = ()
    appointments: tuple[Appointment, ...] = ()

    def sessions_of(self, instance: Instance, patient_id: str) -> list[tuple[str, Interval]]:
        """(session type, interval) of every session the patient attends, in time order."""
        out = [
            (instance.offer[g.offer_id].session_type, instance.offer[g.offer_id].interval)
            for g in self.groups
            if patient_id in g.patient_ids
        ]
        out += [
            (a.session_type, a.interval) for a in self.appointments if a.patient_id == patient_id
        ]
        return sorted(out, key=lambda item: (item[1].week_start, item[0]))


@dataclass(frozen=True)
class Reason:
    """Why a need is unmet: a stable `code` and a sentence for the director."""

    code: str
    message: str


@dataclass(frozen=True)
class UnmetNeed:
    patient_id: str
    session_type: str
    missing: int
    minutes: int
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Progress:
    """One point of the solve's progress, for a background task to show."""

    elapsed_s: float
    stage: str  # "needs" (unmet minutes) or "preferences" (stability, preferences, balance)
    objective: float
    bound: float

    @property
    def gap(self) -> float:
        return relative_gap(self.objective, self.bound)


def relative_gap(objective: float, bound: float) -> float:
    """CP-SAT's relative gap: |objective - bound| / max(1, |objective|)."""
    return abs(objective - bound) / max(1.0, abs(objective))


@dataclass(frozen=True)
class SolveResult:
    """A proposed week and how good it is.

    `unmet_minutes`: prescribed session minutes not scheduled (summed over
    patients); `below_minimum_minutes`: how far patients fall below their
    program's weekly minimum. The solver minimises their sum first
    (`objective`); `bound` is a proven lower bound on that sum (the LP
    relaxation of the CP-SAT model, of the pooled model for a large part
    (`pool.py`), or CP-SAT's own bound where higher), so `gap` says how far
    from optimal the schedule can be at worst. `unmet` is empty when solved
    with `SolveOptions(explain=False)` (repair explains the merged week).
    """

    schedule: Schedule
    unmet: tuple[UnmetNeed, ...]
    solver: str
    status: str
    objective: int
    bound: int
    unmet_minutes: int
    below_minimum_minutes: int
    preference_cost: int = 0
    first_feasible_s: float | None = None
    wall_s: float = 0.0
    timeline: tuple[Progress, ...] = ()
    stats: dict = field(default_factory=dict, compare=False)

    @property
    def gap(self) -> float:
        return relative_gap(self.objective, self.bound)

    @property
    def unmet_patient_hours(self) -> float:
        return self.unmet_minutes / 60
