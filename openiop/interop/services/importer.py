"""Import a patient's FHIR Bundle from another system (e.g. the residential
program referring them): validate it, show what it would create, then create
it in one transaction, or nothing.

`import_plan` reads and checks, writes nothing, and says per item what will be
created and what cannot be mapped (and why); `import_run` creates the patient
(or uses the matching one), admits them to the chosen program, and adds
support persons, diagnoses and plan goals, all or nothing. A Bundle that is
not FHIR, a resource that fails validation, or a reference to nothing that the
mapping needs refuses the whole import with an OperationOutcome.
"""

import datetime as dt
import json
from dataclasses import dataclass, field

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from openiop.care.plans import icd
from openiop.core.errors import ApplicationError
from openiop.interop.fhir.operation_outcome import issue, outcome
from openiop.patients.models import Patient

MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 2000
ROLE_BACK = {"SPS": "spouse", "PRN": "parent", "CHILD": "child", "SIB": "sibling", "FRND": "friend"}
ROLE_BACK.update({"WIFE": "spouse", "HUSB": "spouse", "MTH": "parent", "FTH": "parent"})
ROLE_BACK.update({"SONC": "child", "DAUC": "child", "BRO": "sibling", "SIS": "sibling"})
MAPPED = {"Patient", "RelatedPerson", "EpisodeOfCare", "Condition", "CarePlan", "Goal"}
IGNORED = {"Organization", "Location", "HealthcareService", "Practitioner", "PractitionerRole"}


class ImportRefused(ApplicationError):
    """The Bundle cannot be imported at all; `issues` say why (OperationOutcome)."""

    status = 422
    code = "import_refused"

    def __init__(self, message: str, issues: list[dict]):
        super().__init__(message, fields={"bundle": [i["diagnostics"] for i in issues][:20]})
        self.issues = issues

    @property
    def operation_outcome(self) -> dict:
        return outcome(self.issues)


@dataclass
class ImportPlan:
    source: str = ""
    patient: dict = field(default_factory=dict)
    match: object = None  # an existing Patient of the organization
    support_persons: list[dict] = field(default_factory=list)
    episode_start: dt.date | None = None
    history: list[str] = field(default_factory=list)  # earlier episodes, reported only
    diagnoses: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # what other apps map (scores)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def patient_name(self) -> str:
        p = self.patient
        return f"{p.get('legal_given_name', '')} {p.get('legal_family_name', '')}".strip()


def parse_bundle(raw) -> dict:
    """The Bundle as validated JSON, or ImportRefused."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise ImportRefused(
                "The file is larger than 5 MB.",
                [issue("The file is larger than 5 MB.", code="too-costly")],
            )
        raw = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, TypeError) as exc:
        msg = f"This is not JSON (line {getattr(exc, 'lineno', '?')}): it cannot be a FHIR Bundle."
        raise ImportRefused(msg, [issue(msg, code="structure")]) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        msg = f"This is not a FHIR Bundle (resourceType is {found or 'missing'})."
        raise ImportRefused(msg, [issue(msg, code="structure", where="Bundle.resourceType")])
    entries = data.get("entry") or []
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        msg = f"A Bundle for one patient holds at most {MAX_ENTRIES} entries."
        raise ImportRefused(msg, [issue(msg, code="too-costly", where="Bundle.entry")])
    issues = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not resource.get("resourceType"):
            issues.append(issue("The entry holds no resource.", where=f"Bundle.entry[{i}]"))
            continue
        try:
            model = get_fhir_model_class(resource["resourceType"])
        except KeyError:
            issues.append(
                issue(
                    f"{resource['resourceType']} is not a FHIR R4 resource type.",
                    code="structure",
                    where=f"Bundle.entry[{i}].resource",
                )
            )
            continue
        try:
            model.model_validate(resource)
        except ValidationError as exc:
            for err in exc.errors()[:5]:
                loc = ".".join(str(x) for x in err.get("loc", ()))
                issues.append(
                    issue(
                        f"{resource['resourceType']} {resource.get('id', '')}: {loc}: {err['msg']}",
                        where=f"Bundle.entry[{i}].resource.{loc}".rstrip("."),
                    )
                )
    if issues:
        raise ImportRefused(
            f"{len(issues)} problem(s) in the Bundle: nothing was imported. First: "
            f"{issues[0]['diagnostics']}",
            issues,
        )
    return data


def _resources(data: dict) -> list[dict]:
    return [e["resource"] for e in data.get("entry") or []]


def _key(resource: dict) -> str:
    return f"{resource['resourceType']}/{resource.get('id', '')}"


def _ref_target(ref: dict | None, index: dict, full_urls: dict):
    if not ref or not ref.get("reference"):
        return None
    target = ref["reference"]
    return index.get(target) or full_urls.get(target) or index.get("/".join(target.split("/")[-2:]))


def _date(value) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _patient_fields(p: dict) -> dict:
    names = p.get("name") or []
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    usual = next((n for n in names if n.get("use") == "usual"), None)
    given = (official.get("given") or [""])[0]
    family = official.get("family") or ""
    if not (given and family) and official.get("text"):
        parts = official["text"].split()
        given, family = given or parts[0], family or parts[-1]
    sex = {"female": "female", "male": "male"}.get(p.get("gender"), "unknown")
    for ext in p.get("extension") or []:
        if ext.get("url", "").endswith("us-core-birthsex"):
            sex = {"F": "female", "M": "male"}.get(ext.get("valueCode"), sex)
    out = {
        "legal_given_name": given,
        "legal_family_name": family,
        "preferred_name": (usual.get("given") or [""])[0] if usual else "",
        "date_of_birth": _date(p.get("birthDate")),
        "sex_at_birth": sex,
    }
    for t in p.get("telecom") or []:
        if t.get("system") == "phone" and "phone" not in out:
            out["phone"] = t.get("value", "")[:30]
        if t.get("system") == "email" and "email" not in out:
            out["email"] = t.get("value", "")[:254]
    addr = (p.get("address") or [{}])[0]
    out.update(
        street=(addr.get("line") or [""])[0][:200],
        city=(addr.get("city") or "")[:100],
        state=(addr.get("state") or "")[:2].upper() if len(addr.get("state") or "") == 2 else "",
        zip_code=(addr.get("postalCode") or "")[:10],
    )
    comm = (p.get("communication") or [{}])[0].get("language") or {}
    language = comm.get("text") or next((c.get("display") for c in comm.get("coding") or []), "")
    if language:
        out["preferred_language"] = language[:40]
    for ext in p.get("extension") or []:
        if ext.get("url", "").endswith("individual-pronouns"):
            for sub in ext.get("extension") or []:
                text = (sub.get("valueCodeableConcept") or {}).get("text")
                if text:
                    out["pronouns"] = text[:40]
    return {k: v for k, v in out.items() if v not in (None, "")} | {
        "date_of_birth": out["date_of_birth"]
    }


def import_plan(*, organization, data: dict) -> ImportPlan:
    """What importing the Bundle into `organization` would create. No writes."""
    resources = _resources(data)
    index = {_key(r): r for r in resources}
    full_urls = {e["fullUrl"]: e["resource"] for e in data.get("entry") or [] if e.get("fullUrl")}
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        msg = f"The Bundle must hold exactly one Patient; it holds {len(patients)}."
        raise ImportRefused(msg, [issue(msg, code="structure", where="Bundle.entry")])
    source = patients[0]
    plan = ImportPlan()
    org_ref = source.get("managingOrganization") or {}
    plan.source = org_ref.get("display") or "another system"
    plan.patient = _patient_fields(source)
    missing = [
        label
        for key, label in (
            ("legal_given_name", "a given name"),
            ("legal_family_name", "a family name"),
            ("date_of_birth", "a birth date"),
        )
        if not plan.patient.get(key)
    ]
    if missing:
        msg = f"The Patient has no {' or '.join(missing)}; a record cannot be matched or made."
        raise ImportRefused(msg, [issue(msg, code="required", where="Patient")])
    plan.match = (
        Patient.objects.filter(
            organization=organization,
            legal_given_name__iexact=plan.patient["legal_given_name"],
            legal_family_name__iexact=plan.patient["legal_family_name"],
            date_of_birth=plan.patient["date_of_birth"],
        )
        .order_by("pk")
        .first()
    )
    problems = []

    def about_patient(r: dict, element: str) -> bool:
        ref = r.get(element)
        if not ref:
            problems.append(
                issue(f"{_key(r)} names no patient.", code="required", where=f"{_key(r)}.{element}")
            )
            return False
        target = _ref_target(ref, index, full_urls)
        if target is None:
            problems.append(
                issue(
                    f"{_key(r)}.{element} refers to {ref.get('reference')}, which is not in the "
                    "Bundle.",
                    code="not-found",
                    where=f"{_key(r)}.{element}",
                )
            )
            return False
        return target is source

    for r in resources:
        rtype = r["resourceType"]
        if rtype == "RelatedPerson" and about_patient(r, "patient"):
            plan.support_persons.append(_support_person(r))
        elif rtype == "EpisodeOfCare" and about_patient(r, "patient"):
            start = _date((r.get("period") or {}).get("start"))
            label = ((r.get("type") or [{}])[0]).get("text") or "an episode of care"
            if r.get("status") in ("active", "onhold", "waitlist") and plan.episode_start is None:
                plan.episode_start = start
            else:
                end = _date((r.get("period") or {}).get("end"))
                plan.history.append(
                    f"{label}: {start or '?'} to {end or '?'} ({r.get('status')}) - kept in this "
                    "report, not as an episode here"
                )
        elif rtype == "Condition" and about_patient(r, "subject"):
            _condition(r, plan)
        elif rtype == "Goal" and about_patient(r, "subject"):
            _goal(r, plan, index, full_urls, problems)
        elif rtype == "CarePlan" and about_patient(r, "subject"):
            n = len(r.get("activity") or [])
            if n:
                plan.skipped.append(
                    f"{n} planned service(s) of the CarePlan: the receiving team plans its own "
                    "services (the goals are imported)."
                )
        elif rtype not in MAPPED | IGNORED:
            from openiop.interop import import_extensions

            if rtype == "Consent":
                plan.skipped.append(
                    f"{_key(r)}: a consent is given to the discloser that holds it; ask the "
                    "patient for their consent here."
                )
            elif not import_extensions.map_resource(r, plan, about_patient):
                plan.skipped.append(f"{_key(r)}: {rtype} is not imported by OpenIOP.")
    if problems:
        raise ImportRefused(
            f"{len(problems)} reference problem(s): nothing was imported. First: "
            f"{problems[0]['diagnostics']}",
            problems,
        )
    return plan


def _support_person(r: dict) -> dict:
    name = ""
    for n in r.get("name") or []:
        name = n.get("text") or " ".join([*(n.get("given") or []), n.get("family") or ""]).strip()
        if name:
            break
    relationship, emergency = "other", False
    for rel in r.get("relationship") or []:
        for c in rel.get("coding") or []:
            if c.get("code") == "C":
                emergency = True
            elif c.get("code") in ROLE_BACK and relationship == "other":
                relationship = ROLE_BACK[c["code"]]
        if relationship == "other" and (rel.get("text") or "").lower().startswith("recovery"):
            relationship = "sponsor"
    out = {
        "name": (name or "Unnamed support person")[:150],
        "relationship": relationship,
        "is_emergency_contact": emergency,
    }
    for t in r.get("telecom") or []:
        if t.get("system") == "phone":
            out.setdefault("phone", (t.get("value") or "")[:30])
        if t.get("system") == "email":
            out.setdefault("email", (t.get("value") or "")[:254])
    return out


def _condition(r: dict, plan: ImportPlan) -> None:
    verification = {c.get("code") for c in (r.get("verificationStatus") or {}).get("coding") or []}
    if verification & {"entered-in-error", "refuted"}:
        plan.skipped.append(f"{_key(r)}: entered in error or refuted at the source.")
        return
    codes = [
        c
        for c in (r.get("code") or {}).get("coding") or []
        if c.get("system") == "http://hl7.org/fhir/sid/icd-10-cm"
    ]
    text = (r.get("code") or {}).get("text") or ""
    if not codes:
        plan.skipped.append(
            f"{_key(r)} ({text or 'no text'}): no ICD-10-CM code; add the diagnosis by hand."
        )
        return
    found = icd.lookup(codes[0].get("code", ""))
    if found is None:
        plan.skipped.append(f"{_key(r)}: {icd.explain_invalid(codes[0].get('code', ''))}")
        return
    if any(d["code"] == found.code for d in plan.diagnoses):
        return
    clinical = {c.get("code") for c in (r.get("clinicalStatus") or {}).get("coding") or []}
    primary = any(
        e.get("url", "").endswith("/primary-diagnosis") and e.get("valueBoolean")
        for e in r.get("extension") or []
    )
    plan.diagnoses.append(
        {
            "code": found.code,
            "description": found.description,
            "is_primary": primary,
            "diagnosed_on": _date(r.get("recordedDate") or r.get("onsetDateTime")),
            "resolved": bool(clinical & {"resolved", "inactive", "remission"}),
        }
    )


def _goal(r: dict, plan: ImportPlan, index, full_urls, problems) -> None:
    statement = ((r.get("description") or {}).get("text") or "").strip()
    if not statement:
        plan.skipped.append(f"{_key(r)}: the goal has no text.")
        return
    problem = next(
        (
            e.get("valueString")
            for e in r.get("extension") or []
            if e.get("url", "").endswith("/plan-problem")
        ),
        None,
    )
    codes = []
    for ref in r.get("addresses") or []:
        target = _ref_target(ref, index, full_urls)
        for c in ((target or {}).get("code") or {}).get("coding") or []:
            if c.get("system") == "http://hl7.org/fhir/sid/icd-10-cm" and c.get("code"):
                codes.append(c["code"].upper())
        if target is None and ref.get("reference"):
            problems.append(
                issue(
                    f"{_key(r)}.addresses refers to {ref['reference']}, which is not in "
                    "the Bundle.",
                    code="not-found",
                    where=f"{_key(r)}.addresses",
                )
            )
        elif target and not problem:
            problem = (target.get("code") or {}).get("text")
    objectives = []
    for t in r.get("target") or []:
        text = t.get("detailString") or (t.get("measure") or {}).get("text") or ""
        if text:
            objectives.append({"statement": text[:2000], "target_on": _date(t.get("dueDate"))})
    if r.get("lifecycleStatus") in ("cancelled", "entered-in-error", "rejected"):
        plan.skipped.append(f"{_key(r)}: a {r['lifecycleStatus']} goal.")
        return
    plan.goals.append(
        {
            "problem": (problem or f"Referred by {plan.source}")[:2000],
            "statement": statement[:2000],
            "objectives": objectives,
            "codes": codes,
        }
    )
