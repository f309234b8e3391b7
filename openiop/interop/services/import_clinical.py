"""Support persons, diagnoses and goals of an imported Bundle, and the
references between its entries (literal, by fullUrl, or conditional:
`Condition?identifier=system|value` matched against the Bundle's own entries)."""

import datetime as dt
from urllib.parse import parse_qs

from openiop.care.plans import icd
from openiop.interop.services.import_report import resource_label

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ROLE_BACK = {"SPS": "spouse", "PRN": "parent", "CHILD": "child", "SIB": "sibling", "FRND": "friend"}
ROLE_BACK.update({"WIFE": "spouse", "HUSB": "spouse", "MTH": "parent", "FTH": "parent"})
ROLE_BACK.update({"SONC": "child", "DAUC": "child", "BRO": "sibling", "SIS": "sibling"})


def key(resource: dict) -> str:
    return f"{resource['resourceType']}/{resource.get('id', '')}"


class References:
    """The Bundle's entries by `Type/id`, by fullUrl and by identifier."""

    def __init__(self, entries: list[dict]):
        self.by_key, self.by_url = {}, {}
        self.resources = [e["resource"] for e in entries if "resource" in e]
        for e in entries:
            if "resource" not in e:
                continue
            self.by_key[key(e["resource"])] = e["resource"]
            if isinstance(e.get("fullUrl"), str):
                self.by_url[e["fullUrl"]] = e["resource"]

    def target(self, ref) -> dict | None:
        if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
            return None
        target = ref["reference"]
        if "?" in target:
            return self._conditional(target)
        found = self.by_key.get(target) or self.by_url.get(target)
        return found or self.by_key.get("/".join(target.split("/")[-2:]))

    def _conditional(self, target: str) -> dict | None:
        """The one entry of the type whose identifier matches (FHIR's
        conditional reference, resolved inside the Bundle only)."""
        rtype, _, query = target.partition("?")
        params = parse_qs(query)
        if set(params) != {"identifier"} or len(params["identifier"]) != 1:
            return None
        system, bar, value = params["identifier"][0].rpartition("|")
        if not bar:
            system, value = None, params["identifier"][0]
        found = [
            r
            for r in self.resources
            if r["resourceType"] == rtype.rsplit("/", 1)[-1]
            and any(
                i.get("value") == value and (system is None or (i.get("system") or "") == system)
                for i in r.get("identifier") or []
            )
        ]
        return found[0] if len(found) == 1 else None


def date_of(value) -> dt.date | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def support_person(r: dict, plan, label: str) -> dict | None:
    """A RelatedPerson (or a Patient.contact shaped like one) as a support
    person, checked by the support person form; None if it has no name."""
    from openiop.patients.forms import SupportPersonForm

    name = ""
    for n in r.get("name") or []:
        name = n.get("text") or " ".join([*(n.get("given") or []), n.get("family") or ""])
        name = " ".join(name.split())
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
    out = {"name": name, "relationship": relationship, "is_emergency_contact": emergency}
    for t in r.get("telecom") or []:
        if t.get("system") in ("phone", "email") and t.get("value"):
            out.setdefault(t["system"], " ".join(str(t["value"]).split()))
    if not name:
        plan.skip(label.split("/")[0], "a support person without a name is not imported", label)
        return None
    form = SupportPersonForm(data=out)
    form.is_valid()
    for field, errors in form.errors.items():
        if field == "name":
            plan.skip(label.split("/")[0], f"the name: {errors[0]}", label)
            return None
        plan.skip(f"{label.split('/')[0]}.telecom", errors[0], f"{label}: {out.pop(field)!r}")
    return out


def condition(r: dict, plan) -> None:
    verification = {c.get("code") for c in (r.get("verificationStatus") or {}).get("coding") or []}
    if verification & {"entered-in-error", "refuted"}:
        plan.skip("Condition", "entered in error or refuted at the source", resource_label(r))
        return
    codes = [c for c in (r.get("code") or {}).get("coding") or [] if c.get("system") == ICD10CM]
    if not codes:
        plan.skip("Condition", "no ICD-10-CM code: add the diagnosis by hand", resource_label(r))
        return
    found = icd.lookup(codes[0].get("code", ""))
    if found is None:
        plan.skip("Condition", icd.explain_invalid(codes[0].get("code", "")), resource_label(r))
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
            "diagnosed_on": date_of(r.get("recordedDate") or r.get("onsetDateTime")),
            "resolved": bool(clinical & {"resolved", "inactive", "remission"}),
        }
    )


def goal(r: dict, plan, refs: References) -> None:
    statement = ((r.get("description") or {}).get("text") or "").strip()
    if not statement:
        plan.skip("Goal", "a goal without text is not imported", key(r))
        return
    if r.get("lifecycleStatus") in ("cancelled", "entered-in-error", "rejected"):
        plan.skip("Goal", f"a {r['lifecycleStatus']} goal is not imported", key(r))
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
        target = refs.target(ref)
        if target is None:
            plan.skip(
                "Goal.addresses",
                "the problem it addresses is not in the Bundle: the goal is imported without it",
                f"{key(r)} -> {ref.get('reference') or ref.get('display') or 'no reference'}",
            )
            continue
        for c in (target.get("code") or {}).get("coding") or []:
            if c.get("system") == ICD10CM and c.get("code"):
                codes.append(c["code"].upper())
        problem = problem or (target.get("code") or {}).get("text")
    if len(statement) > 2000:
        plan.warnings.append(f"{key(r)}: the goal's text was shortened to 2000 characters.")
    objectives = []
    for t in r.get("target") or []:
        text = t.get("detailString") or (t.get("measure") or {}).get("text") or ""
        if text:
            objectives.append({"statement": text[:2000], "target_on": date_of(t.get("dueDate"))})
    plan.goals.append(
        {
            "problem": (problem or f"Referred by {plan.source}")[:2000],
            "statement": statement[:2000],
            "objectives": objectives,
            "codes": codes,
        }
    )
