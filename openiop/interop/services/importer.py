"""Import a patient's FHIR Bundle from another system (e.g. the residential
program referring them): validate it, show what it would create, then create
it in one transaction, or nothing.

`import_plan` reads and checks, writes nothing, and lists per kind what will
not be imported and why; `import_run` creates the patient (or uses the
matching one), admits them to the chosen program, and adds support persons,
diagnoses and plan goals, all or nothing.

What refuses the whole import (an OperationOutcome says why): a file that is
not a FHIR Bundle, a Bundle without exactly one valid Patient, a patient who
cannot be registered (no legal name, a name longer than the registration form
takes, no full birth date, a birth date in the future, a patient who has
died), and a resource about someone who is not in the Bundle. Everything else
degrades: a resource that does not validate, a DELETE or search entry, a
value the registration form refuses, a reference that does not resolve are
listed with the reason and the rest is imported.
"""

import datetime as dt
import json
from dataclasses import dataclass, field

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from openiop.core.errors import ApplicationError
from openiop.interop.fhir.operation_outcome import issue, outcome
from openiop.interop.services import import_clinical as clinical
from openiop.interop.services.import_patient import BirthDateNeeded, patient_fields
from openiop.interop.services.import_report import Skip, grouped, resource_label, why_not
from openiop.patients.models import Patient

MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 2000
MAPPED = {"Patient", "RelatedPerson", "EpisodeOfCare", "Condition", "CarePlan", "Goal"}
IGNORED = {"Organization", "Location", "HealthcareService", "Practitioner", "PractitionerRole"}
TOO_LARGE = "The file is larger than 5 MB: a Bundle for one patient is smaller. Nothing was stored."


class ImportRefused(ApplicationError):
    """The Bundle cannot be imported at all; `issues` say why (OperationOutcome).

    `partial_birth_date` is set (the part the Bundle gives, "" for none) when
    the only thing missing is the full birth date, which staff may enter."""

    status = 422
    code = "import_refused"

    def __init__(self, message: str, issues: list[dict], partial_birth_date: str | None = None):
        super().__init__(message, fields={"bundle": [i["diagnostics"] for i in issues][:20]})
        self.issues = issues
        self.partial_birth_date = partial_birth_date

    @property
    def operation_outcome(self) -> dict:
        return outcome(self.issues)


@dataclass
class ImportPlan:
    source: str = ""
    patient: dict = field(default_factory=dict)
    match: object = None  # an existing Patient of the organization
    match_hidden: bool = False  # ... in a program the importing person does not work in
    support_persons: list[dict] = field(default_factory=list)
    episode_start: dt.date | None = None
    history: list[str] = field(default_factory=list)  # earlier episodes, reported only
    diagnoses: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # what other apps map (scores)
    skipped: list[Skip] = field(default_factory=list)  # what is not imported, and why
    warnings: list[str] = field(default_factory=list)  # values changed on the way in

    def skip(self, kind: str, reason: str, item: str = "") -> None:
        self.skipped.append(Skip(kind, reason, item))

    @property
    def skipped_groups(self):
        return grouped(self.skipped)

    @property
    def patient_name(self) -> str:
        p = self.patient
        return f"{p.get('legal_given_name', '')} {p.get('legal_family_name', '')}".strip()


class ParsedBundle(dict):
    """The Bundle's JSON with only the entries that can be read; `rejected`
    lists the others (a resource that does not validate, a DELETE)."""

    rejected: list[Skip]


def _refuse(message: str, code: str, where: str | None = None):
    raise ImportRefused(message, [issue(message, code=code, where=where)])


def _load(raw) -> object:
    if isinstance(raw, bytes | bytearray):
        if len(raw) > MAX_BYTES:
            _refuse(TOO_LARGE, "too-costly")
        raw = bytes(raw).decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        _refuse("This is not a file: it cannot be a FHIR Bundle.", "structure")
    if len(raw.encode("utf-8", errors="replace")) > MAX_BYTES:
        _refuse(TOO_LARGE, "too-costly")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        msg = f"This is not JSON (line {exc.lineno}): it cannot be a FHIR Bundle."
    except (RecursionError, ValueError):
        msg = "This is not JSON that can be read (it is nested too deeply): it cannot be a Bundle."
    _refuse(msg, "structure")


def _invalid(resource: dict, index: int) -> list[dict]:
    """Validation issues of one resource (fhir.resources, R4B models)."""
    rtype = resource.get("resourceType")
    where = f"Bundle.entry[{index}].resource"
    try:
        model = get_fhir_model_class(rtype) if isinstance(rtype, str) else None
    except (KeyError, ValueError, AttributeError):  # "Nope is not a valid FHIR Model"
        model = None
    if model is None:
        return [issue(f"{rtype!s} is not a FHIR R4 resource type.", code="structure", where=where)]
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        return [
            issue(
                f"{rtype}/{resource.get('id', '')}: {loc}: {err['msg']}",
                where=f"{where}.{loc}".rstrip("."),
            )
            for err in exc.errors()[:5]
            for loc in [".".join(str(x) for x in err.get("loc", ()))]
        ]
    return []


def parse_bundle(raw) -> ParsedBundle:
    """The Bundle as validated JSON, or ImportRefused."""
    data = _load(raw)
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        _refuse(
            f"This is not a FHIR Bundle (resourceType is {found or 'missing'}).",
            "structure",
            "Bundle.resourceType",
        )
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        _refuse("Bundle.entry is not a list of entries.", "structure", "Bundle.entry")
    if len(entries) > MAX_ENTRIES:
        _refuse(
            f"A Bundle for one patient holds at most {MAX_ENTRIES} entries; this one holds "
            f"{len(entries)}.",
            "too-costly",
            "Bundle.entry",
        )
    kept, rejected, patient_issues = [], [], []
    for i, entry in enumerate(entries):
        entry = entry if isinstance(entry, dict) else {}
        resource = entry.get("resource")
        request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
        method = request.get("method") if isinstance(request.get("method"), str) else ""
        if method.upper() in ("DELETE", "GET", "HEAD", "PATCH"):
            what = f"{method.upper()} {request.get('url') or ''}".strip()
            rejected.append(
                Skip(
                    "Bundle.entry.request",
                    "the import only adds records: a request to delete, read or patch is "
                    "not carried out",
                    what,
                )
            )
            continue
        if not isinstance(resource, dict):
            rejected.append(Skip("Bundle.entry", "an entry without a resource", f"entry {i}"))
            continue
        problems = _invalid(resource, i)
        if problems and resource.get("resourceType") == "Patient":
            patient_issues += problems
        elif problems:
            rtype = resource.get("resourceType")
            kind = rtype if isinstance(rtype, str) and len(rtype) < 60 else "Bundle.entry"
            rejected.append(
                Skip(kind, "does not validate as FHIR R4", f"{problems[0]['diagnostics']}")
            )
        else:
            kept.append({"resource": resource, "fullUrl": entry.get("fullUrl")})
    if patient_issues:
        raise ImportRefused(
            f"The Patient does not validate as FHIR R4: nothing was imported. "
            f"{len(patient_issues)} problem(s); first: {patient_issues[0]['diagnostics']}",
            patient_issues,
        )
    out = ParsedBundle(data, entry=kept)
    out.rejected = rejected
    return out


def import_plan(
    *, organization, data: dict, actor=None, date_of_birth: dt.date | None = None
) -> ImportPlan:
    """What importing the Bundle into `organization` would create. No writes.

    `date_of_birth` completes a birth date the Bundle gives only in part;
    with `actor`, a matching patient in a program they do not work in is
    reported as such (its name and MRN are not shown)."""
    entries = [e for e in data.get("entry") or [] if isinstance(e.get("resource"), dict)]
    refs = clinical.References(entries)
    resources = refs.resources
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        _refuse(
            f"The Bundle must hold exactly one Patient; it holds {len(patients)}.",
            "structure",
            "Bundle.entry",
        )
    source = patients[0]
    plan = ImportPlan()
    plan.skipped += getattr(data, "rejected", [])
    org_ref = source.get("managingOrganization") or {}
    plan.source = org_ref.get("display") or "another system"
    problems: list[dict] = []
    try:
        plan.patient = patient_fields(source, plan, problems, date_of_birth)
    except BirthDateNeeded as need:
        raise ImportRefused(
            need.message,
            [issue(need.message, code="incomplete", where="Patient.birthDate")],
            partial_birth_date=need.known,
        ) from None
    if problems:
        raise ImportRefused(
            problems[0]["diagnostics"]
            + (f" ({len(problems) - 1} more problem(s) below.)" if len(problems) > 1 else ""),
            problems,
        )
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
    if plan.match is not None and actor is not None:
        seen = Patient.objects.visible_to(actor, "view").filter(pk=plan.match.pk).exists()
        plan.match_hidden = not seen

    def about_patient(r: dict, element: str) -> bool:
        ref = r.get(element)
        if not ref:
            problems.append(
                issue(
                    f"{clinical.key(r)} names no patient.",
                    code="required",
                    where=f"{clinical.key(r)}.{element}",
                )
            )
            return False
        target = refs.target(ref)
        if target is None:
            problems.append(
                issue(
                    f"{clinical.key(r)}.{element} refers to {ref.get('reference')}, which is not "
                    "in the Bundle.",
                    code="not-found",
                    where=f"{clinical.key(r)}.{element}",
                )
            )
            return False
        return target is source

    for contact in source.get("contact") or []:
        person = clinical.support_person(
            {**contact, "name": [contact.get("name") or {}]}, plan, "Patient.contact"
        )
        if person:
            plan.support_persons.append(person)
    for r in resources:
        _map(r, plan, refs, about_patient)
    if problems:
        raise ImportRefused(
            f"{len(problems)} reference problem(s): nothing was imported. First: "
            f"{problems[0]['diagnostics']}",
            problems,
        )
    return plan


def _map(r: dict, plan: ImportPlan, refs, about_patient) -> None:
    rtype = r["resourceType"]
    if rtype == "RelatedPerson" and about_patient(r, "patient"):
        person = clinical.support_person(r, plan, clinical.key(r))
        if person and person["name"] not in {p["name"] for p in plan.support_persons}:
            plan.support_persons.append(person)
    elif rtype == "EpisodeOfCare" and about_patient(r, "patient"):
        start = clinical.date_of((r.get("period") or {}).get("start"))
        label = ((r.get("type") or [{}])[0]).get("text") or "an episode of care"
        if r.get("status") in ("active", "onhold", "waitlist") and plan.episode_start is None:
            plan.episode_start = start
        else:
            end = clinical.date_of((r.get("period") or {}).get("end"))
            plan.history.append(
                f"{label}: {start or '?'} to {end or '?'} ({r.get('status')}) - kept in this "
                "report, not as an episode here"
            )
    elif rtype == "Condition" and about_patient(r, "subject"):
        clinical.condition(r, plan)
    elif rtype == "Goal" and about_patient(r, "subject"):
        clinical.goal(r, plan, refs)
    elif rtype == "CarePlan" and about_patient(r, "subject"):
        for activity in r.get("activity") or []:
            detail = activity.get("detail") or {}
            plan.skip(
                "CarePlan.activity",
                "the receiving team plans its own services (the goals are imported)",
                resource_label({"resourceType": "CarePlan", "id": r.get("id"), **detail}),
            )
    elif rtype not in MAPPED | IGNORED:
        from openiop.interop import import_extensions

        if rtype == "Consent":
            plan.skip(
                "Consent",
                "a consent is given to the discloser that holds it: ask the patient for their "
                "consent here",
                clinical.key(r),
            )
        elif not import_extensions.map_resource(r, plan, about_patient):
            plan.skip(rtype, why_not(rtype), resource_label(r))
