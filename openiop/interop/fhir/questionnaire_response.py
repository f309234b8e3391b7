"""QuestionnaireResponse <- measures.Response (the answers, item by item).

A chosen answer is a Coding in the code system of the instrument's option set
(`answer_system`): its code is the option's value, the one the scorer counts.
"""

from urllib.parse import quote

from openiop.interop.fhir.common import (
    CS,
    EXT,
    LOINC,
    OPENIOP,
    drop_empty,
    instant,
    ref,
    uuid_identifier,
    with_meta,
)

EPISODE_EXT = f"{EXT}/episode-of-care"
LOINC_PANEL_EXT = f"{EXT}/loinc-panel"
ANSWERS = f"{CS}/answers"


def answer_system(definition: dict, item: dict) -> str:
    """The code system of an item's answers: one per option set of an instrument
    (the same value means different things in two sets, e.g. the AUDIT's)."""
    options = item.get("options")
    name = options if isinstance(options, str) else f"item-{item['id']}"
    return f"{ANSWERS}/{definition['code']}/{quote(name, safe='')}"


def when_given(r) -> str:
    """The moment it was given if that is on its day, else the day (a valid dateTime)."""
    if r.administered_at and r.administered_at.date() == r.administered_on:
        return instant(r.administered_at)
    return r.administered_on.isoformat()


def questionnaire_url(definition: dict) -> str:
    """The canonical of the instrument: ours, versioned (the LOINC panel travels too)."""
    return f"{OPENIOP}/Questionnaire/{definition['code']}|{definition.get('version', 1)}"


def _options(definition: dict, item: dict) -> dict:
    options = item.get("options")
    if isinstance(options, str):
        options = (definition.get("option_sets") or {}).get(options, [])
    return {str(o["value"]): o.get("label", "") for o in options or []}


def questionnaire_response_resource(r, definition: dict, patient, *, part2: bool = False) -> dict:
    items = []
    for item in definition.get("items", []):
        value = (r.answers or {}).get(item["id"])
        entry = {"linkId": item["id"], "text": item.get("text")}
        if value is not None:
            label = _options(definition, item).get(str(value))
            if isinstance(value, bool):
                entry["answer"] = [{"valueBoolean": value}]
            elif isinstance(value, int):
                coding = {
                    "system": answer_system(definition, item),
                    "code": str(value),
                    "display": label,
                }
                entry["answer"] = [{"valueCoding": coding} if label else {"valueInteger": value}]
            else:
                entry["answer"] = [{"valueString": str(value)}]
        items.append(entry)
    extensions = []
    panel = (definition.get("loinc") or {}).get("panel")
    if panel:
        extensions.append({"url": LOINC_PANEL_EXT, "valueCoding": {"system": LOINC, "code": panel}})
    if r.episode_id:
        extensions.append(
            {"url": EPISODE_EXT, "valueReference": ref("EpisodeOfCare", r.episode.uuid)}
        )
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(r.uuid),
        "extension": extensions,
        "identifier": uuid_identifier(r.uuid),
        "questionnaire": questionnaire_url(definition),
        "status": "entered-in-error" if r.status == "entered_in_error" else "completed",
        "subject": ref("Patient", patient.uuid),
        "authored": when_given(r),
        "source": ref("Patient", patient.uuid) if r.source == "patient_link" else None,
        "item": items,
    }
    return with_meta(drop_empty(resource), part2=part2, updated=r.updated_at)
