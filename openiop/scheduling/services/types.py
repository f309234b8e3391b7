"""Session types as data: the defaults come from the solver's catalog; a
program director may change durations, sizes, credentials and a
workshop's curriculum."""

from django.db import transaction

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.scheduling.models import GROUP_HARD_MAX, SessionModality, SessionType
from openiop.scheduling.services.common import require_in_organization
from openiop.scheduling.solver import catalog
from openiop.scheduling.solver import model as sm

# session type code -> treatment plan intervention modality (care.plans Modality)
PLAN_MODALITY = {
    "group_therapy": "group",
    "psychoeducation": "psychoeducation",
    "skills_group": "mindfulness",
    "individual_therapy": "individual",
    "family_therapy": "family",
    "medication_management": "medication",
    "drug_testing": "drug_testing",
}
# the psychoeducation curriculum the demo and new organizations start from
CURRICULUM = [
    "The nature of addiction",
    "Triggers and cravings",
    "Relapse prevention",
    "Stress and emotions",
    "Healthy relationships",
    "Sleep, food and exercise",
    "Life skills: work, money, time",
    "Building a recovery network",
]
LICENCES = {
    "MD", "DO", "PMHNP", "RN", "PhD/PsyD", "LCSW", "LPC", "LMFT", "LADC", "CADC", "CPRS", "other",
}  # fmt: skip


def session_types_ensure(organization) -> list[SessionType]:
    """Create the default session types an organization lacks (idempotent)."""
    have = set(SessionType.objects.filter(organization=organization).values_list("code", flat=True))
    new = []
    for t in catalog.DEFAULT_SESSION_TYPES:
        if t.code in have:
            continue
        new.append(
            SessionType(
                organization=organization,
                code=t.code,
                name=t.name,
                modality=t.modality.value,
                plan_modality=PLAN_MODALITY.get(t.code, ""),
                duration_min=t.duration_min,
                min_size=t.min_size,
                max_size=t.max_size,
                credentials=sorted(t.credentials),
                telehealth_ok=t.telehealth_ok,
                extra_seats=t.extra_seats,
                curriculum=list(CURRICULUM) if t.code == "psychoeducation" else [],
            )
        )
    SessionType.objects.bulk_create(new)
    return list(SessionType.objects.filter(organization=organization))


def as_solver_type(st: SessionType) -> sm.SessionType:
    """The solver's dataclass for a row (its checks are the same as ours)."""
    return sm.SessionType(
        code=st.code,
        name=st.name,
        modality=sm.Modality(st.modality),
        duration_min=st.duration_min,
        credentials=frozenset(st.credentials),
        min_size=st.min_size,
        max_size=st.max_size,
        telehealth_ok=st.telehealth_ok,
        extra_seats=st.extra_seats,
    )


EDITABLE = (
    "name",
    "duration_min",
    "min_size",
    "max_size",
    "credentials",
    "telehealth_ok",
    "curriculum",
    "is_active",
)


def session_type_update(*, actor, session_type: SessionType, **data) -> SessionType:
    require_in_organization(
        actor, "sessiontype.manage", session_type.organization_id, Action.UPDATE
    )
    unknown = set(data) - set(EDITABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise ApplicationError.for_field(name, f"{name} cannot be changed.")
    duration = data.get("duration_min", session_type.duration_min)
    if not isinstance(duration, int) or not 5 <= duration <= 24 * 60:
        raise ApplicationError.for_field(
            "duration_min", "A session lasts 5 minutes to one day (1440 minutes)."
        )
    lo = data.get("min_size", session_type.min_size)
    hi = data.get("max_size", session_type.max_size)
    if session_type.modality == SessionModality.GROUP:
        if not 1 <= lo <= hi <= GROUP_HARD_MAX:
            raise ApplicationError.for_field(
                "max_size",
                f"A group seats from its minimum up to its maximum, never more than "
                f"{GROUP_HARD_MAX}.",
            )
    elif (lo, hi) != (1, 1):
        raise ApplicationError.for_field("max_size", "Only groups seat more than one patient.")
    creds = data.get("credentials", session_type.credentials)
    bad = sorted(set(creds) - LICENCES)
    if bad:
        raise ApplicationError.for_field("credentials", f"'{bad[0]}' is not a licence type.")
    topics = data.get("curriculum", session_type.curriculum)
    if any(not isinstance(t, str) or not t.strip() or len(t) > 120 for t in topics):
        raise ApplicationError.for_field("curriculum", "Each topic is a line of 1-120 characters.")
    changed = [f for f, v in data.items() if getattr(session_type, f) != v]
    if not changed:
        return session_type
    for f in changed:
        setattr(session_type, f, data[f])
    with transaction.atomic():
        session_type.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="session_type.update",
            obj=session_type,
            changed_fields=changed,
        )
    return session_type
