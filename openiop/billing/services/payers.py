"""Payers, their rule sets (replaced whole, atomically) and the organization's
billing profile. Every refusal names the field and writes nothing."""

import re
from decimal import Decimal, InvalidOperation

from django.db import transaction

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.models import (
    BillingMethod,
    BillingProfile,
    BillingRule,
    Payer,
    ProviderKind,
    RuleService,
)
from openiop.billing.rules import rule_for
from openiop.core.errors import ApplicationError
from openiop.organizations.levels import LEVELS
from openiop.organizations.models import Focus, Program
from openiop.patients.models import PayerType
from openiop.scheduling.models import SessionType

CODE = re.compile(r"^[A-Z0-9]*$")
REVENUE = re.compile(r"^[0-9]{4}$")
PAYER_ID = re.compile(r"^[A-Za-z0-9]*$")
MEDICARE_IOP_LEVEL = "2.1"
MEDICARE_IOP_CONDITION = "92"
NOT_MEDICARE_CODES = {"S9480"}  # DOMAIN.md: per diem psychiatric IOP, not Medicare
DEFAULT_RECERTIFICATION_DAYS = 60
MAX_RATE = Decimal("9999999.99")
RULE_FIELDS = (
    "method",
    "per_diem_code",
    "revenue_code",
    "per_diem_rate",
    "tier_3_rate",
    "tier_4_rate",
    "min_minutes_per_day",
    "min_days_per_week",
    "min_services_per_day",
    "requires_authorization",
    "requires_certification",
    "recertification_days",
    "condition_code",
)
# field -> (lowest, highest, default)
NUMBERS = {
    "min_minutes_per_day": (0, 24 * 60, 180),
    "min_days_per_week": (0, 7, 3),
    "min_services_per_day": (1, 20, 1),
    "recertification_days": (1, 366, None),
}


# --- payers -------------------------------------------------------------------------


def _payer_values(organization, data: dict, *, exclude_pk=None, kept_recipient_id=None) -> dict:
    name = " ".join((data.get("name") or "").split())
    if not name:
        raise ApplicationError.for_field("name", "Enter the payer's name.")
    if len(name) > 150:
        raise ApplicationError.for_field("name", "Keep the name under 150 characters.")
    taken = Payer.objects.filter(organization=organization, name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ApplicationError.for_field("name", f"The organization already has a payer {name}.")
    kind = data.get("kind")
    if kind not in PayerType.values:
        raise ApplicationError.for_field("kind", "Choose the kind of payer.")
    payer_id = (data.get("payer_id") or "").strip()
    if not PAYER_ID.match(payer_id) or len(payer_id) > 80:
        raise ApplicationError.for_field(
            "payer_id", "The payer ID is letters and digits only (the payer's electronic id)."
        )
    return {
        "name": name,
        "kind": kind,
        "payer_id": payer_id,
        "is_active": bool(data.get("is_active", True)),
        "recipient": _recipient(organization, data.get("recipient"), kept_id=kept_recipient_id),
    }


def _recipient(organization, recipient, *, kept_id=None):
    """The payer as a Part 2 recipient (where its review packets are sent): one
    of the organization's active recipients of kind payer, or none. A recipient
    the payer already names may have been deactivated since."""
    from openiop.consent.models import RecipientKind

    if recipient is None:
        return None
    if (
        recipient.organization_id != organization.pk
        or recipient.kind != RecipientKind.PAYER
        or not (recipient.is_active or recipient.pk == kept_id)
    ):
        raise ApplicationError.for_field(
            "recipient", "Choose one of the organization's active Part 2 recipients of kind payer."
        )
    return recipient


def payer_create(*, actor, organization, **data) -> Payer:
    require(actor, "payer.manage", organization_id=organization.pk, action=Action.CREATE)
    values = _payer_values(organization, data)
    with transaction.atomic():
        payer = Payer.objects.create(organization=organization, created_by=actor, **values)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="payer.create",
            obj=payer,
            organization_id=organization.pk,
            changed_fields=[k for k, v in values.items() if v not in ("", None)],
        )
    return payer


def payer_update(*, actor, payer: Payer, **data) -> Payer:
    require(actor, "payer.manage", organization_id=payer.organization_id, action=Action.UPDATE)
    fields = ("name", "kind", "payer_id", "is_active", "recipient")
    current = {f: getattr(payer, f) for f in fields}
    values = _payer_values(
        payer.organization,
        {**current, **data},
        exclude_pk=payer.pk,
        kept_recipient_id=payer.recipient_id,
    )
    changed = [k for k, v in values.items() if getattr(payer, k) != v]
    if not changed:
        return payer
    if "kind" in changed:  # the rules were checked against the old kind
        rules = [_rule_as_data(r) for r in payer.rules.prefetch_related("services__session_type")]
        trial = Payer(organization_id=payer.organization_id, kind=values["kind"])
        try:
            _validated(trial, rules, _session_types(payer.organization_id), check_gaps=False)
        except ApplicationError as exc:
            raise ApplicationError.for_field(
                "kind", f"The payer's rules do not fit that kind: {exc.message}"
            ) from None
    with transaction.atomic():
        for k in changed:
            setattr(payer, k, values[k])
        payer.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="payer.update",
            obj=payer,
            organization_id=payer.organization_id,
            changed_fields=changed,
        )
    return payer


# --- rule sets ----------------------------------------------------------------------


def _where(i: int, field: str) -> str:
    return f"rules.{i}.{field}"


def _refuse(field: str, message: str):
    raise ApplicationError.for_field(field, message)


def _text_code(value, field: str, label: str) -> str:
    code = str(value or "").strip().upper()
    if not CODE.match(code) or len(code) > 12:
        _refuse(field, f"The {label} is letters and digits only, up to 12 (e.g. H0015).")
    return code


def _number(value, field: str, label: str):
    low, high, default = NUMBERS[field.rsplit(".", 1)[-1]]
    if value in (None, ""):
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        _refuse(field, f"The {label} is a whole number.")
    if isinstance(value, float) and value != n:
        _refuse(field, f"The {label} is a whole number.")
    if not low <= n <= high:
        _refuse(field, f"The {label} is between {low} and {high}.")
    return n


def _rate(value, field: str):
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        _refuse(field, "A rate is an amount in dollars, e.g. 250.00.")
    if not d.is_finite() or d < 0 or d > MAX_RATE or d != d.quantize(Decimal("0.01")):
        _refuse(field, "A rate is an amount in dollars and cents, not negative, e.g. 250.00.")
    return d.quantize(Decimal("0.01"))


def _session_types(organization_id) -> dict[str, SessionType]:
    return {t.code: t for t in SessionType.objects.filter(organization_id=organization_id)}


def _clean_services(i: int, raw, types: dict, method: str) -> list[dict]:
    if raw in (None, ""):
        return []
    if isinstance(raw, dict):  # {session type code: row}
        raw = [{"session_type": k, **(v or {})} for k, v in raw.items()]
    out, seen = [], set()
    for row in raw:
        st = row.get("session_type")
        code_of_type = getattr(st, "code", st)
        where = f"rules.{i}.services.{code_of_type}"
        if code_of_type not in types:
            _refuse(where, f"No session type {code_of_type!r} in the organization.")
        if code_of_type in seen:
            _refuse(where, f"{types[code_of_type].name} is listed twice in one rule.")
        seen.add(code_of_type)
        counts = bool(row.get("counts", True))
        separately = bool(row.get("bills_separately", False))
        code = _text_code(row.get("code"), f"{where}.code", "service code")
        name = types[code_of_type].name
        if separately and not code:
            _refuse(f"{where}.code", f"{name} bills on its own line: enter its code.")
        if method == BillingMethod.PER_SERVICE and counts and not code:
            _refuse(
                f"{where}.code",
                f"{name} counts as a service of a per-service rule: enter its code "
                "(or do not count it).",
            )
        out.append(
            {
                "session_type": types[code_of_type],
                "counts": counts,
                "bills_separately": separately,
                "code": code,
                "rate": _rate(row.get("rate"), f"{where}.rate"),
            }
        )
    return out


def _clean_rule(i: int, raw: dict, payer: Payer, types: dict) -> dict:
    level = str(raw.get("level_of_care") or "")
    if level not in LEVELS:
        _refuse(_where(i, "level_of_care"), "Choose a level of care.")
    focus = raw.get("focus") or ""
    if focus and focus not in Focus.values:
        _refuse(_where(i, "focus"), "Choose a focus, or every focus.")
    method = raw.get("method")
    if method not in BillingMethod.values:
        _refuse(_where(i, "method"), "Choose per day or per service.")
    rule = {"level_of_care": level, "focus": focus, "method": method}
    rule["per_diem_code"] = _text_code(
        raw.get("per_diem_code"), _where(i, "per_diem_code"), "per-diem code"
    )
    rule["condition_code"] = _text_code(
        raw.get("condition_code"), _where(i, "condition_code"), "condition code"
    )
    if len(rule["condition_code"]) not in (0, 2):
        _refuse(_where(i, "condition_code"), "A condition code is two characters, e.g. 92.")
    revenue = str(raw.get("revenue_code") or "").strip()
    if revenue and not REVENUE.match(revenue):
        _refuse(
            _where(i, "revenue_code"),
            "The revenue code is 4 digits, e.g. 0905 (psychiatric) or 0906 (chemical dependency).",
        )
    rule["revenue_code"] = revenue
    for f in ("per_diem_rate", "tier_3_rate", "tier_4_rate"):
        rule[f] = _rate(raw.get(f), _where(i, f))
    labels = {
        "min_minutes_per_day": "minimum minutes a day",
        "min_days_per_week": "minimum days a week",
        "min_services_per_day": "minimum services a day",
        "recertification_days": "recertification interval (days)",
    }
    for f, label in labels.items():
        rule[f] = _number(raw.get(f), _where(i, f), label)
    rule["requires_authorization"] = bool(raw.get("requires_authorization", True))
    rule["requires_certification"] = bool(raw.get("requires_certification", False))
    if rule["requires_certification"]:
        rule["recertification_days"] = rule["recertification_days"] or DEFAULT_RECERTIFICATION_DAYS
    else:
        rule["recertification_days"] = None
    if method == BillingMethod.PER_DIEM and not rule["per_diem_code"]:
        _refuse(_where(i, "per_diem_code"), "A per-day rule needs its per-diem code (e.g. H0015).")
    services = _clean_services(i, raw.get("services"), types, method)
    if payer.kind == PayerType.MEDICARE:
        _medicare(i, rule, services)
    rule["services"] = services
    return rule


def _medicare(i: int, rule: dict, services: list[dict]) -> None:
    codes = {rule["per_diem_code"]} | {s["code"] for s in services}
    for code in sorted(codes & NOT_MEDICARE_CODES):
        field = "per_diem_code" if rule["per_diem_code"] == code else "services"
        _refuse(_where(i, field), f"{code} is not a Medicare code: Medicare does not pay it.")
    if rule["level_of_care"] == MEDICARE_IOP_LEVEL:
        if rule["condition_code"] != MEDICARE_IOP_CONDITION:
            _refuse(
                _where(i, "condition_code"),
                "A Medicare intensive outpatient rule carries condition code 92.",
            )
        if not rule["requires_certification"]:
            _refuse(
                _where(i, "requires_certification"),
                "Medicare intensive outpatient care requires a physician's certification.",
            )


def _validated(payer: Payer, rules, types: dict, *, check_gaps: bool = True) -> list[dict]:
    if not isinstance(rules, list | tuple) or not all(isinstance(r, dict) for r in rules):
        _refuse("rules", "The rule set is a list of rules.")
    cleaned, seen = [], {}
    for i, raw in enumerate(rules):
        rule = _clean_rule(i, raw, payer, types)
        key = (rule["level_of_care"], rule["focus"])
        if key in seen:
            focus = Focus(rule["focus"]).label if rule["focus"] else "every focus"
            _refuse(
                _where(i, "focus"),
                f"Two rules for level {rule['level_of_care']} and {focus.lower()}: keep one.",
            )
        seen[key] = i
        cleaned.append(rule)
    if check_gaps:
        _no_gaps(payer, cleaned)
    return cleaned


def _no_gaps(payer: Payer, cleaned: list[dict]) -> None:
    stand_ins = [BillingRule(level_of_care=r["level_of_care"], focus=r["focus"]) for r in cleaned]
    programs = Program.objects.filter(organization_id=payer.organization_id, is_active=True)
    for program in programs.order_by("name"):
        if rule_for(stand_ins, program) is None:
            _refuse(
                "rules",
                f"No rule for the program {program.name} (level {program.level_of_care}, "
                f"{program.get_focus_display().lower()}): add a rule for its level and focus "
                "or for its level and every focus.",
            )


def _rule_as_data(rule: BillingRule) -> dict:
    data = {f: getattr(rule, f) for f in ("level_of_care", "focus", *RULE_FIELDS)}
    data["services"] = [
        {
            "session_type": s.session_type.code,
            "counts": s.counts,
            "bills_separately": s.bills_separately,
            "code": s.code,
            "rate": s.rate,
        }
        for s in rule.services.all()
    ]
    return data


def rules_as_data(payer: Payer) -> list[dict]:
    """The payer's rule set in the shape `rules_set` takes."""
    rows = payer.rules.prefetch_related("services__session_type").order_by("level_of_care", "focus")
    return [_rule_as_data(r) for r in rows]


def rules_set(*, actor, payer: Payer, rules: list[dict]) -> list[BillingRule]:
    """Replace the payer's whole rule set. A rule kept (same level and focus)
    keeps its row, so the days it decided keep pointing at it; its services are
    replaced. Refused whole, nothing written, on any error."""
    require(actor, "payer.manage", organization_id=payer.organization_id, action=Action.UPDATE)
    cleaned = _validated(payer, rules, _session_types(payer.organization_id))
    with transaction.atomic():
        Payer.objects.select_for_update().filter(pk=payer.pk).first()  # one writer per payer
        existing = {(r.level_of_care, r.focus): r for r in BillingRule.objects.filter(payer=payer)}
        before = {k: _rule_as_data(r) for k, r in existing.items()}
        keep, created, changed = [], [], []
        for data in cleaned:
            key = (data["level_of_care"], data["focus"])
            row = existing.pop(key, None)
            values = {f: data[f] for f in RULE_FIELDS}
            if row is None:
                row = BillingRule.objects.create(
                    organization_id=payer.organization_id,
                    payer=payer,
                    level_of_care=key[0],
                    focus=key[1],
                    created_by=actor,
                    **values,
                )
                created.append(key)
            else:
                diff = [f for f, v in values.items() if getattr(row, f) != v]
                for f in diff:
                    setattr(row, f, values[f])
                if diff:
                    row.save(update_fields=[*diff, "updated_at"])
                if diff or _services_differ(before[key]["services"], data["services"]):
                    changed.append(key)
                row.services.all().delete()
            RuleService.objects.bulk_create(
                [RuleService(rule=row, created_by=actor, **s) for s in data["services"]]
            )
            keep.append(row)
        removed = sorted(existing)
        if existing:
            BillingRule.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="payer.rules_set",
            obj=payer,
            organization_id=payer.organization_id,
            changed_fields=["rules"] if (created or changed or removed) else [],
            detail={
                "rules": len(keep),
                "created": [_label(k) for k in created],
                "changed": [_label(k) for k in changed],
                "removed": [_label(k) for k in removed],
            },
        )
        _recheck_open_days(payer)
    return keep


def _label(key) -> str:
    level, focus = key
    return f"{level}/{focus or 'any'}"


def _services_differ(before: list[dict], after: list[dict]) -> bool:
    def norm(rows, code_of):
        return sorted(
            (code_of(r), r["counts"], r["bills_separately"], r["code"], r["rate"]) for r in rows
        )

    old = norm(before, lambda r: r["session_type"])
    return old != norm(after, lambda r: r["session_type"].code)


def _recheck_open_days(payer: Payer) -> None:
    """A rule change can hold or release the payer's open days: re-evaluate
    their episodes after the commit."""
    from openiop.billing.day_models import BillingDay, DayStatus

    ids = list(
        BillingDay.objects.filter(payer=payer, status__in=[DayStatus.HELD, DayStatus.READY])
        .values_list("episode_id", flat=True)
        .distinct()
    )
    from openiop.billing.services.days import recheck_later

    recheck_later(ids)


# --- templates ----------------------------------------------------------------------


def organization_combos(organization_id) -> list[tuple[str, str]]:
    """The (level of care, focus) pairs the organization's active programs run."""
    pairs = Program.objects.filter(organization_id=organization_id, is_active=True).values_list(
        "level_of_care", "focus"
    )
    return sorted(set(pairs))


# --- billing profile ----------------------------------------------------------------


def billing_profile_set(*, actor, organization, provider_kind: str) -> BillingProfile:
    require(actor, "payer.manage", organization_id=organization.pk, action=Action.UPDATE)
    if provider_kind not in ProviderKind.values:
        raise ApplicationError.for_field("provider_kind", "Choose the kind of provider.")
    with transaction.atomic():
        profile, made = BillingProfile.objects.select_for_update().get_or_create(
            organization=organization,
            defaults={"provider_kind": provider_kind, "created_by": actor},
        )
        if not made and profile.provider_kind == provider_kind:
            return profile
        if not made:
            profile.provider_kind = provider_kind
            profile.save(update_fields=["provider_kind", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.CREATE if made else Action.UPDATE,
            event="billing_profile.set",
            obj=profile,
            organization_id=organization.pk,
            changed_fields=["provider_kind"],
        )
    return profile
