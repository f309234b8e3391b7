"""Search within one patient's record: each criterion of the table matched
against the resources as FHIR JSON, at the element paths the table names.

The record is small (one patient), already loaded within what the reader may
see, so matching the resources themselves keeps the search and the resources
from ever disagreeing."""

import datetime as dt

from openiop.interop.search import values
from openiop.interop.search.request import Criterion, SearchRequest

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
ALWAYS_KEPT = ("resourceType", "id", "meta")
EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def elements(resource: dict, path: str) -> list:
    """The values at a dotted path, lists flattened."""
    found = [resource]
    for step in path.split("."):
        nxt = []
        for node in found:
            value = node.get(step) if isinstance(node, dict) else None
            if isinstance(value, list):
                nxt.extend(value)
            elif value is not None:
                nxt.append(value)
        found = nxt
    return found


def matching(resources: list[dict], search: SearchRequest) -> list[dict]:
    criteria = [c for c in search.criteria if c.param.name != "patient"]
    return [r for r in resources if all(_matches(r, c) for c in criteria)]


def _matches(resource: dict, c: Criterion) -> bool:
    found = [e for path in c.param.paths for e in elements(resource, path)]
    if c.modifier == "missing":
        return (not found) == c.values[0]
    if c.param.type == "token":
        hit = any(_token(e, v, c.modifier) for e in found for v in c.values)
        return not hit if c.modifier == "not" else hit
    if c.param.type == "date":
        ranges = [values.target_range(e) for e in found]
        return any(r and v.matches(*r) for r in ranges for v in c.values)
    return any(_string(e, v, c.modifier) for e in found for v in c.values)


def _token(element, value, modifier: str) -> bool:
    if modifier == "text":
        texts = [element.get("text", "")] if isinstance(element, dict) else []
        texts += [c.get("display", "") for c in _codings(element)]
        return any(values.fold(t).startswith(values.fold(value)) for t in texts if t)
    system, code = value
    if isinstance(element, bool):
        return system in (None, "") and code == ("true" if element else "false")
    if isinstance(element, str):
        return system in (None, "") and code == element
    if isinstance(element, dict) and "value" in element and "coding" not in element:
        pairs = [(element.get("system"), element.get("value"))]  # an Identifier
    else:
        pairs = [(c.get("system"), c.get("code")) for c in _codings(element)]
    for have_system, have_code in pairs:
        if system is None and have_code == code:
            return True
        if system == "" and not have_system and have_code == code:
            return True
        if system and have_system == system and (code == "" or have_code == code):
            return True
    return False


def _codings(element) -> list[dict]:
    if not isinstance(element, dict):
        return []
    if "coding" in element:
        return element["coding"]
    return [element] if "code" in element else []


def _string(element, value: str, modifier: str) -> bool:
    texts = []
    if isinstance(element, str):
        texts = [element]
    elif isinstance(element, dict):
        for v in element.values():
            texts += [v] if isinstance(v, str) else [x for x in v if isinstance(x, str)]
    if modifier == "exact":
        return value in texts
    folded = values.fold(value)
    if modifier == "contains":
        return any(folded in values.fold(t) for t in texts)
    return any(values.fold(t).startswith(folded) for t in texts)


def sorted_by(resources: list[dict], search: SearchRequest, params) -> list[dict]:
    """Stable sorts, last key first, so the first key decides."""
    out = list(resources)
    for key, desc in reversed(search.sort):
        if key == "_id":
            out.sort(key=lambda r: r["id"], reverse=desc)
            continue
        paths = ("meta.lastUpdated",) if key == "_lastUpdated" else params[key].paths
        out.sort(key=lambda r, p=paths: _start(r, p), reverse=desc)
    return out


def _start(resource: dict, paths) -> dt.datetime:
    for path in paths:
        for e in elements(resource, path):
            found = values.target_range(e)
            if found:
                return found[0]
    return EARLIEST


def subset(resource: dict, names: tuple[str, ...]) -> dict:
    """Only the elements asked for (_elements), tagged SUBSETTED (3.1.1.5.10); it
    no longer claims a profile (it may lack what the profile makes mandatory)."""
    out = {k: v for k, v in resource.items() if k in ALWAYS_KEPT or _named(k, names)}
    meta = {k: v for k, v in (out.get("meta") or {}).items() if k != "profile"}
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    out["meta"] = meta
    return out


def _named(key: str, names: tuple[str, ...]) -> bool:
    """`effective` names effectiveDateTime, effectivePeriod... (a choice element)."""
    return key in names or any(
        key.startswith(n) and key[len(n) : len(n) + 1].isupper() for n in names
    )


def without_text(resource: dict) -> dict:
    """_summary=data: everything but the narrative (which US Core CarePlan requires:
    a resource that had one no longer claims its profile)."""
    out = {k: v for k, v in resource.items() if k != "text"}
    if "text" in resource and "profile" in out.get("meta", {}):
        out["meta"] = {k: v for k, v in out["meta"].items() if k != "profile"}
    return out
