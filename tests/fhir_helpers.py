"""Checks every FHIR test shares: validation with fhir.resources (R4B models)
and references that resolve inside an export."""

import json

from fhir.resources.R4B import get_fhir_model_class


def empty_elements(node, path="") -> list[str]:
    """FHIR's ele-1: no element is empty (fhir.resources does not check this)."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if value in (None, "", [], {}):
                out.append(f"{path}.{key}")
            out += empty_elements(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += empty_elements(value, f"{path}[{i}]")
    return out


def validate(resource: dict):
    """Validate one resource (as JSON, the way it travels); return the model."""
    empty = empty_elements(resource)
    assert not empty, f"empty elements in {resource['resourceType']}: {empty}"
    text = json.dumps(resource)
    return get_fhir_model_class(resource["resourceType"]).model_validate_json(text)


def references(node, found=None) -> set[str]:
    """Every literal `reference` in a resource, except contained (#...) ones."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str) and not value.startswith("#"):
                found.add(value)
            else:
                references(value, found)
    elif isinstance(node, list):
        for value in node:
            references(value, found)
    return found


def dangling(resources: list[dict]) -> set[str]:
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    out = set()
    for r in resources:
        out |= {ref for ref in references(r) if ref not in present}
    return out


def bundle_resources(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", [])]
