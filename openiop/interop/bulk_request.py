"""The parameters of a Bulk Data kick-off (`$export`, Bulk Data Access 2.0):
read from the query string (GET) or a Parameters resource (POST), checked
before anything is queued. Anything not understood is refused with a 400
naming it, never ignored: ignoring `_typeFilter` or `patient` would export
more than was asked for."""

import datetime as dt
import json
import re
from dataclasses import dataclass

from openiop.core.errors import ApplicationError
from openiop.interop.fhir.record import DIRECTORY_TYPES, TYPES

NDJSON = "application/fhir+ndjson"
# the spec: the full type and the two abbreviations, all meaning NDJSON
OUTPUT_FORMATS = {NDJSON: NDJSON, "application/ndjson": NDJSON, "ndjson": NDJSON}
PARAMETERS = ("_outputFormat", "_since", "_type")
# the parameters of the spec this server does not support (refused by name)
UNSUPPORTED = ("_elements", "_typeFilter", "patient", "includeAssociatedData")
# FHIR instant (http://hl7.org/fhir/R4/datatypes.html#instant): seconds and a zone required
INSTANT = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:"
    r"([0-5][0-9]|60)(\.[0-9]{1,9})?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)
INSTANT_ZONE = re.compile(r"(Z|[+-][0-9]{2}:[0-9]{2})$")
PATIENT_TYPES = TYPES + DIRECTORY_TYPES
SYSTEM_TYPES = PATIENT_TYPES + ("AuditEvent",)


@dataclass(frozen=True)
class KickOff:
    types: tuple[str, ...] = ()  # empty: every type the requester may have
    since: dt.datetime | None = None
    output_format: str = NDJSON


def wants_async(prefer: str) -> bool:
    """Whether a Prefer header (RFC 7240: preferences separated by commas, each
    with optional parameters after semicolons) asks for respond-async."""
    for preference in prefer.split(","):
        token = preference.split(";")[0].split("=")[0].strip().lower()
        if token == "respond-async":
            return True
    return False


def require_async(request) -> None:
    if not wants_async(request.headers.get("Prefer", "")):
        raise ApplicationError.for_field(
            "Prefer",
            "A Bulk Data export runs in the background: send the header Prefer: respond-async.",
        )


def parse_query(query) -> KickOff:
    """GET [base]/$export?_type=...&_since=...&_outputFormat=..."""
    _refuse_unknown(list(query))
    values = {name: query.getlist(name) for name in PARAMETERS if name in query}
    return _kick_off(values)


def parse_parameters(body: bytes) -> KickOff:
    """POST with a Parameters resource: _outputFormat and _type as valueString,
    _since as valueInstant (a string; a valueString is taken too)."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApplicationError("The body is not JSON: send a Parameters resource.") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise ApplicationError("Send a Parameters resource as the body (resourceType Parameters).")
    parameters = data.get("parameter", [])
    if not isinstance(parameters, list):
        raise ApplicationError("Parameters.parameter is a list.")
    values: dict[str, list[str]] = {}
    for p in parameters:
        name = p.get("name") if isinstance(p, dict) else None
        if not isinstance(name, str):
            raise ApplicationError("Each parameter has a name.")
        _refuse_unknown([name])
        value = p.get("valueInstant") if name == "_since" else None
        if value is None:
            value = p.get("valueString")
        if not isinstance(value, str):
            kind = "valueInstant" if name == "_since" else "valueString"
            raise ApplicationError.for_field(name, f"Give {name} as a {kind}.")
        values.setdefault(name, []).append(value)
    return _kick_off(values)


def _refuse_unknown(names: list[str]) -> None:
    for name in names:
        if name in PARAMETERS:
            continue
        if name in UNSUPPORTED:
            message = (
                f"This server does not support the Bulk Data parameter {name}; "
                f"ask again without it (supported: {', '.join(PARAMETERS)})."
            )
        else:
            message = f"{name} is not a parameter of $export (supported: {', '.join(PARAMETERS)})."
        raise ApplicationError.for_field(name, message)


def _kick_off(values: dict[str, list[str]]) -> KickOff:
    for name in ("_since", "_outputFormat"):
        if len(values.get(name, [])) > 1:
            raise ApplicationError.for_field(name, f"Give {name} once.")
    output_format = NDJSON
    if "_outputFormat" in values:
        asked = values["_outputFormat"][0].strip()
        if asked not in OUTPUT_FORMATS:
            raise ApplicationError.for_field(
                "_outputFormat",
                f"This server writes NDJSON only: _outputFormat is {', '.join(OUTPUT_FORMATS)}.",
            )
        output_format = OUTPUT_FORMATS[asked]
    since = parse_since(values["_since"][0]) if "_since" in values else None
    types = []
    for value in values.get("_type", []):  # repeated or comma-separated: the same
        for name in value.split(","):
            name = name.strip()
            if not name:
                raise ApplicationError.for_field(
                    "_type", "_type is a comma-separated list of resource types, none empty."
                )
            if name not in types:
                types.append(name)
    return KickOff(types=tuple(types), since=since, output_format=output_format)


def parse_since(value: str) -> dt.datetime:
    message = (
        "_since is a FHIR instant with seconds and a time zone, such as "
        "2026-01-31T08:00:00Z (in a URL, write + as %2B)."
    )
    if not INSTANT.fullmatch(value):
        raise ApplicationError.for_field("_since", message)
    if value[17:19] == "60":  # a leap second: the instant before it will do
        value = value[:17] + "59.999999" + INSTANT_ZONE.search(value).group(0)
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:  # matches the pattern but is no date (February 30)
        raise ApplicationError.for_field("_since", message) from None


def check_types(types: tuple[str, ...], *, system: bool) -> None:
    """Only types this server exports; AuditEvent only from the system level."""
    allowed = SYSTEM_TYPES if system else PATIENT_TYPES
    for name in types:
        if name in allowed:
            continue
        if name == "AuditEvent":
            message = "AuditEvent is exported by the system-level export only ([base]/$export)."
        else:
            message = (
                f"This server does not export {name} resources (it exports: {', '.join(allowed)})."
            )
        raise ApplicationError.for_field("_type", message)
