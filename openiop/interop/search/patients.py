"""Patient search in the database: every criterion of the table as a filter on
the reader's patients, so the query count does not depend on the parameters."""

import re
import uuid
from functools import reduce
from operator import or_

from django.db.models import Q

from openiop.interop.fhir.common import OPENIOP, RFC3986
from openiop.interop.fhir.patient import GENDER
from openiop.interop.search.request import Criterion, SearchRequest

GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"
SEX_FOR = {}
for _sex, _gender in GENDER.items():
    SEX_FOR.setdefault(_gender, []).append(_sex)
MRN_SYSTEM = re.compile(rf"^{re.escape(OPENIOP)}/sid/(?P<org>[0-9a-fA-F-]{{36}})/mrn$")
NOTHING = Q(pk__in=[])
SORT_FIELDS = {
    "family": "legal_family_name",
    "given": "legal_given_name",
    "birthdate": "date_of_birth",
    "_lastUpdated": "updated_at",
    "_id": "uuid",
}
DEFAULT_ORDER = ("legal_family_name", "legal_given_name", "id")


def filtered(qs, search: SearchRequest):
    for criterion in search.criteria:
        qs = qs.filter(_q(criterion))
    return qs


def ordered(qs, search: SearchRequest):
    if not search.sort:
        return qs.order_by(*DEFAULT_ORDER)
    fields = [("-" if desc else "") + SORT_FIELDS[key] for key, desc in search.sort]
    return qs.order_by(*fields, "id")


def _q(c: Criterion) -> Q:
    if c.modifier == "missing":
        # every element searched here is required on a patient: never missing
        return NOTHING if c.values[0] else Q()
    q = reduce(or_, (_one(c.param.name, c.modifier, v) for v in c.values))
    return ~q if c.modifier == "not" else q


def _one(name: str, modifier: str, value) -> Q:
    if name == "_id":
        return _uuid_q(value[1]) if value[0] in (None, "") else NOTHING
    if name == "_lastUpdated":
        return date_q("updated_at", value.prefix, value.start, value.end)
    if name == "birthdate":
        first, end = value.days()
        return date_q("date_of_birth", value.prefix, first, end)
    if name == "identifier":
        return _identifier_q(*value)
    if name == "gender":
        system, code = value
        if system not in (None, GENDER_SYSTEM) or code not in SEX_FOR:
            return NOTHING
        return Q(sex_at_birth__in=SEX_FOR[code])
    return _string_q(name, modifier, value)


def _uuid_q(text: str) -> Q:
    try:
        return Q(uuid=uuid.UUID(text))
    except ValueError:
        return NOTHING


def date_q(field: str, prefix: str, start, end) -> Q:
    within = Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return {
        "eq": within,
        "ne": ~within,
        "gt": Q(**{f"{field}__gte": end}),
        "lt": Q(**{f"{field}__lt": start}),
        "ge": Q(**{f"{field}__gte": start}),
        "le": Q(**{f"{field}__lt": end}),
    }[prefix]


def _identifier_q(system: str | None, value: str) -> Q:
    """Exact system|value (3.1.1.5.4): the MRN under its organization's system,
    or the public id as urn:uuid under RFC 3986."""
    as_urn = _uuid_q(value[len("urn:uuid:") :]) if value.startswith("urn:uuid:") else NOTHING
    if system is None:
        return Q(mrn=value) | as_urn
    if system == RFC3986:
        return as_urn if value else Q()
    match = MRN_SYSTEM.match(system)
    if match is None:
        return NOTHING
    org = Q(organization__uuid=uuid.UUID(match["org"]))
    return org & Q(mrn=value) if value else org


def _string_q(name: str, modifier: str, value: str) -> Q:
    fields = {
        "family": ("legal_family_name",),
        "given": ("legal_given_name", "preferred_name"),
        "name": ("legal_family_name", "legal_given_name", "preferred_name"),
    }[name]
    if modifier == "exact":
        return reduce(or_, (Q(**{f: value}) for f in fields))
    if modifier == "contains":
        if name == "name":
            return Q(search_name__contains=value.lower())
        return reduce(or_, (Q(**{f"{f}__icontains": value}) for f in fields))
    if name == "name":
        # each word starts a word of the name (the search_name column, indexed)
        words = [w for w in re.split(r"\s+", value.lower()) if w]
        q = Q()
        for w in words:
            q &= Q(search_name__startswith=w) | Q(search_name__contains=" " + w)
        return q
    return reduce(or_, (Q(**{f"{f}__istartswith": value.strip()}) for f in fields))
