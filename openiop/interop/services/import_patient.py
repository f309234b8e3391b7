"""The patient of an imported Bundle, checked as the registration form checks a
patient typed in (the same form, so the same lengths and validators).

A value the form refuses is not shortened or guessed at: a legal name or birth
date that does not fit refuses the import (a patient cannot be registered
without them); any other value is left out and listed with the form's reason.
A state written out ("Oregon") becomes its USPS code and a language code its
name; both changes are reported. Elements OpenIOP has no place for are listed
(identifiers by their type only, never their value).
"""

import datetime as dt
import re
from functools import cache

import pycountry
from django.utils import timezone

from openiop.interop.fhir.operation_outcome import issue

# a form field -> the FHIR element it comes from
ELEMENT = {
    "legal_given_name": "Patient.name.given",
    "legal_family_name": "Patient.name.family",
    "preferred_name": "Patient.name",
    "pronouns": "Patient.extension",
    "phone": "Patient.telecom",
    "email": "Patient.telecom",
    "street": "Patient.address",
    "city": "Patient.address",
    "state": "Patient.address",
    "zip_code": "Patient.address",
    "preferred_language": "Patient.communication",
    "sex_at_birth": "Patient.gender",
}
REQUIRED = ("legal_given_name", "legal_family_name")
ZIP = re.compile(r"^\d{5}(-\d{4})?$")
KEPT_EXTENSIONS = ("us-core-birthsex", "individual-pronouns")
MONTHS = "January February March April May June July August September October November December"
NOT_KEPT = {
    "maritalStatus": "marital status is not kept",
    "multipleBirthBoolean": "multiple birth is not kept",
    "multipleBirthInteger": "multiple birth is not kept",
    "photo": "photos are not kept",
    "generalPractitioner": "the primary care provider is not kept: add it to a note",
    "link": "links to other patient records are not followed",
}


class BirthDateNeeded(Exception):
    def __init__(self, message: str, known: str):
        super().__init__(message)
        self.message, self.known = message, known


@cache
def _states() -> dict[str, str]:
    """Names and codes of US states, DC and territories -> USPS code (ISO 3166-2:US)."""
    out = {}
    for s in pycountry.subdivisions.get(country_code="US"):
        code = s.code.split("-")[1]
        out[code.casefold()] = code
        out[s.name.casefold()] = code
        if s.name.endswith(", U.S."):  # "Virgin Islands, U.S."
            out[s.name[: -len(", U.S.")].casefold()] = code
            out[f"U.S. {s.name[: -len(', U.S.')]}".casefold()] = code
    return out


def us_state(value: str) -> str | None:
    return _states().get(" ".join(value.split()).casefold())


def language_name(code: str) -> str | None:
    """The English name of a BCP 47 tag's language ('es-MX' -> 'Spanish')."""
    primary = (code or "").split("-")[0].strip()
    if not primary:
        return None
    try:
        lang = pycountry.languages.lookup(primary)
    except LookupError:
        return None
    name = getattr(lang, "common_name", None) or lang.name
    return re.sub(r"\s*\(.*\)$", "", name)  # "Nepali (macrolanguage)" -> "Nepali"


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def birth_date(p: dict, override: dt.date | None, warnings: list) -> dt.date:
    """The full date of birth, or BirthDateNeeded; a date in the future or
    before 1900 (the registration rule) refuses with ValueError."""
    raw = p.get("birthDate") or ""
    if len(raw) == 10:
        try:
            when = dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"The birth date in the Bundle, {raw}, is not a real date.") from None
    elif override is not None and override.isoformat().startswith(raw):
        when = override
        warnings.append(
            f"Patient.birthDate: the Bundle gives {raw or 'no date'}; the full date "
            f"{override.isoformat()} was entered on this page."
        )
    elif raw:
        year, _, month = raw.partition("-")
        known = f"{MONTHS.split()[int(month) - 1]} {year}" if month else year
        lacks = "a day" if month else "a month or day"
        entered = (
            f"The date entered, {override.isoformat()}, is not in {known}. " if override else ""
        )
        raise BirthDateNeeded(
            f"{entered}The birth date in the Bundle is {known}, without {lacks}. OpenIOP needs the "
            "full date to match and register a patient: enter it below, or ask the referring "
            "program for it.",
            raw,
        )
    else:
        raise BirthDateNeeded(
            "The Patient has no birth date. OpenIOP needs it to match and register a patient: "
            "enter it below, or ask the referring program for it.",
            "",
        )
    if when > timezone.localdate():
        raise ValueError(
            f"The birth date in the Bundle, {when.isoformat()}, is in the future: the record "
            "cannot be right. Ask the referring program to correct it."
        )
    if when.year < 1900:
        raise ValueError(
            f"The birth date in the Bundle, {when.isoformat()}, is before 1900: the record "
            "cannot be right. Ask the referring program to correct it."
        )
    return when


def death(p: dict) -> str | None:
    """Why the Bundle says the patient has died, or None."""
    if p.get("deceasedDateTime"):
        return f"died on {p['deceasedDateTime'][:10]} (Patient.deceasedDateTime)"
    if p.get("deceasedBoolean") is True:
        return "has died (Patient.deceasedBoolean)"
    return None


def _names(p: dict, plan) -> dict:
    names = [n for n in p.get("name") or [] if n.get("use") != "old"] or p.get("name") or []
    official = next((n for n in names if n.get("use") == "official"), None)
    official = official or next((n for n in names if n.get("use") in (None, "usual")), None)
    official = official or (names[0] if names else {})
    usual = next((n for n in names if n.get("use") == "usual" and n is not official), None)
    given_names = [g for g in (_text(g) for g in official.get("given") or []) if g]
    given, family = (given_names or [""])[0], _text(official.get("family"))
    words = _text(official.get("text")).split()
    if not given and words:
        given = words[0]
    if not family and len(words) > 1:
        family = words[-1]
    if len(given_names) > 1:
        plan.skip(
            "Patient.name",
            "middle names are not kept: OpenIOP records one legal given name",
            repr(" ".join(given_names[1:])),
        )
    for part in ("prefix", "suffix"):
        for x in official.get(part) or []:
            plan.skip("Patient.name", f"a name {part} is not kept", repr(x))
    for n in names:
        if n is not official and n is not usual:
            text = n.get("text") or " ".join([*(n.get("given") or []), n.get("family") or ""])
            plan.skip("Patient.name", "other names are not kept", f"{text!r} ({n.get('use')})")
    out = {"legal_given_name": given, "legal_family_name": family}
    if usual and usual.get("given"):
        out["preferred_name"] = _text(usual["given"][0])
    return out


def _telecom(p: dict, plan) -> dict:
    out = {}
    for t in p.get("telecom") or []:
        system, value = t.get("system"), _text(t.get("value"))
        field = {"phone": "phone", "email": "email"}.get(system)
        if not value:
            continue
        if t.get("use") == "old":
            plan.skip("Patient.telecom", "a former contact is not kept", repr(value))
        elif field is None:
            plan.skip("Patient.telecom", f"{system or 'contact'} details are not kept", repr(value))
        elif field in out:
            plan.skip("Patient.telecom", f"OpenIOP keeps one {system}", repr(value))
        else:
            out[field] = value
    return out


def _address(p: dict, plan) -> dict:
    addresses = [a for a in p.get("address") or [] if a.get("use") != "old"]
    home = next((a for a in addresses if a.get("use") in ("home", None)), None)
    home = home or (addresses[0] if addresses else None)
    for a in p.get("address") or []:
        if a is not home:
            text = a.get("text") or ", ".join(a.get("line") or []) or a.get("city") or ""
            plan.skip("Patient.address", "OpenIOP keeps one address", repr(text))
    if home is None:
        return {}
    out = {
        "street": ", ".join(x for x in (_text(line) for line in home.get("line") or []) if x),
        "city": _text(home.get("city")),
    }
    country = _text(home.get("country"))
    if country and country.casefold() not in (
        "us",
        "usa",
        "united states",
        "united states of america",
    ):
        plan.skip("Patient.address", "addresses outside the United States are not kept", country)
        return {}
    state = _text(home.get("state"))
    if state:
        code = us_state(state)
        if code is None:
            plan.skip("Patient.address", "not a US state or territory", f"state {state!r}")
        else:
            out["state"] = code
            if code != state:
                plan.warnings.append(f"Patient.address.state: {state!r} is recorded as {code}.")
    postal = _text(home.get("postalCode"))
    if postal:
        from openiop.core.errors import ApplicationError
        from openiop.organizations.services import zip_lookup

        reason = None
        if not ZIP.match(postal):
            reason = "not a US ZIP code (five digits, or ZIP+4)"
        else:
            try:
                zip_lookup(postal)
            except ApplicationError:
                reason = "not a known US ZIP code"
        if reason:
            plan.skip("Patient.address", reason, f"postal code {postal!r}")
        else:
            out["zip_code"] = postal
    if home.get("district"):
        plan.skip("Patient.address", "the county is not kept", repr(home["district"]))
    return out


def _language(p: dict, plan) -> dict:
    comms = p.get("communication") or []
    chosen = next((c for c in comms if c.get("preferred")), comms[0] if comms else None)
    out = {}
    if chosen is not None:
        concept = chosen.get("language") or {}
        codings = concept.get("coding") or []
        name = _text(concept.get("text")) or next(
            (_text(c.get("display")) for c in codings if _text(c.get("display"))), ""
        )
        code = next((c.get("code") for c in codings if c.get("code")), "")
        if not name and code:
            name = language_name(code) or ""
            if name:
                plan.warnings.append(f"Patient.communication: language {code!r} is {name}.")
            else:
                plan.skip("Patient.communication", "not a known language code", repr(code))
        if name:
            out["preferred_language"] = name
    for c in comms:
        if c is not chosen:
            lang = c.get("language") or {}
            label = lang.get("text") or next(
                (x.get("display") or x.get("code") for x in lang.get("coding") or []), ""
            )
            plan.skip("Patient.communication", "OpenIOP keeps one preferred language", label)
    return out


def _others(p: dict, plan) -> None:
    for ident in p.get("identifier") or []:
        label = (ident.get("type") or {}).get("text") or next(
            (
                c.get("display") or c.get("code")
                for c in (ident.get("type") or {}).get("coding") or []
            ),
            ident.get("system") or "an identifier",
        )
        plan.skip(
            "Patient.identifier",
            "identifiers of the source are not kept (OpenIOP assigns its own MRN)",
            label,
        )
    for ext in p.get("extension") or []:
        url = ext.get("url") or ""
        if not url.endswith(KEPT_EXTENSIONS):
            plan.skip("Patient.extension", "not kept", url.rstrip("/").split("/")[-1])
    for element, reason in NOT_KEPT.items():
        if p.get(element) not in (None, [], False):
            plan.skip(f"Patient.{element.removesuffix('Boolean').removesuffix('Integer')}", reason)


def patient_fields(p: dict, plan, problems: list, date_of_birth: dt.date | None = None) -> dict:
    """Registration fields from the Patient; `problems` gets what refuses the import."""
    from openiop.patients.forms import PatientForm

    out = _names(p, plan)
    sex = {"female": "female", "male": "male"}.get(p.get("gender"), "unknown")
    for ext in p.get("extension") or []:
        if ext.get("url", "").endswith("us-core-birthsex"):
            sex = {"F": "female", "M": "male"}.get(ext.get("valueCode"), sex)
        if ext.get("url", "").endswith("individual-pronouns"):
            for sub in ext.get("extension") or []:
                text = _text((sub.get("valueCodeableConcept") or {}).get("text"))
                out["pronouns"] = text or out.get("pronouns", "")
    out["sex_at_birth"] = sex
    out |= _telecom(p, plan) | _address(p, plan) | _language(p, plan)
    _others(p, plan)
    out = {k: v for k, v in out.items() if v}
    missing = [
        label
        for key, label in zip(REQUIRED, ("given name", "family name"), strict=True)
        if not out.get(key)
    ]
    if missing:
        msg = f"The Patient has no {' or '.join(missing)}; a record cannot be matched or made."
        problems.append(issue(msg, code="required", where="Patient.name"))
        return out
    form = PatientForm(data={"date_of_birth": "2000-01-01", "preferred_language": "English", **out})
    form.is_valid()
    for name, errors in form.errors.items():
        value = out.pop(name, None)
        element = ELEMENT.get(name, f"Patient.{name}")
        if name in REQUIRED:
            msg = (
                f"{element}: {errors[0]} A legal name is not shortened: ask the referring "
                "program to correct it, or register the patient by hand."
            )
            problems.append(issue(msg, code="value", where=element))
        else:
            plan.skip(element, errors[0], repr(value))
    if reason := death(p):
        msg = (
            f"The Bundle says the patient {reason}: an IOP cannot admit them, and nothing was "
            "imported."
        )
        problems.append(issue(msg, code="business-rule", where="Patient.deceased"))
        return out
    try:
        out["date_of_birth"] = birth_date(p, date_of_birth, plan.warnings)
    except ValueError as exc:
        problems.append(issue(str(exc), code="value", where="Patient.birthDate"))
    return out
