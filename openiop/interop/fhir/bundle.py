"""Bundle and NDJSON framing."""

import json
import uuid

from openiop.interop.fhir.common import PART2_NOTICE, PART2_NOTICE_EXT, instant


def dumps(resource: dict) -> str:
    """One resource as compact JSON (one NDJSON line, without the newline)."""
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)


def add_notice(resource: dict) -> dict:
    """Attach the Part 2 redisclosure notice to a disclosed resource's meta."""
    meta = resource.setdefault("meta", {})
    meta.setdefault("extension", []).append({"url": PART2_NOTICE_EXT, "valueString": PART2_NOTICE})
    return resource


def bundle(
    resources: list[dict],
    *,
    base: str,
    bundle_type: str = "collection",
    now,
    notice: bool = False,
    total: int | None = None,
    links: list[dict] | None = None,
) -> dict:
    """A Bundle whose entries' fullUrls are `base/Type/id`, so relative references
    ("Patient/...") resolve inside it."""
    entries = []
    for r in resources:
        entry = {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
        if bundle_type == "searchset":
            entry["search"] = {"mode": "match" if r.get("_match", True) else "include"}
        r.pop("_match", None)
        entries.append(entry)
    out = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(now)},
        "type": bundle_type,
        "timestamp": instant(now),
    }
    if notice:
        add_notice(out)
    if total is not None:
        out["total"] = total
    if links:
        out["link"] = links
    out["entry"] = entries
    if not entries:
        del out["entry"]
    return out
