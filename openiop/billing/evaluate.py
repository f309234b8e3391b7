"""The defensible day: for each patient and date with an attended service, one
evaluation with every check of `checks.CHECKS` and its reason.

`Facts` holds what a chunk of episodes needs, loaded in a fixed number of
queries (`load_facts`); `judge` is pure: it decides one day from the facts and
the rule. The service (`services/days.py`) writes the results.
"""

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BooleanField, ExpressionWrapper, Q

from openiop.billing.checks import NOT_OVERRIDABLE
from openiop.billing.day_models import BILLABLE_STATUSES, BillingDay, DayOverride
from openiop.billing.medicare import payment_tier
from openiop.billing.models import (
    AUTHORIZED,
    Authorization,
    AuthorizationStatus,
    Certification,
    CertificationStatus,
)
from openiop.billing.rules import rule_for
from openiop.care.plans.models import Diagnosis, DiagnosisStatus
from openiop.care.plans.plan_models import PlanReview, PlanVersion, VersionStatus
from openiop.patients.models import Coverage
from openiop.scheduling.models import Attendance, Note, NoteEntry, NoteStatus
from openiop.scheduling.records import ATTENDED

PHP_LEVEL = "2.5"
IOP_LEVEL = "2.1"


def monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


@dataclass
class Service:
    """One attended session of the patient on the day."""

    session_id: int
    session_type_id: int
    minutes: int
    starts: str  # local time, for reasons ("the 18:00 group")
    type_name: str
    session_uuid: str = ""


@dataclass
class Facts:
    """Everything the chunk's days are judged on, keyed for lookups."""

    today: dt.date
    rules: dict  # payer id -> [BillingRule]
    services: dict = field(
        default_factory=lambda: defaultdict(list)
    )  # (episode, date) -> [Service]
    notes: dict = field(default_factory=dict)  # session id -> (status, kind)
    entries: dict = field(
        default_factory=dict
    )  # (session id, patient id) -> (objectives, similar %)
    # episode -> [(effective_on, the plan's ended_on)] of its signed versions
    versions: dict = field(default_factory=lambda: defaultdict(list))
    reviews: dict = field(default_factory=lambda: defaultdict(list))  # episode -> [(on, next)]
    diagnoses: dict = field(default_factory=lambda: defaultdict(list))  # episode -> [(from, to)]
    coverages: dict = field(default_factory=lambda: defaultdict(list))  # patient -> [Coverage]
    authorizations: dict = field(default_factory=lambda: defaultdict(list))  # episode -> [Auth]
    used_elsewhere: dict = field(default_factory=lambda: defaultdict(int))  # auth id -> units
    certifications: dict = field(default_factory=lambda: defaultdict(list))  # episode -> [Cert]
    php_dates: set = field(default_factory=set)  # (patient id, date) attended in a PHP program
    existing: dict = field(default_factory=dict)  # (episode, date) -> BillingDay
    overrides: dict = field(default_factory=lambda: defaultdict(dict))  # day id -> {check: reason}


def load_facts(episodes, start: dt.date, end: dt.date, *, today: dt.date, rules) -> Facts:
    """The facts for `episodes` (with `program` loaded) between `start` and `end`:
    a fixed number of queries, whatever the number of episodes or days."""
    f = Facts(today=today, rules=rules)
    ids = [e.pk for e in episodes]
    patient_ids = {e.patient_id for e in episodes}
    week_start, week_end = monday(start), monday(end) + dt.timedelta(days=6)
    marks = Attendance.objects.filter(
        episode_id__in=ids, date__gte=week_start, date__lte=week_end, status__in=ATTENDED
    ).values_list(
        "episode_id",
        "patient_id",
        "date",
        "minutes",
        "session_id",
        "session__session_type_id",
        "session__start_time",
        "session__session_type__name",
        "session__uuid",
    )
    session_ids = set()
    for ep, _pid, day, minutes, sid, stid, starts, name, suuid in marks:
        f.services[(ep, day)].append(
            Service(sid, stid, minutes, f"{starts:%H:%M}", name, str(suuid))
        )
        session_ids.add(sid)
    note_ids = {}
    for nid, sid, status, kind in Note.objects.filter(session_id__in=session_ids).values_list(
        "id", "session_id", "status", "kind"
    ):
        f.notes[sid] = (status, kind)
        note_ids[nid] = sid
    # whether a part names an objective, decided in SQL (no JSON decoded per row)
    linked = ExpressionWrapper(~Q(objective_keys=[]), output_field=BooleanField())
    for nid, pid, has_objective, similar in (
        NoteEntry.objects.filter(note_id__in=note_ids, patient_id__in=patient_ids)
        .annotate(linked=linked)
        .values_list("note_id", "patient_id", "linked", "similar_percent")
    ):
        f.entries[(note_ids[nid], pid)] = (int(bool(has_objective)), similar)
    for ep, effective, ended in PlanVersion.objects.filter(
        plan__episode_id__in=ids,
        status__in=(VersionStatus.SIGNED, VersionStatus.SUPERSEDED),
        effective_on__isnull=False,
    ).values_list("plan__episode_id", "effective_on", "plan__ended_on"):
        f.versions[ep].append((effective, ended))
    for ep, on, nxt in PlanReview.objects.filter(plan__episode_id__in=ids).values_list(
        "plan__episode_id", "reviewed_on", "next_review_on"
    ):
        f.reviews[ep].append((on, nxt))
    for ep, since, status, resolved in (
        Diagnosis.objects.filter(episode_id__in=ids, is_primary=True)
        .exclude(status=DiagnosisStatus.ENTERED_IN_ERROR)
        .values_list("episode_id", "diagnosed_on", "status", "resolved_on")
    ):
        until = resolved if status == DiagnosisStatus.RESOLVED else None
        f.diagnoses[ep].append((since, until))
    for c in Coverage.objects.filter(patient_id__in=patient_ids).select_related("payer"):
        f.coverages[c.patient_id].append(c)
    auths = list(
        Authorization.objects.filter(episode_id__in=ids)
        .exclude(ends_on__lt=start)
        .order_by("starts_on", "id")
    )
    for a in auths:
        f.authorizations[a.episode_id].append(a)
    # units used by days this run does not judge (outside the span, or billed)
    for auth_id, units in (
        BillingDay.objects.filter(authorization_id__in=[a.pk for a in auths])
        .filter(Q(date__lt=start) | Q(date__gt=end) | ~Q(status__in=("held", "ready")))
        .filter(status__in=BILLABLE_STATUSES)
        .values_list("authorization_id", "units")
    ):
        f.used_elsewhere[auth_id] += units
    for c in Certification.objects.filter(
        episode_id__in=ids, status=CertificationStatus.SIGNED, covers_through__gte=start
    ):
        f.certifications[c.episode_id].append(c)
    f.php_dates = set(
        Attendance.objects.filter(
            patient_id__in=patient_ids,
            date__gte=start,
            date__lte=end,
            status__in=ATTENDED,
            session__program__level_of_care=PHP_LEVEL,
        ).values_list("patient_id", "date")
    )
    days = BillingDay.objects.filter(episode_id__in=ids, date__gte=start, date__lte=end)
    for d in days:
        f.existing[(d.episode_id, d.date)] = d
    for day_id, code, reason in DayOverride.objects.filter(
        day__episode_id__in=ids, day__date__gte=start, day__date__lte=end
    ).values_list("day_id", "check_code", "reason"):
        f.overrides[day_id][code] = reason
    return f


@dataclass
class Verdict:
    checks: list
    payer_id: int | None = None
    rule: object = None
    authorization: object = None
    minutes: int = 0
    services: int = 0
    units: int = 0
    tier: str = ""

    @property
    def held_for(self) -> list[str]:
        return [c["code"] for c in self.checks if c["ok"] is False]


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@functools.lru_cache(maxsize=4096)
def _d(day: dt.date) -> str:
    return f"{day:%-d %b %Y}"


class _Checks:
    def __init__(self, overrides: dict):
        self.rows: list[dict] = []
        self.overrides = overrides

    def add(self, code: str, ok, reason: str, session: str = "") -> None:
        row = {"code": code, "ok": ok, "reason": reason, "overridden": False}
        if session:
            row["session"] = session  # the session whose note fixes it
        if ok is False and code in self.overrides and code not in NOT_OVERRIDABLE:
            row.update(
                ok=True, overridden=True, reason=f"{reason} Overridden: {self.overrides[code]}"
            )
        self.rows.append(row)


def _coverage_on(coverages, day):
    live = [
        c
        for c in coverages
        if (c.starts_on is None or c.starts_on <= day) and (c.ends_on is None or c.ends_on >= day)
    ]
    live.sort(key=lambda c: (not c.is_primary, c.payer_id is None))
    return live[0] if live else None


def judge(f: Facts, episode, day: dt.date, used: dict, day_id=None) -> Verdict:
    """One day of one episode. `used` (authorization id -> units) is updated with
    this day's units when the day is billable, so days are judged in date order."""
    program = episode.program
    chk = _Checks(f.overrides.get(day_id, {}) if day_id else {})
    attended = f.services[(episode.pk, day)]

    coverage = _coverage_on(f.coverages[episode.patient_id], day)
    payer = coverage.payer if coverage and coverage.payer_id else None
    if coverage is None:
        chk.add("coverage", False, f"No coverage is active on {_d(day)}.")
    elif payer is None:
        chk.add(
            "coverage", False, f"The coverage “{coverage.payer_name}” is not linked to a payer."
        )
    elif not payer.is_active:
        chk.add("coverage", False, f"The payer {payer.name} is inactive.")
    else:
        chk.add("coverage", True, f"{payer.name}, member {coverage.member_id or '-'}.")
    rule = rule_for(f.rules.get(payer.pk, []), program) if payer else None
    if payer and rule is None:
        chk.add(
            "rule", False, f"{payer.name} has no rule for {program.get_level_of_care_display()}."
        )
    elif rule is None:
        chk.add("rule", None, "Needs a payer.")
    counted, separate = _services_under(rule, attended)
    if rule is not None:
        unpriced = _unpriced(rule, counted + separate)
        if unpriced:
            chk.add("rule", False, f"The rule of {payer.name} has no rate for {unpriced}.")
        else:
            chk.add("rule", True, str(rule))
    minutes = sum(s.minutes for s in counted)
    v = Verdict(checks=chk.rows, payer_id=payer.pk if payer else None, rule=rule)
    v.minutes, v.services = minutes, len(counted)
    if rule is None:
        for code in ("minutes", "services", "week"):
            chk.add(code, None, "Needs a billing rule.")
    else:
        need = rule.min_minutes_per_day
        chk.add(
            "minutes",
            minutes >= need,
            f"{minutes} minutes attended; the payer needs {need}."
            if minutes < need
            else f"{minutes} minutes attended (at least {need}).",
        )
        n, least = len(counted), rule.min_services_per_day
        chk.add(
            "services",
            n >= least,
            f"{n} qualifying service{'s' if n != 1 else ''}; at least {least} needed."
            if n < least
            else f"{n} qualifying service{'s' if n != 1 else ''}.",
        )
        chk.add("week", *_week(f, episode, day, rule))
    billed = counted + separate
    chk.add("notes", *_notes(f, episode, billed))
    chk.add("cloned", *_cloned(f, episode, billed))
    plan_ok, plan_reason, effective = _plan(f, episode, day)
    chk.add("plan", plan_ok, plan_reason)
    if effective is None:
        chk.add("review", None, "Needs a signed plan.")
    else:
        chk.add("review", *_review(f, episode, day, effective))
    chk.add("diagnosis", *_diagnosis(f, episode, day))
    v.units = len(counted) if rule else 0
    if rule is None or not rule.requires_authorization:
        chk.add("authorization", True, "Not required by the payer's rule.")
    else:
        ok, reason, auth, units = _authorization(f, episode, day, payer, v.services, used)
        chk.add("authorization", ok, reason)
        v.authorization, v.units = auth, units
    if rule is None or not rule.requires_certification:
        chk.add("certification", True, "Not required by the payer's rule.")
    else:
        chk.add("certification", *_certification(f, episode, day))
    if (episode.patient_id, day) in f.php_dates and program.level_of_care != PHP_LEVEL:
        chk.add(
            "php_overlap",
            False,
            "The patient attended a partial hospitalization program the same day "
            "(a PHP claim, condition code 41, overlaps it).",
        )
    else:
        chk.add("php_overlap", True, "No partial hospitalization that day.")
    if rule is not None and payer.is_medicare and rule.condition_code == "92":
        v.tier = payment_tier(v.services)
    if not v.held_for and v.authorization is not None:
        used[v.authorization.pk] = used.get(v.authorization.pk, 0) + v.units
    return v


def _unpriced(rule, services) -> str:
    """What the day would charge without a price: a day cannot be charged at 0."""
    rates = (rule.per_diem_rate, rule.tier_3_rate, rule.tier_4_rate)
    if rule.method == "per_diem" and all(r is None for r in rates):
        return rule.per_diem_code or "the day"
    listed = {s.session_type_id: s for s in rule.services.all()}
    for s in services:
        rs = listed.get(s.session_type_id)
        if (
            rs is not None
            and rs.rate is None
            and (rule.method != "per_diem" or rs.bills_separately)
        ):
            return f"{s.type_name} ({rs.code or 'no code'})"
    return ""


def _services_under(rule, attended):
    """(services counted toward the day, services billed on their own line only)."""
    if rule is None:
        return list(attended), []
    listed = {s.session_type_id: s for s in rule.services.all()}
    if not listed:
        return list(attended), []
    counted, separate = [], []
    for s in attended:
        rs = listed.get(s.session_type_id)
        if rs is None:
            continue
        if rs.counts:
            counted.append(s)
        elif rs.bills_separately:
            separate.append(s)
    return counted, separate


def _week(f, episode, day, rule):
    start = monday(day)
    days = {
        start + dt.timedelta(days=i)
        for i in range(7)
        if f.services.get((episode.pk, start + dt.timedelta(days=i)))
    }
    n, need = len(days), rule.min_days_per_week
    if n >= need:
        return True, f"{_n(n, 'day')} attended in the week of {_d(start)} (at least {need})."
    if start + dt.timedelta(days=6) >= f.today:
        return False, f"{n} of {need} days so far in the week of {_d(start)}; the week is not over."
    return False, f"{_n(n, 'day')} attended in the week of {_d(start)}; the payer needs {need}."


def _notes(f, episode, services):
    missing, first = [], ""
    for s in services:
        note = f.notes.get(s.session_id)
        label = f"{s.type_name} at {s.starts}"
        if note is None:
            missing.append(f"{label}: no note")
        elif note[0] != NoteStatus.SIGNED:
            missing.append(f"{label}: note not signed")
        else:
            objectives, _similar = f.entries.get((s.session_id, episode.patient_id), (0, None))
            if not objectives:
                missing.append(f"{label}: not linked to a plan objective")
        if missing and not first:
            first = s.session_uuid
    if not services:
        return None, "No service to document.", ""
    if missing:
        return False, "; ".join(missing) + ".", first
    n = len(services)
    return True, f"{n} signed note{'s' if n != 1 else ''}, each linked.", ""


def _cloned(f, episode, services):
    flagged, first = [], ""
    for s in services:
        _n, similar = f.entries.get((s.session_id, episode.patient_id), (0, None))
        if similar:
            flagged.append(f"{s.type_name} at {s.starts} ({similar}% alike another attendee's)")
            first = first or s.session_uuid
    if flagged:
        return False, "Near-identical note part: " + "; ".join(flagged) + ".", first
    return True, "No near-identical note part.", ""


def _plan(f, episode, day):
    signed = [(on, ended) for on, ended in f.versions.get(episode.pk, []) if on <= day]
    if not signed:
        return False, f"No treatment plan was signed and in effect on {_d(day)}.", None
    last, ended = max(signed)
    if ended is not None and ended < day:
        return False, f"The treatment plan ended on {_d(ended)}.", None
    return True, f"Plan in effect, signed {_d(last)}.", last


def _review(f, episode, day, effective):
    due = effective + dt.timedelta(days=episode.program.plan_review_days)
    for on, nxt in f.reviews.get(episode.pk, []):
        if on <= day:
            due = max(due, nxt or on + dt.timedelta(days=episode.program.plan_review_days))
    if due < day:
        return False, f"The plan's review was due on {_d(due)}."
    return True, f"Next review due {_d(due)}."


def _diagnosis(f, episode, day):
    for since, until in f.diagnoses.get(episode.pk, []):
        if since <= day and (until is None or until >= day):
            return True, "A primary diagnosis is recorded."
    return False, f"No primary diagnosis on the episode on {_d(day)}."


def _authorization(f, episode, day, payer, services, used):
    candidates = [
        a
        for a in f.authorizations.get(episode.pk, [])
        if a.payer_id == payer.pk
        and a.level_of_care == episode.program.level_of_care
        and a.starts_on <= day <= a.ends_on
    ]
    # an expired authorization was approved: the days inside its span stay covered
    approved = [a for a in candidates if a.status in (*AUTHORIZED, AuthorizationStatus.EXPIRED)]
    if not approved:
        pending = [a for a in candidates if a.status == "requested"]
        if pending:
            return False, "The authorization is requested, not yet approved.", None, 0
        return False, f"No approved authorization of {payer.name} covers {_d(day)}.", None, 0
    for a in approved:
        units = 1 if a.unit_kind == "days" else services
        taken = f.used_elsewhere.get(a.pk, 0) + used.get(a.pk, 0)
        if taken + units <= a.units:
            left = a.units - taken - units
            return True, f"Authorization {a.number or '-'}: {left} {a.unit_kind} left.", a, units
    a = approved[0]
    return False, f"Authorization {a.number or '-'}: all {a.units} {a.unit_kind} used.", None, 0


def _certification(f, episode, day):
    certs = f.certifications.get(episode.pk, [])
    for c in certs:
        if c.covers_from <= day <= c.covers_through:
            return True, f"Certified through {_d(c.covers_through)}."
    earlier = [c.covers_through for c in certs if c.covers_through < day]
    later = [c.covers_from for c in certs if c.covers_from > day]
    # a certification covers days from its signature on: a gap is never certified later
    after = " Days before a certification is signed are billed only with an override."
    if earlier:
        lapsed = f"The certification ended on {_d(max(earlier))}"
        if later:
            return False, f"{lapsed} and the next began on {_d(min(later))}." + after
        return False, f"{lapsed}; recertify." + (after if day < f.today else "")
    return False, f"No signed certification covers {_d(day)}." + (after if later else "")
