"""Writes for sites, rooms, programs and tracks."""

import datetime as dt
from decimal import Decimal

import zipcodes
from django.db import IntegrityError, transaction

from openiop.access.services import deny, require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.organizations.levels import LEVELS, default_ages, default_band
from openiop.organizations.models import Focus, Organization, Population, Program, Site, Track


def zip_lookup(zip_code: str) -> dict:
    """Centroid, city, state and time zone of a US ZIP code (offline, `zipcodes`)."""
    code = (zip_code or "").strip()[:5]
    try:
        matches = zipcodes.matching(code)
    except (TypeError, ValueError):
        matches = []
    if not matches:
        raise ApplicationError.for_field("zip_code", f"{zip_code!r} is not a known US ZIP code.")
    m = matches[0]
    return {
        "zip_code": m["zip_code"],
        "city": m["city"].title(),
        "state": m["state"],
        "time_zone": m["timezone"] or "America/New_York",
        "latitude": Decimal(m["lat"]),
        "longitude": Decimal(m["long"]),
    }


def site_create(
    *, actor, organization: Organization, name: str, street: str, zip_code: str, phone: str = ""
) -> Site:
    require(actor, "site.manage", organization_id=organization.pk, action=Action.CREATE)
    place = zip_lookup(zip_code)
    with transaction.atomic():
        site = Site.objects.create(
            organization=organization,
            name=name,
            street=street,
            phone=phone,
            created_by=actor,
            **place,
        )
        audit_record(actor=actor, action=Action.CREATE, event="site.create", obj=site)
    return site


def _check_band(minimum, maximum):
    if minimum is None or minimum < 0 or minimum > 60:
        raise ApplicationError.for_field("min_weekly_hours", "Minimum hours must be 0 to 60.")
    if maximum is not None and maximum < minimum:
        raise ApplicationError.for_field(
            "max_weekly_hours", "The weekly maximum cannot be below the minimum."
        )


PROGRAM_FIELDS = (
    "name",
    "site",
    "population",
    "focus",
    "level_of_care",
    "min_weekly_hours",
    "max_weekly_hours",
    "plan_review_days",
    "min_age",
    "max_age",
    "description",
    "is_active",
    "alert_minutes_open",
    "alert_minutes_closed",
)


def _fill_ages(data: dict, population: str) -> None:
    """Ages left blank are the population's usual range; the range must be in order."""
    low, high = default_ages(population)
    if data.get("min_age") is None:
        data["min_age"] = low
    if data.get("max_age") is None:
        data["max_age"] = high
    if data["max_age"] is not None and data["max_age"] < data["min_age"]:
        raise ApplicationError.for_field("max_age", "The oldest age is below the youngest.")


def program_create(*, actor, organization: Organization, **data) -> Program:
    require(actor, "program.manage", organization_id=organization.pk, action=Action.CREATE)
    if data.get("level_of_care") not in LEVELS:
        raise ApplicationError.for_field("level_of_care", "Choose a level of care.")
    if data.get("population") not in Population.values:
        raise ApplicationError.for_field("population", "Choose adults or adolescents.")
    band = default_band(data["level_of_care"], data["population"])
    data.setdefault("min_weekly_hours", band.minimum)
    data.setdefault("max_weekly_hours", band.maximum)
    _check_band(data["min_weekly_hours"], data["max_weekly_hours"])
    _fill_ages(data, data["population"])
    site = data.get("site")
    if site is None or site.organization_id != organization.pk:
        raise ApplicationError.for_field("site", "Choose one of this organization's sites.")
    try:
        with transaction.atomic():
            program = Program.objects.create(organization=organization, created_by=actor, **data)
            audit_record(actor=actor, action=Action.CREATE, event="program.create", obj=program)
    except IntegrityError:
        raise ApplicationError.for_field("name", "A program with that name exists.") from None
    return program


def program_update(*, actor, program: Program, **data) -> Program:
    require(
        actor,
        "program.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.UPDATE,
    )
    if "min_age" in data or "max_age" in data:
        data.setdefault("min_age", program.min_age)
        data.setdefault("max_age", program.max_age)
        _fill_ages(data, data.get("population", program.population))
    changed = [f for f in PROGRAM_FIELDS if f in data and getattr(program, f) != data[f]]
    for f in changed:
        setattr(program, f, data[f])
    _check_band(program.min_weekly_hours, program.max_weekly_hours)
    if program.site.organization_id != program.organization_id:
        raise ApplicationError.for_field("site", "Choose one of this organization's sites.")
    if not changed:
        return program
    try:
        with transaction.atomic():
            program.save()
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                event="program.update",
                obj=program,
                changed_fields=changed,
            )
    except IntegrityError:
        raise ApplicationError.for_field("name", "A program with that name exists.") from None
    return program


TRACK_FIELDS = (
    "name",
    "kind",
    "weekdays",
    "start_time",
    "end_time",
    "capacity",
    "focus",
    "is_active",
)


def _check_track(data: dict) -> None:
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        raise ApplicationError.for_field("name", "Name the track, e.g. Evening.")
    days = data.get("weekdays") or []
    if not days or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        raise ApplicationError.for_field("weekdays", "Choose at least one weekday.")
    data["weekdays"] = sorted(set(days))
    start, end = data.get("start_time"), data.get("end_time")
    if not isinstance(start, dt.time) or not isinstance(end, dt.time) or end <= start:
        raise ApplicationError.for_field("end_time", "A track must end after it starts.")
    cap = data.get("capacity", 12)
    if not isinstance(cap, int) or not 1 <= cap <= 200:
        raise ApplicationError.for_field("capacity", "Capacity must be 1 to 200.")
    if data.get("focus", "") not in ("", *Focus.values):
        raise ApplicationError.for_field(
            "focus", "Choose substance use, mental health, co-occurring, or the program's focus."
        )


def track_create(*, actor, program: Program, **data) -> Track:
    require(
        actor,
        "program.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.CREATE,
    )
    _check_track(data)
    try:
        with transaction.atomic():
            track = Track.objects.create(program=program, created_by=actor, **data)
            audit_record(
                actor=actor,
                action=Action.CREATE,
                event="track.create",
                obj=track,
                organization_id=program.organization_id,
            )
    except IntegrityError:
        raise ApplicationError.for_field("name", "This program has a track of that name.") from None
    return track


def track_update(*, actor, track: Track, **data) -> Track:
    program = track.program
    require(
        actor,
        "program.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.UPDATE,
    )
    merged = {f: data.get(f, getattr(track, f)) for f in TRACK_FIELDS}
    _check_track(merged)
    changed = [f for f in TRACK_FIELDS if getattr(track, f) != merged[f]]
    if not changed:
        return track
    for f in changed:
        setattr(track, f, merged[f])
    try:
        with transaction.atomic():
            track.save()
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                event="track.update",
                obj=track,
                organization_id=program.organization_id,
                changed_fields=changed,
            )
    except IntegrityError:
        raise ApplicationError.for_field("name", "This program has a track of that name.") from None
    return track


# the safety net's last step --------------------------------------------------------------


def on_call_candidates(organization_id: int):
    """Who may be the on-call contact: an active account holding, across the
    whole organization, a role that can open and acknowledge every safety
    alert (from the permission registry). A billing clerk, an auditor or a
    director of one program could not answer an alert of another program."""
    from openiop.access.permissions import PERMISSIONS
    from openiop.accounts.models import Membership, User

    roles = PERMISSIONS["alert.view"] & PERMISSIONS["alert.acknowledge"]
    holders = Membership.objects.filter(
        organization_id=organization_id,
        program__isnull=True,
        is_active=True,
        role__in=roles,
    ).values("user_id")
    return User.objects.filter(is_active=True, pk__in=holders).order_by(
        "last_name", "first_name", "username"
    )


def organization_set_on_call(*, actor, organization: Organization, user, email: str):
    """Set the organization's on-call contact (a person, an address, or both;
    both blank leaves the last step of escalation with nobody, which the alert
    pages say). Only organization-wide managers may set it."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not can_manage_organization(actor, organization):
        deny(actor, "organization.manage", action=Action.UPDATE)
    email = (email or "").strip()
    if user is not None and not on_call_candidates(organization.pk).filter(pk=user.pk).exists():
        raise ApplicationError.for_field(
            "on_call_user",
            "The on-call contact must hold an active organization-wide clinical role "
            "(director, clinician, prescriber or intake coordinator) to open every alert.",
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError.for_field(
                "on_call_email", "Enter a valid email address."
            ) from None
    values = {"on_call_user": user, "on_call_email": email}
    changed = [k for k, v in values.items() if getattr(organization, k) != v]
    if not changed:
        return organization
    with transaction.atomic():
        for k, v in values.items():
            setattr(organization, k, v)
        organization.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="organization.on_call",
            obj=organization,
            changed_fields=changed,
        )
    return organization


def can_manage_organization(actor, organization) -> bool:
    """Organization-wide "organization.manage" (a program director of one
    program does not set the organization's on-call contact)."""
    from openiop.access.scope import grant

    return organization.pk in grant(actor, "organization.manage").organization_ids
