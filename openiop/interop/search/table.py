"""The one table of search parameters: what each resource type can be searched
by, with which modifiers, and where in the resource the value lives.

The search implements exactly these rows and the CapabilityStatement is
written from them (`capability_params`), so the two cannot drift. Patient is
searched in the database (`search.patients`); the other patient-record types
within one patient's record (`search.records`); the directory types and
AuditEvent in the database (`interop.directory`).
"""

from dataclasses import dataclass

SPEC = "http://hl7.org/fhir/SearchParameter"
COMMON_MODIFIERS = {
    "string": ("exact", "contains", "missing"),
    "token": ("not", "text", "missing"),
    "date": ("missing",),
    "reference": ("Patient",),
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # string | token | date | reference
    paths: tuple[str, ...] = ()  # element paths in the resource (records search)
    definition: str = ""
    documentation: str = ""
    modifiers: tuple[str, ...] | None = None  # None: COMMON_MODIFIERS[type]

    @property
    def allowed_modifiers(self) -> tuple[str, ...]:
        if self.modifiers is not None:
            return self.modifiers
        return COMMON_MODIFIERS.get(self.type, ())


def _p(name, type_, *paths, definition="", documentation="", modifiers=None) -> Param:
    return Param(name, type_, paths, definition, documentation, modifiers)


ID = _p("_id", "token", "id", definition=f"{SPEC}/Resource-id", modifiers=("missing",))
LAST_UPDATED = _p(
    "_lastUpdated",
    "date",
    "meta.lastUpdated",
    definition=f"{SPEC}/Resource-lastUpdated",
    documentation="eq, ne, gt, lt, ge, le; partial dates are ranges",
)
PATIENT = _p(
    "patient",
    "reference",
    definition=f"{SPEC}/clinical-patient",
    documentation="Required: this server searches one patient's record at a time.",
)


def _record(*params: Param) -> tuple[Param, ...]:
    return (PATIENT, ID, LAST_UPDATED, *params)


def _status(*paths: str, definition: str = "") -> Param:
    return _p("status", "token", *paths, definition=definition, modifiers=("not", "missing"))


PARAMS: dict[str, tuple[Param, ...]] = {
    "Patient": (
        ID,
        LAST_UPDATED,
        _p(
            "identifier",
            "token",
            definition=f"{SPEC}/Patient-identifier",
            documentation="system|value: the MRN under the organization's MRN system, "
            "or urn:ietf:rfc:3986|urn:uuid:<id>",
            modifiers=("missing",),
        ),
        _p(
            "name",
            "string",
            definition=f"{SPEC}/Patient-name",
            documentation="The start of any word of a given, family or preferred name",
        ),
        _p("family", "string", definition=f"{SPEC}/individual-family"),
        _p("given", "string", definition=f"{SPEC}/individual-given"),
        _p(
            "birthdate",
            "date",
            definition=f"{SPEC}/individual-birthdate",
            documentation="eq, ne, gt, lt, ge, le; 1992 and 1992-04 are ranges",
        ),
        _p(
            "gender",
            "token",
            definition=f"{SPEC}/individual-gender",
            documentation="male, female, other, unknown",
            modifiers=("not", "missing"),
        ),
    ),
    "RelatedPerson": _record(
        _p(
            "relationship", "token", "relationship", definition=f"{SPEC}/RelatedPerson-relationship"
        ),
    ),
    "EpisodeOfCare": _record(
        _status("status", definition=f"{SPEC}/EpisodeOfCare-status"),
        _p("date", "date", "period", definition=f"{SPEC}/clinical-date"),
        _p("type", "token", "type", definition=f"{SPEC}/EpisodeOfCare-type"),
    ),
    "Condition": _record(
        _p("code", "token", "code", definition=f"{SPEC}/clinical-code"),
        _p("category", "token", "category", definition=f"{SPEC}/Condition-category"),
        _p(
            "clinical-status",
            "token",
            "clinicalStatus",
            definition=f"{SPEC}/Condition-clinical-status",
        ),
        _p("onset-date", "date", "onsetDateTime", definition=f"{SPEC}/Condition-onset-date"),
    ),
    "CarePlan": _record(
        _status("status", definition=f"{SPEC}/CarePlan-status"),
        _p("category", "token", "category", definition=f"{SPEC}/CarePlan-category"),
        _p("date", "date", "period", definition=f"{SPEC}/clinical-date"),
    ),
    "Goal": _record(
        _p(
            "lifecycle-status",
            "token",
            "lifecycleStatus",
            definition=f"{SPEC}/Goal-lifecycle-status",
            modifiers=("not", "missing"),
        ),
        _p(
            "achievement-status",
            "token",
            "achievementStatus",
            definition=f"{SPEC}/Goal-achievement-status",
        ),
        _p("target-date", "date", "target.dueDate", definition=f"{SPEC}/Goal-target-date"),
    ),
    "Consent": _record(
        _status("status", definition=f"{SPEC}/Consent-status"),
        _p("date", "date", "dateTime", definition=f"{SPEC}/clinical-date"),
        _p("period", "date", "provision.period", definition=f"{SPEC}/Consent-period"),
    ),
    "QuestionnaireResponse": _record(
        _status("status", definition=f"{SPEC}/QuestionnaireResponse-status"),
        _p("authored", "date", "authored", definition=f"{SPEC}/QuestionnaireResponse-authored"),
    ),
    "Observation": _record(
        _p("code", "token", "code", definition=f"{SPEC}/clinical-code"),
        _p("category", "token", "category", definition=f"{SPEC}/Observation-category"),
        _p(
            "date",
            "date",
            "effectiveDateTime",
            "effectivePeriod",
            definition=f"{SPEC}/clinical-date",
        ),
        _status("status", definition=f"{SPEC}/Observation-status"),
    ),
    "Appointment": _record(
        _status("status", definition=f"{SPEC}/Appointment-status"),
        _p("date", "date", "start", definition=f"{SPEC}/Appointment-date"),
        _p("service-type", "token", "serviceType", definition=f"{SPEC}/Appointment-service-type"),
    ),
    "Encounter": _record(
        _status("status", definition=f"{SPEC}/Encounter-status"),
        _p("date", "date", "period", definition=f"{SPEC}/clinical-date"),
        _p("class", "token", "class", definition=f"{SPEC}/Encounter-class"),
    ),
}
_NAME = _p("name", "string", documentation="Any part of the name", modifiers=("exact", "contains"))
for _directory_type in ("Organization", "Location", "HealthcareService", "Practitioner"):
    PARAMS[_directory_type] = (
        _p("_id", "token", definition=f"{SPEC}/Resource-id", modifiers=()),
        _NAME,
    )
# a program, as the Group Bulk Data exports (fhir/group.py)
PARAMS["Group"] = (
    _p("_id", "token", definition=f"{SPEC}/Resource-id", modifiers=()),
    _p(
        "identifier",
        "token",
        "identifier",
        definition=f"{SPEC}/Group-identifier",
        documentation="urn:ietf:rfc:3986|urn:uuid:<id>",
        modifiers=(),
    ),
    _NAME,
)
PARAMS["AuditEvent"] = (
    _p("patient", "reference", definition=f"{SPEC}/AuditEvent-patient"),
    _p(
        "date",
        "date",
        definition=f"{SPEC}/AuditEvent-date",
        documentation="eq, ne, gt, lt, ge, le; partial dates are ranges",
        modifiers=(),
    ),
)

# _sort keys, by type: key -> what the search sorts on (see search.patients, search.records)
SORTS: dict[str, tuple[str, ...]] = {
    "Patient": ("family", "given", "birthdate", "_lastUpdated", "_id"),
    **{
        t: ("_lastUpdated", "_id") + (("date",) if any(p.name == "date" for p in ps) else ())
        for t, ps in PARAMS.items()
        if t != "Patient" and any(p.name == "patient" for p in ps) and t != "AuditEvent"
    },
}
# _include: the patient every record resource belongs to
INCLUDES: dict[str, tuple[str, ...]] = {
    t: (f"{t}:patient",) for t, ps in PARAMS.items() if ps and ps[0] is PATIENT
}
# parameters every search understands (they shape the answer, not the match)
RESULT_PARAMETERS = ("_count", "_page", "_summary", "_elements", "_sort", "_include", "_format")


def params_for(resource_type: str) -> dict[str, Param]:
    return {p.name: p for p in PARAMS.get(resource_type, ())}


def capability_params(resource_type: str) -> list[dict]:
    """searchParam entries of the CapabilityStatement for this type."""
    out = []
    for p in PARAMS.get(resource_type, ()):
        entry = {"name": p.name, "type": p.type}
        if p.definition:
            entry["definition"] = p.definition
        docs = [p.documentation] if p.documentation else []
        if p.allowed_modifiers:
            docs.append("modifiers: " + ", ".join(f":{m}" for m in p.allowed_modifiers))
        if docs:
            entry["documentation"] = "; ".join(docs)
        out.append(entry)
    out.append(
        {
            "name": "_count",
            "type": "number",
            "documentation": "Page size, capped at 100; 0 answers the total only",
        }
    )
    if resource_type in SORTS:
        out.append(
            {
                "name": "_sort",
                "type": "string",
                "documentation": "One or more of "
                + ", ".join(SORTS[resource_type])
                + " (a leading - sorts descending)",
            }
        )
    return out
