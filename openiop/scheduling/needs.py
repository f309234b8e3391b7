"""What each patient's week must hold: the sessions the signed treatment plan
prescribes, as the solver's `Need`s.

An intervention says "N sessions a week / every other week / a month" of a
modality, with its length and the staff member responsible. A session type
answers each modality (`SessionType.plan_modality`). Fractions of a week are
spread over the weeks since the plan took effect, so "1 every other week"
falls in alternate weeks and "2 a month" in about every other week. A group
intervention longer than its session type counts in sessions of that type
("3 groups a week, 180 min" = 6 group therapy sessions of 90 minutes).
Modalities no session type answers (case management, peer support) are not
scheduled here. An episode without a signed plan gets its track's groups.
"""

import datetime as dt
import math
from collections import defaultdict
from fractions import Fraction

from openiop.care.plans.plan_models import PlanIntervention, PlanStatus, TreatmentPlan
from openiop.scheduling.solver.validate import MAX_NEED_COUNT

PER_WEEK = {"week": Fraction(1), "fortnight": Fraction(1, 2), "month": Fraction(12, 52)}


def first_by_modality(types) -> dict:
    """Plan modality -> the session type that answers it (the oldest active one)."""
    out: dict = {}
    for t in sorted(types, key=lambda t: t.pk):
        if t.plan_modality and t.is_active:
            out.setdefault(t.plan_modality, t)
    return out


def count_in_week(sessions: int, period: str, since: dt.date, week: dt.date) -> int:
    """Sessions due in `week` for "`sessions` per `period`", counted from `since`."""
    rate = sessions * PER_WEEK[period]
    k = max(0, (week - since).days // 7)
    return math.floor(rate * (k + 1)) - math.floor(rate * k)


def plan_interventions(episode_ids) -> dict[int, tuple[dt.date, list[PlanIntervention]]]:
    """episode id -> (effective date, interventions of the signed version in effect)."""
    plans = list(
        TreatmentPlan.objects.filter(
            episode_id__in=list(episode_ids), status=PlanStatus.OPEN, current__isnull=False
        ).select_related("current")
    )
    by_version = {p.current_id: p for p in plans}
    out: dict[int, tuple[dt.date, list]] = {
        p.episode_id: (p.current.effective_on or p.created_at.date(), []) for p in plans
    }
    rows = PlanIntervention.objects.filter(
        objective__goal__problem__version_id__in=list(by_version)
    ).values(
        "modality",
        "sessions",
        "period",
        "minutes",
        "responsible_id",
        "objective__goal__problem__version_id",
    )
    for row in rows:
        plan = by_version[row["objective__goal__problem__version_id"]]
        out[plan.episode_id][1].append(row)
    return out


def needs_for(
    *,
    week: dt.date,
    since: dt.date,
    interventions: list[dict],
    types_by_modality: dict,
) -> list[dict]:
    """[{code, count, minutes, responsible_id, is_group}] for one patient's week."""
    totals: dict[str, dict] = defaultdict(lambda: {"count": 0})
    for iv in interventions:
        st = types_by_modality.get(iv["modality"])
        if st is None:
            continue
        n = count_in_week(iv["sessions"], iv["period"], since, week)
        if n <= 0:
            continue
        if st.is_group and iv["minutes"] > st.duration_min:
            # "3 groups a week, 180 min" with 90-minute group sessions: 6 of them
            n = math.ceil(n * iv["minutes"] / st.duration_min)
        need = totals[st.code]
        need["count"] += n
        need["is_group"] = st.is_group
        need.setdefault("minutes", iv["minutes"])
        need.setdefault("responsible_id", iv["responsible_id"])
    out = []
    for code, need in sorted(totals.items()):
        out.append(
            {
                "code": code,
                "count": min(need["count"], MAX_NEED_COUNT),
                "minutes": None if need["is_group"] else need["minutes"],
                "responsible_id": None if need["is_group"] else need["responsible_id"],
                "is_group": need["is_group"],
            }
        )
    return out
