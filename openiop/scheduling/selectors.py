"""Reads of the scheduling app, always from `visible_to`, with a fixed number of
queries: the week calendar, a roster with its attendance, a solver run's
proposal for review, the patient's scheduling card."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from openiop.accounts.models import User
from openiop.organizations.models import Program, Room
from openiop.patients.models import Patient
from openiop.scheduling.ledger import (
    adherence_alerts,
    adherence_counts,
    adherence_flags,
    attendance_by_program,
    attendance_rate,
)
from openiop.scheduling.localtime import WEEKDAY_NAMES
from openiop.scheduling.models import (
    Attendance,
    Note,
    RosterEntry,
    RosterStatus,
    Session,
    SessionStatus,
    SessionType,
    SolverRun,
)

__all__ = [
    "adherence_alerts",
    "attendance_by_program",
    "attendance_rate",
    "week_sessions",
    "week_grid",
    "session_for",
    "roster_of",
    "run_for",
    "run_review",
]

DAY_START, DAY_END = 7 * 60, 22 * 60  # the calendar grid, local minutes


def programs_for(actor, permission: str = "schedule.view"):
    resource, action = permission.split(".")
    if resource == "schedule" and action == "manage":
        from openiop.access.scope import grant

        g = grant(actor, permission)
        return Program.objects.filter(
            Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids)
        ).select_related("site")
    return Program.objects.visible_to(actor, "view").select_related("site")


def week_sessions(actor, week: dt.date, *, program=None, facilitator=None):
    qs = (
        Session.objects.visible_to(actor, "view")
        .filter(week=week)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("session_type", "room", "facilitator", "program", "track")
        .annotate(
            enrolled=Count("roster", filter=Q(roster__status=RosterStatus.ENROLLED), distinct=True),
            marked=Count("attendance", distinct=True),
        )
        .order_by("starts_at", "id")
    )
    if program is not None:
        qs = qs.filter(program=program)
    if facilitator is not None:
        qs = qs.filter(facilitator=facilitator)
    return qs


def week_grid(sessions, week: dt.date, *, width: int = 1000, hour_px: int = 44) -> dict:
    """Geometry of the week calendar (SVG): a column a day, a block a session.
    Sessions that overlap share their day's column side by side."""
    left, top = 48, 28
    col = (width - left) / 7
    height = top + (DAY_END - DAY_START) / 60 * hour_px + 4
    blocks = []
    by_day: dict[int, list] = defaultdict(list)
    for s in sessions:
        by_day[s.date.weekday()].append(s)
    for day, items in by_day.items():
        for s, lane, lanes in _lanes(items):
            start = max(DAY_START, s.start_time.hour * 60 + s.start_time.minute)
            end = min(DAY_END, start + s.minutes)
            if end <= start:
                continue
            lane_w = col / lanes
            y = top + (start - DAY_START) / 60 * hour_px
            w, h = round(lane_w - 4, 1), round(max(16, (end - start) / 60 * hour_px - 2), 1)
            blocks.append(
                {
                    "s": s,
                    "x": round(left + day * col + lane * lane_w + 2, 1),
                    "y": round(y, 1),
                    "w": w,
                    "h": h,
                    "iw": round(w - 1, 1),
                    "ih": round(h - 1, 1),
                    "kind": s.session_type.modality,
                    "tall": (end - start) >= 45,
                }
            )
    hours = [
        {"y": round(top + (h * 60 - DAY_START) / 60 * hour_px, 1), "label": f"{h:02d}:00"}
        for h in range(DAY_START // 60, DAY_END // 60 + 1)
    ]
    days = [
        {
            "x": round(left + d * col, 1),
            "cx": round(left + d * col + col / 2, 1),
            "label": f"{WEEKDAY_NAMES[d]} {(week + dt.timedelta(days=d)).day}",
            "date": (week + dt.timedelta(days=d)).isoformat(),
        }
        for d in range(7)
    ]
    return {
        "width": width,
        "height": round(height, 1),
        "left": left,
        "top": top,
        "blocks": blocks,
        "hours": hours,
        "days": days,
    }


def _lanes(items) -> list[tuple]:
    """Side-by-side lanes for a day's overlapping sessions: (session, lane, lanes in
    its cluster of overlapping sessions)."""
    items = sorted(items, key=lambda s: (s.starts_at, s.ends_at))
    out, cluster, lane_ends, cluster_end = [], [], [], None
    for s in items:
        if cluster_end is not None and s.starts_at >= cluster_end:
            out += [(x, lane, len(lane_ends)) for x, lane in cluster]
            cluster, lane_ends, cluster_end = [], [], None
        lane = next((i for i, e in enumerate(lane_ends) if e <= s.starts_at), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(s.ends_at)
        else:
            lane_ends[lane] = s.ends_at
        cluster.append((s, lane))
        cluster_end = s.ends_at if cluster_end is None else max(cluster_end, s.ends_at)
    out += [(x, lane, len(lane_ends)) for x, lane in cluster]
    return out


def session_for(actor, session_uuid, permission: str = "view") -> Session:
    session = (
        Session.objects.visible_to(actor, permission)
        .select_related("session_type", "room", "facilitator", "program__site", "track", "series")
        .filter(uuid=session_uuid)
        .first()
    )
    if session is None:
        raise Http404("No such session, or not one you may see.")
    return session


def roster_of(session: Session) -> list[dict]:
    """The enrolled patients with their attendance mark (two queries)."""
    entries = list(
        session.roster.filter(status=RosterStatus.ENROLLED)
        .select_related("patient")
        .order_by("patient__legal_family_name", "patient__legal_given_name")
    )
    marks = {a.patient_id: a for a in session.attendance.all()}
    return [{"entry": e, "patient": e.patient, "mark": marks.get(e.patient_id)} for e in entries]


def run_for(actor, run_uuid) -> SolverRun:
    run = (
        SolverRun.objects.visible_to(actor, "view")
        .select_related("program__site", "created_by")
        .filter(uuid=run_uuid)
        .first()
    )
    if run is None:
        raise Http404("No such run, or not one you may see.")
    return run


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def run_review(run: SolverRun) -> dict:
    """The proposal by patient and by clinician, unmet needs with reasons (constant queries)."""
    result = run.result or {}
    groups = result.get("groups", [])
    appts = result.get("appointments", [])
    types = {t.code: t for t in SessionType.objects.filter(organization_id=run.organization_id)}
    patient_ids = {p for g in groups for p in g["patients"]} | {a["patient"] for a in appts}
    patient_ids |= {u["patient"] for u in run.unmet}
    patient_ids |= {c["patient"] for c in result.get("changes", [])}
    patients = {p.pk: p for p in Patient.objects.filter(pk__in=patient_ids)}
    user_ids = {g["facilitator"] for g in groups} | {a["clinician"] for a in appts}
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    rooms = {r.pk: r for r in Room.objects.filter(site_id=run.program.site_id)}

    def item(x: dict, who_key: str) -> dict:
        st = types.get(x["type"])
        return {
            "type": st.name if st else x["type"],
            "modality": st.modality if st else "",
            "day": WEEKDAY_NAMES[x["day"]],
            "date": run.week + dt.timedelta(days=x["day"]),
            "time": f"{_hm(x['start'])}-{_hm(x['end'])}",
            "minutes": x["end"] - x["start"],
            "who": users.get(x[who_key]),
            "room": rooms.get(x["room"]) if x["room"] else None,
            "topic": x.get("topic", ""),
            "sort": (x["day"], x["start"]),
        }

    by_patient: dict[int, list] = defaultdict(list)
    by_clinician: dict[int, list] = defaultdict(list)
    group_rows = []
    for g in groups:
        row = item(g, "facilitator")
        row["patients"] = [patients[p] for p in g["patients"] if p in patients]
        row["size"] = len(g["patients"])
        group_rows.append(row)
        by_clinician[g["facilitator"]].append(row)
        for p in g["patients"]:
            by_patient[p].append(row)
    for a in appts:
        row = item(a, "clinician")
        row["patients"] = [patients[a["patient"]]] if a["patient"] in patients else []
        row["size"] = 1
        by_patient[a["patient"]].append(row)
        by_clinician[a["clinician"]].append(row)
    program = run.program
    lo = int(program.min_weekly_hours * 60)
    hi = int(program.max_weekly_hours * 60) if program.max_weekly_hours is not None else None
    unmet_by_patient: dict[int, list] = defaultdict(list)
    for u in run.unmet:
        st = types.get(u["type"])
        unmet_by_patient[u["patient"]].append({**u, "type_name": st.name if st else u["type"]})
    patient_rows = []
    for pid in sorted(
        set(by_patient) | set(unmet_by_patient),
        key=lambda p: patients[p].mrn if p in patients else "",
    ):
        sessions = sorted(by_patient.get(pid, []), key=lambda r: r["sort"])
        minutes = sum(r["minutes"] for r in sessions)
        patient_rows.append(
            {
                "patient": patients.get(pid),
                "sessions": sessions,
                "minutes": minutes,
                "hours": round(minutes / 60, 1),
                "status": "below" if minutes < lo else ("above" if hi and minutes > hi else "ok"),
                "unmet": unmet_by_patient.get(pid, []),
            }
        )
    clinician_rows = [
        {
            "user": users.get(uid),
            "sessions": sorted(rows, key=lambda r: r["sort"]),
            "hours": round(sum(r["minutes"] for r in rows) / 60, 1),
        }
        for uid, rows in sorted(
            by_clinician.items(), key=lambda kv: users[kv[0]].get_display_name()
        )
    ]
    unmet_rows = sorted(
        (
            {**u, "patient_obj": patients.get(u["patient"]), "type_name": types[u["type"]].name}
            for u in run.unmet
            if u["type"] in types
        ),
        key=lambda u: (-u["minutes"], u["label"]),
    )
    changes = [{**c, "patient_obj": patients.get(c["patient"])} for c in result.get("changes", [])]
    return {
        "groups": sorted(group_rows, key=lambda r: r["sort"]),
        "patients": patient_rows,
        "clinicians": clinician_rows,
        "unmet": unmet_rows,
        "changes": changes,
        "appointments": len(appts),
        "patient_ids": sorted(patients),
        "chart": progress_chart(run.timeline),
    }


def progress_chart(points: list[dict], width: int = 560, height: int = 160) -> dict | None:
    """Objective and CP-SAT bound over the solve (server-rendered SVG lines)."""
    if not points or len(points) < 2:
        return None
    left, right, top, bottom = 44, 10, 10, 24
    t_max = max(p["t"] for p in points) or 1
    v_max = max(max(p["objective"], p["bound"]) for p in points) or 1

    def x(t):
        return round(left + t / t_max * (width - left - right), 1)

    def y(v):
        return round(top + (1 - v / v_max) * (height - top - bottom), 1)

    return {
        "width": width,
        "height": height,
        "left": left,
        "base": height - bottom,
        "right": width - right,
        "objective": " ".join(f"{x(p['t'])},{y(p['objective'])}" for p in points),
        "bound": " ".join(f"{x(p['t'])},{y(p['bound'])}" for p in points),
        "v_max": v_max,
        "t_max": round(t_max, 1),
        "top": top,
    }


def notes_by_objective(actor, patient) -> dict[str, list]:
    """Signed notes about the patient, by the key of each plan objective they
    addressed (for the chart): objective key -> [(note, entry)]."""
    from openiop.scheduling.models import NoteEntry

    entries = (
        NoteEntry.objects.visible_to(actor, "view")
        .filter(patient=patient, note__status="signed")
        .exclude(objective_keys=[])
        .select_related("note__session__session_type", "note__signed_by")
        .order_by("-note__session__starts_at")[:200]
    )
    out: dict[str, list] = defaultdict(list)
    for e in entries:
        for key in e.objective_keys:
            out[key].append(e)
    return out


def patient_sessions(actor, patient, *, start: dt.date, end: dt.date):
    return (
        RosterEntry.objects.visible_to(actor, "view")
        .filter(
            patient=patient,
            status=RosterStatus.ENROLLED,
            session__date__range=(start, end),
        )
        .exclude(session__status=SessionStatus.CANCELLED)
        .select_related("session__session_type", "session__room", "session__facilitator")
        .order_by("session__starts_at")
    )


def notes_list(actor, *, program=None, mine=None):
    qs = (
        Note.objects.visible_to(actor, "view")
        .select_related("session__session_type", "signed_by", "program")
        .prefetch_related(Prefetch("entries"))
        .order_by("-session__starts_at")
    )
    if program is not None:
        qs = qs.filter(program=program)
    if mine is not None:
        qs = qs.filter(session__facilitator=mine)
    return qs


def marks_of(actor):
    return Attendance.objects.visible_to(actor, "view")


def dashboard_schedule(user, ctx: dict, today: dt.date) -> None:
    """The dashboard's card: the sessions the user runs today, attendance left to
    mark, and (for a director) the attendance alerts of their programs."""
    from django.utils import timezone

    from openiop.access.scope import can
    from openiop.care.models import Episode, EpisodeStatus

    mine = list(
        week_sessions(user, today - dt.timedelta(days=today.weekday()), facilitator=user).filter(
            date=today
        )
    )
    now = timezone.now()
    ctx["schedule_today"] = mine
    ctx["schedule_to_mark"] = sum(1 for s in mine if s.starts_at <= now and not s.marked)
    if can(user, "schedule.manage"):
        episodes = Episode.objects.visible_to(user, "view").filter(status=EpisodeStatus.ACTIVE)
        ctx["schedule_alerts"] = adherence_counts(adherence_flags(episodes, today=today))
    ctx["sections"].add("schedule")
