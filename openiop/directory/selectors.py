"""Reads of the program finder: a program's page, the comparison, the cost
estimate, the questions to ask, a program's team by licence type."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from openiop.access.scope import grant
from openiop.accounts.models import LicenseType, StaffCredential, User
from openiop.core.errors import ApplicationError, NotFound
from openiop.directory import features as FT
from openiop.directory.importer import CATEGORY_LABELS
from openiop.directory.models import (
    DirectoryProfile,
    Facility,
    FacilityImport,
    Testimonial,
)
from openiop.directory.outcomes import published_outcomes
from openiop.directory.services import programs_sync_if_changed, track_schedule
from openiop.organizations.models import Program
from openiop.scheduling.localtime import today_in

# roles whose organization-wide members count as every program's team
TEAM_ROLES = ("program_director", "clinician", "prescriber")
MAX_COMPARE = 3
WAIT_STALE_DAYS = 30
NOT_LISTED = "Not listed: ask them."


def active_facility(facility_uuid) -> Facility:
    programs_sync_if_changed()
    facility = (
        Facility.objects.filter(uuid=facility_uuid, is_active=True)
        .select_related("program__site", "program__organization", "program__directory_profile")
        .first()
    )
    if facility is None:
        raise NotFound("No such program is listed.")
    return facility


def latest_import() -> FacilityImport | None:
    return FacilityImport.objects.order_by("-created_at").first()


# ----- the team ------------------------------------------------------------------


@dataclass
class Team:
    counts: list[tuple[str, str, int]]  # (licence code, label, people)
    named: list[tuple[str, list[str]]]  # (name, licence codes): staff who opted in
    people: int


def team_for(program: Program) -> Team:
    """Current licences of the program's team (valid in the site's state), counted
    by type; names only of staff who chose to be named (User.show_name_in_directory)."""
    today = today_in(program.site.time_zone)
    members = User.objects.filter(is_active=True).filter(
        Q(memberships__is_active=True, memberships__program=program)
        | Q(
            memberships__is_active=True,
            memberships__program__isnull=True,
            memberships__organization_id=program.organization_id,
            memberships__role__in=TEAM_ROLES,
        )
    )
    creds = (
        StaffCredential.objects.valid_at(program.site, today)
        .filter(user__in=members)
        .select_related("user")
        .order_by("license_type")
    )
    by_type: dict[str, set[int]] = {}
    by_user: dict[int, tuple[User, list[str]]] = {}
    for c in creds:
        by_type.setdefault(c.license_type, set()).add(c.user_id)
        entry = by_user.setdefault(c.user_id, (c.user, []))
        if c.license_type not in entry[1]:
            entry[1].append(c.license_type)
    labels = dict(LicenseType.choices)
    order = [code for code, _ in LicenseType.choices]
    counts = [
        (code, labels.get(code, code), len(users))
        for code, users in sorted(
            by_type.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
        )
    ]
    named = sorted(
        (user.get_display_name(), codes)
        for user, codes in by_user.values()
        if user.show_name_in_directory
    )
    return Team(counts=counts, named=named, people=len(by_user))


# ----- the cost --------------------------------------------------------------------


@dataclass
class Cost:
    weekly_rate: Decimal | None = None
    weeks_min: int | None = None
    weeks_max: int | None = None
    sliding_scale: bool = False
    payments: list[str] = field(default_factory=list)
    plans: str = ""
    ask_plan: list[str] = field(default_factory=list)

    @property
    def low(self) -> Decimal | None:
        return None if self.weekly_rate is None else self.weekly_rate * self.weeks_min

    @property
    def high(self) -> Decimal | None:
        return None if self.weekly_rate is None else self.weekly_rate * self.weeks_max


def plan_questions(name: str, bits: int) -> list[str]:
    """What to ask an insurance plan before starting (codes from DOMAIN.md)."""
    codes = []
    if bits & FT.feature("focus", "substance_use").mask:
        codes.append("H0015 (substance use IOP, per day)")
    if bits & FT.feature("focus", "mental_health").mask:
        codes.append("S9480 (psychiatric IOP, per day; not Medicare)")
    questions = [
        f"Is {name} in your plan's network, and does the plan cover intensive outpatient "
        "(IOP) care?",
        "Do you need prior authorization or a referral before the first day?",
        "What will you pay: how much of the deductible is left, and the copay or coinsurance "
        "per day?",
        "How many days or weeks of IOP does the plan cover, and how are more approved?",
        "Are family sessions covered (family psychotherapy, 90846/90847)?",
        "If the program is out of network, what share would the plan still pay?",
    ]
    if codes:
        questions.insert(
            3, "Ask about the billing code the program uses: " + " or ".join(codes) + "."
        )
    if bits & FT.feature("payment", "medicare").mask:
        questions.append(
            "With Medicare: IOP is covered since January 2024 when a physician certifies you "
            "need at least 9 hours of services a week."
        )
    return questions


def cost_for(facility: Facility) -> Cost:
    bits = facility.features
    cost = Cost(
        payments=FT.labels(bits, "payment"),
        sliding_scale=bool(bits & FT.feature("payment", "sliding_scale").mask),
        ask_plan=plan_questions(facility.name, bits),
    )
    profile = _profile(facility)
    if profile is not None:
        cost.weekly_rate = profile.self_pay_weekly_rate
        cost.weeks_min, cost.weeks_max = profile.typical_weeks_min, profile.typical_weeks_max
        cost.plans = profile.insurance_plans
    return cost


def _profile(facility: Facility) -> DirectoryProfile | None:
    if facility.program_id is None:
        return None
    try:
        return facility.program.directory_profile
    except DirectoryProfile.DoesNotExist:  # pragma: no cover - listed programs have one
        return None


# ----- a program's page ------------------------------------------------------------


@dataclass
class Question:
    question: str
    answer: list[str]
    known: bool


def _yes(bits: int, key: str) -> bool:
    return bool(bits & FT.BY_KEY[key].mask)


def languages_of(facility: Facility) -> list[str]:
    return [FT.language_label(s) for s in FT.decode_languages(facility.languages)]


@dataclass
class ProgramPage:
    facility: Facility
    facts: list[tuple[str, list[str]]]
    services: list[tuple[str, list[str]]]
    questions: list[Question]
    cost: Cost
    profile: DirectoryProfile | None = None
    tracks: list = field(default_factory=list)
    team: Team | None = None
    outcomes: list = field(default_factory=list)
    testimonials: list = field(default_factory=list)
    wait: str = ""
    wait_stale: bool = False

    @property
    def family_offered(self) -> bool:
        """The listing's family sessions, as its bits say (set only when the
        program's staff can deliver them)."""
        key = FT.BY_KEY.get("family:family_counseling")
        return bool(key is not None and self.facility.features & key.mask)


def facts_for(facility: Facility) -> list[tuple[str, list[str]]]:
    bits = facility.features
    rows = [
        ("Level of care", FT.labels(bits, "level_of_care") + FT.labels(bits, "other")),
        ("Treats", FT.labels(bits, "focus")),
        ("Sessions", FT.labels(bits, "schedule")),
        ("Payment accepted", FT.labels(bits, "payment")),
        ("Ages accepted", FT.labels(bits, "age")),
        ("Sex accepted", FT.labels(bits, "sex")),
        ("Languages", ["English", *languages_of(facility)]),
        ("Special programs", FT.labels(bits, "special")),
        ("Family", FT.labels(bits, "family")),
        ("Telehealth", ["Yes"] if _yes(bits, "telehealth:telehealth") else []),
        ("Accreditation", FT.labels(bits, "accreditation")),
        ("Services", FT.labels(bits, "services")),
    ]
    return rows


def services_of(facility: Facility) -> list[tuple[str, list[str]]]:
    """Every category of the imported listing, unknown codes included."""
    out = []
    for item in facility.services or []:
        label = CATEGORY_LABELS.get(item["code"]) or item.get("label") or item["code"]
        out.append((f"{label} ({item['code']})", list(item.get("values", []))))
    return out


def wait_text(profile: DirectoryProfile | None) -> tuple[str, bool]:
    if profile is None or profile.wait_days is None or profile.wait_updated_on is None:
        return "", False
    days = profile.wait_days
    when = "No wait: admissions this week" if days == 0 else f"About {days} days"
    stale = (timezone.localdate() - profile.wait_updated_on).days > WAIT_STALE_DAYS
    return f"{when} (as of {profile.wait_updated_on:%b %-d, %Y})", stale


def questions_for(page: ProgramPage, distance: float | None) -> list[Question]:
    """The questions the article says to ask, with this program's answers where known."""
    f, bits, profile = page.facility, page.facility.features, page.profile
    qs: list[Question] = []

    where = [", ".join(f.address_lines)]
    if distance is not None:
        how_far = f.how_far(distance, "the place you searched")
        where.insert(0, f"{how_far[:1].upper()}{how_far[1:]}.")
    if _yes(bits, "telehealth:telehealth"):
        where.append("Offers telehealth sessions.")
    qs.append(Question("Is it close enough to get to several times a week?", where, True))

    treats = FT.labels(bits, "focus")
    special = []
    if _yes(bits, "focus:co_occurring"):
        special.append("Treats co-occurring mental health and substance use (dual diagnosis).")
    if _yes(bits, "services:relapse_prevention"):
        special.append("Teaches relapse prevention.")
    answer = ([f"Treats: {', '.join(treats)}."] if treats else []) + special
    qs.append(
        Question(
            "Does it specialise in what you need, such as dual diagnosis or relapse prevention?",
            answer or [NOT_LISTED],
            bool(answer),
        )
    )

    if page.team is not None and page.team.counts:
        staff = [f"{n} {label}" for _c, label, n in page.team.counts]
        answer = [f"Current licences on the team: {'; '.join(staff)}."]
        if page.team.named:
            answer.append(
                "Named by their choice: "
                + "; ".join(f"{name} ({', '.join(codes)})" for name, codes in page.team.named)
                + "."
            )
        qs.append(Question("What are the staff's credentials?", answer, True))
    else:
        lca = FT.labels(bits, "accreditation")
        answer = [f"Accredited by {', '.join(lca)}."] if lca else []
        answer.append(
            "Staff licences are not listed: ask who leads groups and individual sessions "
            "(for example LCSW, LPC, LMFT, LADC/CADC, psychiatrist or psychiatric NP)."
        )
        qs.append(Question("What are the staff's credentials?", answer, False))

    family = []
    if profile is not None and profile.family_program:
        family.append(profile.family_program_description or "Has a family program.")
    elif _yes(bits, "family:family_counseling"):
        family.append("Offers family counseling.")
    if _yes(bits, "services:peer_support"):
        family.append("Offers peer support or a recovery coach.")
    qs.append(
        Question(
            "How does it involve family or peer support?", family or [NOT_LISTED], bool(family)
        )
    )

    if page.outcomes:
        answer = [
            f"{o.label}: {o.display}"
            + (f" ({o.numerator} of {o.denominator})" if o.numerator is not None else "")
            for o in page.outcomes
        ]
        qs.append(Question("What are its success rates?", answer, True))
    else:
        answer = ["No measured outcomes are published here: ask what they measure and how."]
        if _yes(bits, "services:outcome_followup"):
            answer.append("It says it follows up with people after discharge.")
        qs.append(Question("What are its success rates?", answer, False))

    if page.testimonials:
        qs.append(
            Question(
                "What do people who went there say?",
                [f"{len(page.testimonials)} published testimonial(s) below."],
                True,
            )
        )
    else:
        qs.append(
            Question(
                "What do people who went there say?",
                [
                    "No testimonials are published here."
                    + (
                        " Only programs that use OpenIOP collect them."
                        if f.program_id is None
                        else ""
                    )
                ],
                False,
            )
        )

    if page.tracks:
        answer = [
            f"{t.name}: {t.days_label} {t.hours_label} ({t.weekly_hours.normalize():f} h/week)"
            for t in page.tracks
        ]
        qs.append(Question("When do sessions meet? Can you keep working?", answer, True))
    else:
        qs.append(
            Question(
                "When do sessions meet? Can you keep working?",
                ["Session times are not listed: ask about evening and weekend groups."],
                False,
            )
        )

    cost = page.cost
    answer = []
    if cost.payments:
        answer.append(f"Accepts: {', '.join(cost.payments)}.")
    if cost.weekly_rate is not None:
        answer.append(
            f"Self-pay ${cost.weekly_rate:,.0f} a week; typical stay {cost.weeks_min}-"
            f"{cost.weeks_max} weeks (${cost.low:,.0f}-${cost.high:,.0f})."
        )
    qs.append(
        Question(
            "Does it take your insurance, and what will it cost?",
            answer or [NOT_LISTED],
            bool(answer),
        )
    )

    meds = []
    if _yes(bits, "services:medications"):
        meds.append("Offers medications for addiction treatment.")
    if _yes(bits, "services:mental_health_services"):
        meds.append("Offers mental health services.")
    qs.append(
        Question(
            "Does it offer medication management or other therapies?",
            meds or [NOT_LISTED],
            bool(meds),
        )
    )

    qs.append(
        Question(
            "How soon can you start?",
            [page.wait] if page.wait else ["The wait for admission is not listed: ask."],
            bool(page.wait),
        )
    )
    return qs


def program_page(facility: Facility, *, distance: float | None = None) -> ProgramPage:
    profile = _profile(facility)
    page = ProgramPage(
        facility=facility,
        facts=facts_for(facility),
        services=services_of(facility),
        questions=[],
        cost=cost_for(facility),
        profile=profile,
    )
    if facility.program_id is not None:
        program = facility.program
        page.tracks = list(program.tracks.filter(is_active=True).order_by("start_time", "name"))
        page.team = team_for(program)
        page.outcomes = published_outcomes(program)
        page.testimonials = list(Testimonial.objects.filter(facility=facility).published())
        page.wait, page.wait_stale = wait_text(profile)
        for t in page.tracks:
            t.schedule = sorted(track_schedule(t))
    page.questions = questions_for(page, distance)
    return page


# ----- comparison ------------------------------------------------------------------


def compare(uuids: list) -> list[ProgramPage]:
    uuids = list(dict.fromkeys(str(u) for u in uuids))
    if not uuids:
        raise ApplicationError.for_field("f", "Choose two or three programs to compare.")
    if len(uuids) > MAX_COMPARE:
        raise ApplicationError.for_field(
            "f", f"Compare up to {MAX_COMPARE} programs at a time; you chose {len(uuids)}."
        )
    programs_sync_if_changed()
    found = {
        str(f.uuid): f
        for f in Facility.objects.filter(uuid__in=uuids, is_active=True).select_related(
            "program__site", "program__organization", "program__directory_profile"
        )
    }
    missing = [u for u in uuids if u not in found]
    if missing:
        raise ApplicationError.for_field(
            "f", "One of the programs you chose is no longer listed; search again."
        )
    return [program_page(found[u]) for u in uuids]


# ----- staff: what they may manage ----------------------------------------------------


def manageable_programs(actor, action: str = "manage"):
    g = grant(actor, f"directory.{action}")
    if not g:
        return Program.objects.none()
    return (
        Program.objects.filter(Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids))
        .select_related("site", "organization")
        .order_by("name")
    )


def moderation_queue(actor):
    return (
        Testimonial.objects.visible_to(actor, "moderate")
        .select_related("facility", "moderated_by")
        .order_by("status", "-created_at")
    )
