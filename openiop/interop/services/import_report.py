"""What an import leaves behind, and why: one `Skip` per item, grouped by kind
and reason for the preview ("Observation: 187 not imported: ...")."""

from dataclasses import dataclass, field

EXAMPLES = 3


@dataclass(frozen=True)
class Skip:
    kind: str  # the resource type or element: "Observation", "Patient.telecom"
    reason: str  # why it is not imported, a sentence without the item
    item: str = ""  # which one: "Observation/123 (Heart rate)", "'555-0199'"

    def __str__(self) -> str:
        return f"{self.item or self.kind}: {self.reason}"


@dataclass
class SkipGroup:
    kind: str
    reason: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.examples)


def grouped(skipped: list) -> list[SkipGroup]:
    """Groups in the order first seen, the patient's own elements first."""
    groups: dict[tuple[str, str], SkipGroup] = {}
    for s in skipped:
        if not isinstance(s, Skip):  # a plain sentence from an older mapper
            s = Skip("Other", str(s))
        group = groups.setdefault((s.kind, s.reason), SkipGroup(s.kind, s.reason))
        group.count += 1
        if s.item and len(group.examples) < EXAMPLES:
            group.examples.append(s.item)
    return sorted(groups.values(), key=lambda g: not g.kind.startswith("Patient"))


def resource_label(r: dict) -> str:
    """`Type/id (what it is)`, from the text or first display of its code."""
    key = f"{r.get('resourceType')}/{r.get('id', '')}"
    for element in ("code", "type", "vaccineCode", "medicationCodeableConcept", "category"):
        concept = r.get(element)
        if isinstance(concept, list):
            concept = concept[0] if concept else None
        if not isinstance(concept, dict):
            continue
        text = concept.get("text") or next(
            (c.get("display") for c in concept.get("coding") or [] if c.get("display")), ""
        )
        if text:
            return f"{key} ({text[:80]})"
    return key


WHY_NOT = {
    "Observation": "vital signs, laboratory results and other observations stay in the "
    "source record (scores are imported from their QuestionnaireResponse)",
    "Encounter": "visits at the source are not visits here",
    "Appointment": "sessions at the source are not sessions here: the schedule is made here",
    "Claim": "billing at the source is not imported",
    "ExplanationOfBenefit": "billing at the source is not imported",
    "Coverage": "enter the insurance on the patient's page: coverage is checked by the "
    "billing staff",
    "DiagnosticReport": "reports stay in the source record",
    "Immunization": "immunizations stay in the source record",
    "Procedure": "procedures stay in the source record",
    "MedicationRequest": "medications are reconciled by the prescriber here, not imported",
    "MedicationStatement": "medications are reconciled by the prescriber here, not imported",
    "MedicationAdministration": "medications are reconciled by the prescriber here, not imported",
    "AllergyIntolerance": "OpenIOP keeps no allergy list: tell the prescriber",
    "CareTeam": "the care team here is assigned at admission",
    "Device": "devices stay in the source record",
    "ImagingStudy": "imaging stays in the source record",
    "DocumentReference": "documents stay in the source record",
    "Provenance": "where the record came from is shown on this page, not imported",
}


def why_not(resource_type: str) -> str:
    return WHY_NOT.get(resource_type, f"OpenIOP does not keep {resource_type} records")
