"""Search over HTTP: `GET [type]?...`, `POST [type]/_search` and
`Patient/{id}/$everything` as a paged searchset (FHIR R4 3.1.1.4, 3.1.1.5).

Every patient a search shows passes the gate (`Reader.open`, or
`Reader.patients` for the patient search) and is audited or, for a party
outside the program, accounted for as a disclosure."""

import uuid
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import timezone

from openiop.audit.services import audit_read
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.interop import directory
from openiop.interop.access import Opened, Reader
from openiop.interop.fhir.bundle import add_notice, bundle
from openiop.interop.fhir.operation_outcome import issue, outcome
from openiop.interop.fhir.record import DIRECTORY_TYPES, TYPES, patient_resources
from openiop.interop.rest import (
    account,
    base_url,
    categories_of,
    error_response,
    fhir_response,
    fhir_view,
    open_patient,
    record_of,
    require_type,
    supported_types,
)
from openiop.interop.search import records, values
from openiop.interop.search.patients import filtered, ordered
from openiop.interop.search.request import SearchRequest, count_page, is_strict, parse
from openiop.interop.search.table import params_for
from openiop.interop.selectors import Scope, load_records
from openiop.interop.services.bundle import patient_export

FORM = "application/x-www-form-urlencoded"


@fhir_view()
def search(request, reader: Reader, resource_type: str):
    return _search(request, reader, resource_type, request.GET)


@fhir_view(methods=("POST",))
def search_post(request, reader: Reader, resource_type: str):
    """POST [type]/_search: the parameters in a form body (and the query string)."""
    if request.content_type not in (FORM, "multipart/form-data"):
        return error_response(415, f"Send the search parameters as {FORM}.")
    params = request.GET.copy()
    for key in request.POST:
        params.setlist(key, params.getlist(key) + request.POST.getlist(key))
    return _search(request, reader, resource_type, params)


def _search(request, reader: Reader, resource_type: str, params: QueryDict):
    require_type(reader, resource_type)
    found = parse(resource_type, params, strict=is_strict(request, reader.external))
    if found.count_only and reader.external:
        raise PermissionDenied(
            "A party outside the program is not told totals: ask for the resources."
        )
    if resource_type in DIRECTORY_TYPES or resource_type in ("Group", "AuditEvent"):
        resources, total = directory.search(reader, found)
        return fhir_response(_searchset(request, found, resources, total))
    if resource_type == "Patient":
        return _search_patients(request, reader, found)
    return _search_record(request, reader, found)


def _search_record(request, reader: Reader, found: SearchRequest):
    rtype = found.resource_type
    wanted = [v for c in found.criteria_named("patient") for v in c.values]
    if len(set(wanted)) != 1:
        raise ApplicationError(
            "Give one patient: this server searches one patient's record at a time "
            f"({rtype}?patient=<id>).",
            fields={"patient": ["One patient is required."]},
        )
    opened = open_patient(reader, "Patient", wanted[0], categories_of(rtype))
    record = record_of(opened)
    matches = records.matching(record.get(rtype, []), found)
    matches = records.sorted_by(matches, found, params_for(rtype))
    shown = _page_of(matches, found)
    included = record["Patient"] if shown and found.includes else []
    if shown:
        account(reader, opened, shown + included, "search")
    for r in included:
        r["_match"] = False
    return _answer(request, reader, found, _shaped(shown, found) + included, len(matches))


def _search_patients(request, reader: Reader, found: SearchRequest):
    qs = ordered(filtered(reader.patients().select_related("organization"), found), found)
    total = qs.count()
    patients = [] if found.count_only else _page_of(qs, found)
    loaded = load_records(
        patients, scope=Scope(categories=frozenset({"demographics"}), consents=False)
    )
    today = timezone.localdate()
    resources = []
    consents = reader.consents_by_patient() if reader.external else {}
    for record in loaded:
        patient_res = patient_resources(record, today=today)["Patient"][0]
        if reader.external:
            opened = Opened(record.patient, record.scope, consents[record.patient.pk])
            account(reader, opened, [patient_res], "search")
        resources.append(patient_res)
    if not reader.external:
        audit_read(
            actor=reader.user,
            event="fhir.search",
            patient_ids=[p.pk for p in patients],
            detail={"types": ["Patient"], "results": total},
        )
    return _answer(request, reader, found, _shaped(resources, found), total)


def _page_of(items, found: SearchRequest):
    if found.count_only:
        return []
    first = (found.page - 1) * found.count
    return list(items[first : first + found.count])


def _shaped(resources: list[dict], found: SearchRequest) -> list[dict]:
    if found.elements:
        return [records.subset(r, found.elements) for r in resources]
    if found.summary == "data":
        return [records.without_text(r) for r in resources]
    return resources


def _answer(request, reader: Reader, found: SearchRequest, resources, total):
    """The searchset. An outside party is told only what it was disclosed (and
    what is accounted for): no total, so a page past the end reveals nothing."""
    out = _searchset(request, found, resources, total)
    if reader.external:
        out.pop("total", None)
        add_notice(out)
    return fhir_response(out, notice=reader.external)


def _searchset(request, found: SearchRequest, resources, total) -> dict:
    path = f"{base_url(request)}/{found.resource_type}"
    out = bundle(
        resources,
        base=base_url(request),
        bundle_type="searchset",
        now=timezone.now(),
        total=total,
        links=_links(path, found.link_params(), found.page, found.count, total, found.count_only),
    )
    if found.ignored:
        _add_outcome(out, found.ignored)
    return out


def _links(path, applied, page, count, total, count_only) -> list[dict]:
    def url(p):
        return f"{path}?{urlencode([*applied, ('_count', count), ('_page', p)])}"

    links = [{"relation": "self", "url": url(page)}]
    if not count_only and page * count < total:
        links.append({"relation": "next", "url": url(page + 1)})
    if not count_only and page > 1:  # past the end: the last page that has entries
        links.append({"relation": "previous", "url": url(min(page - 1, -(-total // count) or 1))})
    return links


def _add_outcome(out: dict, messages: list[str]) -> None:
    """What a lenient search left out, said in the answer (search mode outcome)."""
    issues = [issue(m, severity="warning", code="not-supported") for m in messages]
    out.setdefault("entry", []).append(
        {
            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
            "resource": outcome(issues),
            "search": {"mode": "outcome"},
        }
    )


# Patient/{id}/$everything ------------------------------------------------------------

EVERYTHING_PARAMETERS = ("_count", "_page", "_since", "_type", "_format")


@fhir_view()
def everything(request, reader: Reader, resource_id: str):
    """The patient's record with what it references, as a paged searchset;
    `_type` limits the types, `_since` to what changed at or after an instant."""
    require_type(reader, "Patient")
    found, since, types = _everything_parameters(request, reader)
    opened = open_patient(reader, "Patient", resource_id, [])
    export = patient_export(
        patient=opened.patient, scope=opened.scope, base=base_url(request), notice=reader.external
    )
    resources = [e["resource"] for e in export.bundle.get("entry", [])]
    if types:
        resources = [r for r in resources if r["resourceType"] in types]
    if since is not None:
        resources = [r for r in resources if _changed_since(r, since)]
    shown = _page_of(resources, found)
    patient_data = [r for r in shown if r["resourceType"] in TYPES]
    if patient_data or not reader.external:  # the export's resources carry the notice
        account(reader, opened, patient_data, "everything", notice=False)
    applied = [(k, request.GET[k]) for k in ("_since", "_type") if request.GET.get(k)]
    path = f"{base_url(request)}/Patient/{resource_id}/$everything"
    out = bundle(
        shown,
        base=base_url(request),
        bundle_type="searchset",
        now=timezone.now(),
        notice=reader.external,
        total=None if reader.external else len(resources),
        links=_links(path, applied, found.page, found.count, len(resources), found.count == 0),
    )
    if export.bundle["meta"].get("security"):
        out["meta"]["security"] = export.bundle["meta"]["security"]
    if found.ignored:
        _add_outcome(out, found.ignored)
    return fhir_response(out, notice=reader.external)


def _everything_parameters(request, reader: Reader):
    params = request.GET
    found = SearchRequest("$everything")
    found.count, found.page = count_page(params)
    strict = is_strict(request, reader.external)
    for key in params:
        if key not in EVERYTHING_PARAMETERS:
            message = f"$everything does not support {key} (use _type, _since, _count)."
            if strict:
                raise ApplicationError(message, fields={key: [message]})
            found.ignored.append(message + " It was not applied.")
    since = None
    if params.get("_since"):
        try:
            since = values.parse_date(params["_since"]).start
        except values.BadValue as exc:
            raise ApplicationError.for_field("_since", f"_since: {exc}") from None
    types = set()
    for name in filter(None, (t.strip() for t in params.get("_type", "").split(","))):
        if name not in supported_types():
            raise ApplicationError.for_field("_type", f"_type: this server has no {name}.")
        types.add(name)
    return found, since, types


def _changed_since(resource: dict, since) -> bool:
    """Kept unless its lastUpdated says it has not changed since (3.1.1.5.x _since)."""
    updated = (resource.get("meta") or {}).get("lastUpdated")
    found = values.target_range(updated) if updated else None
    return found is None or found[0] >= since
