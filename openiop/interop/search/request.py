"""A search request read once: the criteria the table knows, the parameters
that shape the answer, and what was left out.

Lenient handling (the default for staff) leaves an unknown parameter, sort
key, include or summary out of the search and out of the self link, and says
so in an OperationOutcome entry; strict handling (`Prefer: handling=strict`,
and always for a party outside the program unless it asks for lenient) refuses
it with a 400. A malformed value or an unknown modifier of a known parameter is
a 400 either way (3.1.1.5.9).
"""

import re
from dataclasses import dataclass, field
from functools import cache

from fhir.resources.R4B import get_fhir_model_class

from openiop.core.errors import ApplicationError
from openiop.interop.search import values
from openiop.interop.search.table import INCLUDES, SORTS, Param, params_for

MAX_COUNT = 100
DEFAULT_COUNT = 20
MAX_PAGE = 100_000
SUMMARIES = ("count", "false", "data")
MAX_VALUES = 100  # OR-ed values of one parameter, repeats included
MAX_CRITERIA = 50  # criteria in one search
ELEMENT = re.compile(r"^[a-z][A-Za-z0-9]{0,63}$")
CHOICE = re.compile(
    r"^([a-z][A-Za-z]*?)(DateTime|Period|Quantity|CodeableConcept|String|Boolean|Integer"
    r"|Range|Ratio|Time|Date|Reference|Age|Duration|Timing|Instant|Uri|Attachment)$"
)


@dataclass
class Criterion:
    param: Param
    modifier: str
    values: list  # OR-ed parsed values
    raw: tuple[str, str]  # (name as sent, value as sent), for the self link


@dataclass
class SearchRequest:
    resource_type: str
    criteria: list[Criterion] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    page: int = 1
    summary: str = "false"
    elements: tuple[str, ...] = ()
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (key, descending)
    includes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def count_only(self) -> bool:
        return self.summary == "count" or self.count == 0

    def criteria_named(self, name: str) -> list[Criterion]:
        return [c for c in self.criteria if c.param.name == name]

    def link_params(self) -> list[tuple[str, str]]:
        """What the search applied, as it would be asked again (the self link)."""
        out = [c.raw for c in self.criteria]
        if self.summary != "false":
            out.append(("_summary", self.summary))
        if self.elements:
            out.append(("_elements", ",".join(self.elements)))
        if self.sort:
            out.append(("_sort", ",".join(("-" if d else "") + k for k, d in self.sort)))
        out += [("_include", i) for i in self.includes]
        return out


@cache
def element_names(resource_type: str) -> frozenset[str]:
    """The type's elements as FHIR R4 names them (fhir.resources' models), and
    the base name of a choice element (`effective` for effectiveDateTime)."""
    try:
        names = get_fhir_model_class(resource_type).elements_sequence()
    except (KeyError, ValueError, AttributeError):
        return frozenset()
    bases = {m.group(1) for n in names if (m := CHOICE.match(n))}
    return frozenset(names) | {b for b in bases if b not in names}


def is_strict(request, external: bool) -> bool:
    prefer = request.headers.get("Prefer", "").replace(" ", "").lower()
    handling = [p.split("=", 1)[1] for p in prefer.split(",") if p.startswith("handling=")]
    if handling:
        return handling[-1] == "strict"
    return external


def _bad(name: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={name: [message]})


def parse(resource_type: str, params, *, strict: bool) -> SearchRequest:
    """`params` is a QueryDict (the query string, or a POSTed form)."""
    known = params_for(resource_type)
    out = SearchRequest(resource_type)

    def unknown(name: str, message: str) -> None:
        if strict:
            raise _bad(name, message)
        out.ignored.append(message)

    for key in params:
        raw_values = params.getlist(key)
        name, _, modifier = key.partition(":")
        if name in ("_format", "_page", "_count"):
            continue
        if name in ("_summary", "_elements", "_sort", "_include"):
            _result_parameter(out, name, raw_values, unknown)
            continue
        param = known.get(name)
        if param is None:
            supported = ", ".join(sorted(known))
            unknown(
                key,
                f"The search parameter {name} is not supported on {resource_type} "
                f"(supported: {supported}); it was not applied.",
            )
            continue
        if modifier and modifier not in param.allowed_modifiers:
            allowed = ", ".join(f":{m}" for m in param.allowed_modifiers) or "none"
            raise _bad(
                key, f"{key}: the modifier :{modifier} is not supported (allowed: {allowed})."
            )
        parsed = [(raw, _parse_values(key, param, modifier, raw)) for raw in raw_values]
        if sum(len(v) for _raw, v in parsed) > MAX_VALUES:
            raise _bad(key, f"{key}: at most {MAX_VALUES} values in one search.")
        out.criteria += [Criterion(param, modifier, v, (key, raw)) for raw, v in parsed]
        if len(out.criteria) > MAX_CRITERIA:
            raise _bad(key, f"At most {MAX_CRITERIA} search criteria in one search.")
    out.count, out.page = count_page(params)
    return out


def _parse_values(key: str, param: Param, modifier: str, raw: str) -> list:
    if raw == "":
        raise _bad(key, f"{key} needs a value.")
    try:
        if modifier == "missing":
            if raw not in ("true", "false"):
                raise values.BadValue(f"{key} is true or false.")
            return [raw == "true"]
        parts = values.split_or(raw)
        if "" in parts:
            raise values.BadValue("a comma-separated list has an empty value.")
        if param.type == "date":
            return [values.parse_date(p) for p in parts]
        if param.type == "token":
            return [p if modifier == "text" else values.split_token(p) for p in parts]
        if param.type == "reference":
            return [values.reference_id(p, "Patient") for p in parts]
        return parts
    except values.BadValue as exc:
        raise _bad(key, f"{key}: {exc}") from None


def _result_parameter(out: SearchRequest, name: str, raw_values: list[str], unknown) -> None:
    raw = raw_values[-1]
    if name == "_summary":
        if raw in SUMMARIES:
            out.summary = raw
        else:
            unknown(name, f"_summary={raw} is not supported (count, data or false); not applied.")
    elif name == "_elements":
        names = tuple(dict.fromkeys(e.strip() for e in raw.split(",") if e.strip()))
        if not names or not all(ELEMENT.match(e) for e in names):
            raise _bad(name, "_elements is a comma-separated list of element names.")
        known = element_names(out.resource_type)
        for element in names:
            if element not in known:
                unknown(name, f"_elements: {out.resource_type} has no element {element}.")
        out.elements = tuple(e for e in names if e in known)
    elif name == "_sort":
        keys = SORTS.get(out.resource_type, ())
        for item in (s.strip() for s in raw.split(",")):
            key = item.lstrip("-")
            if key in keys:
                out.sort.append((key, item.startswith("-")))
            else:
                unknown(name, f"_sort={item} is not supported (use {', '.join(keys) or 'none'}).")
    else:  # _include
        for item in raw_values:
            if item in INCLUDES.get(out.resource_type, ()):
                out.includes.append(item)
            else:
                allowed = ", ".join(INCLUDES.get(out.resource_type, ())) or "none"
                unknown(name, f"_include={item} is not supported (supported: {allowed}).")


def count_page(params) -> tuple[int, int]:
    try:
        count = values.whole_number(params.get("_count", DEFAULT_COUNT), "_count", 0)
    except values.BadValue as exc:
        raise _bad(
            "_count", f"{exc} (0 for the total only; at most {MAX_COUNT} are sent)."
        ) from None
    try:
        page = values.whole_number(params.get("_page", 1), "_page", 1, MAX_PAGE)
    except values.BadValue as exc:
        raise _bad("_page", str(exc)) from None
    return min(count, MAX_COUNT), page
