"""Billing rule templates, as data: a starting point for a payer's rule set,
one rule per level of care and focus the organization runs, which the billing
staff then adjust to the payer's contract.

Codes only, never the AMA's CPT descriptor text (DOMAIN.md). Sources:
DOMAIN.md "Billing codes" and "Revenue cycle facts": H0015 is a per-day code
(a program of at least 3 h/day and 3 days/week), S9480 per diem psychiatric
IOP and not Medicare, revenue code 0905 psychiatric IOP and 0906 chemical
dependency IOP (kept as data), Medicare IOP (2024) certification of need with
recertification about every 60 days, condition code 92, per-day payment in two
tiers (3 services, 4 or more). G0410 (group psychotherapy in PHP/IOP) is in
DOMAIN.md; G0176 (activity therapy) and G0177 (patient education and training)
are the HCPCS codes Medicare's partial hospitalization and IOP lines use for
those services. Rates differ by contract, locality and year: the templates
leave them blank.
"""

from copy import deepcopy

# session type code (the scheduling catalog) -> the service row every template starts from
PROFESSIONAL_SERVICES: dict[str, dict] = {
    "group_therapy": {"counts": True, "bills_separately": False, "code": "90853"},
    "individual_therapy": {"counts": True, "bills_separately": False, "code": "90834"},
    "family_therapy": {"counts": True, "bills_separately": False, "code": "90847"},
    "medication_management": {"counts": True, "bills_separately": False, "code": "99213"},
    # count toward the day, no code of their own
    "psychoeducation": {"counts": True, "bills_separately": False, "code": ""},
    "skills_group": {"counts": True, "bills_separately": False, "code": ""},
    # a specimen collection is not a treatment service of the day
    "drug_testing": {"counts": False, "bills_separately": False, "code": ""},
}

# Medicare IOP on an institutional claim: a line per qualifying service; the
# prescriber's visit goes on the prescriber's own professional claim.
MEDICARE_SERVICES: dict[str, dict] = {
    "group_therapy": {"counts": True, "bills_separately": False, "code": "G0410"},
    "individual_therapy": {"counts": True, "bills_separately": False, "code": "90834"},
    "family_therapy": {"counts": True, "bills_separately": False, "code": "90847"},
    "psychoeducation": {"counts": True, "bills_separately": False, "code": "G0177"},
    "skills_group": {"counts": True, "bills_separately": False, "code": "G0176"},
    "medication_management": {"counts": False, "bills_separately": True, "code": "99213"},
    "drug_testing": {"counts": False, "bills_separately": False, "code": ""},
}

RULE_DEFAULTS: dict = {
    "method": "per_diem",
    "per_diem_code": "",
    "revenue_code": "",
    "per_diem_rate": None,
    "tier_3_rate": None,
    "tier_4_rate": None,
    "min_minutes_per_day": 180,
    "min_days_per_week": 3,
    "min_services_per_day": 1,
    "requires_authorization": True,
    "requires_certification": False,
    "recertification_days": None,
    "condition_code": "",
}

# name -> {"title", "rule" (fields over RULE_DEFAULTS), "services",
#          "by_focus"/"by_level" (fields that differ by the program's focus or level)}
TEMPLATES: dict[str, dict] = {
    "medicare_iop": {
        "title": "Medicare IOP",
        "rule": {
            "method": "per_service",
            "revenue_code": "0905",
            "min_minutes_per_day": 0,
            "min_days_per_week": 0,
            "min_services_per_day": 3,
            "requires_authorization": False,
            "requires_certification": True,
            "recertification_days": 60,
            "condition_code": "92",
        },
        "by_level": {
            # partial hospitalization claims carry condition code 41
            "2.5": {"condition_code": "41", "min_services_per_day": 4},
            "1": {
                "condition_code": "",
                "requires_certification": False,
                "recertification_days": None,
                "min_services_per_day": 1,
                "revenue_code": "",
            },
        },
        # 0906 is chemical dependency IOP (DOMAIN.md: kept as data)
        "by_focus": {"substance_use": {"revenue_code": "0906"}},
        "services": MEDICARE_SERVICES,
    },
    "commercial_sud_h0015": {
        "title": "Commercial SUD IOP H0015",
        "rule": {
            "method": "per_diem",
            "per_diem_code": "H0015",
            "revenue_code": "0906",
            "min_minutes_per_day": 180,
            "min_days_per_week": 3,
            "requires_authorization": True,
        },
        "services": PROFESSIONAL_SERVICES,
    },
    "commercial_psych_s9480": {
        "title": "Commercial psychiatric IOP S9480",
        "rule": {
            "method": "per_diem",
            "per_diem_code": "S9480",
            "revenue_code": "0905",
            "min_minutes_per_day": 180,
            "min_days_per_week": 3,
            "requires_authorization": True,
        },
        "services": PROFESSIONAL_SERVICES,
    },
    "self_pay": {
        "title": "Self-pay",
        "rule": {
            "method": "per_diem",
            "per_diem_code": "H0015",
            "revenue_code": "0906",
            "min_minutes_per_day": 180,
            "min_days_per_week": 0,
            "requires_authorization": False,
        },
        "by_focus": {"mental_health": {"per_diem_code": "S9480", "revenue_code": "0905"}},
        "services": PROFESSIONAL_SERVICES,
    },
}

CHOICES = [(key, t["title"]) for key, t in TEMPLATES.items()]


def template_rule(name: str, level_of_care: str, focus: str) -> dict:
    """One rule (the shape `rules_set` takes) from template `name` for a level and focus."""
    t = TEMPLATES[name]
    rule = {**deepcopy(RULE_DEFAULTS), **deepcopy(t["rule"])}
    rule.update(deepcopy(t.get("by_level", {}).get(level_of_care, {})))
    rule.update(deepcopy(t.get("by_focus", {}).get(focus, {})))
    rule["level_of_care"] = level_of_care
    rule["focus"] = focus
    rule["services"] = [
        {"session_type": code, **deepcopy(row)} for code, row in t["services"].items()
    ]
    return rule


def template_rules(name: str, combos) -> list[dict]:
    """The rule set of template `name` for each (level_of_care, focus) in `combos`."""
    if name not in TEMPLATES:
        raise KeyError(f"No rule template {name!r}.")
    return [template_rule(name, level, focus) for level, focus in combos]
