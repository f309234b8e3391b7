"""Admission, changes and discharge of an episode of care."""

import datetime as dt

from django.db import IntegrityError, transaction

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import (
    AdmissionType,
    DischargeReason,
    Episode,
    EpisodeStatus,
    ReferralSource,
)
from openiop.core.errors import ApplicationError
from openiop.core.transitions import transition
from openiop.organizations.levels import LEVELS
from openiop.patients.models import Patient

SECOND_OPEN = "This patient already has an open episode in this program; discharge it first."


def _check_staff(program, clinician) -> None:
    if clinician is None:
        return
    from openiop.accounts.models import Membership

    ok = (
        Membership.objects.filter(
            user=clinician, organization_id=program.organization_id, is_active=True
        )
        .filter(program__isnull=True)
        .exists()
        or Membership.objects.filter(user=clinician, program=program, is_active=True).exists()
    )
    if not ok:
        raise ApplicationError.for_field(
            "primary_clinician", "The primary clinician must be on this program's staff."
        )


def _check_track(program, track) -> None:
    if track is not None and track.program_id != program.pk:
        raise ApplicationError.for_field("track", "Choose a track of this program.")


def program_today(program) -> dt.date:
    """Today at the program's site, whoever acts and wherever the server is."""
    from openiop.scheduling.localtime import today_in

    return today_in(program.site.time_zone)


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years of age on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _check_ages(program, patient, admitted_on: dt.date) -> None:
    age = age_on(patient.date_of_birth, admitted_on)
    too_old = program.max_age is not None and age > program.max_age
    if age < program.min_age or too_old:
        raise ApplicationError.for_field(
            "program",
            f"The patient is {age} on the admission date; {program.name} admits "
            f"{program.ages_label}.",
        )


INTENSIVE = ("2.1", "2.5")  # intensive outpatient, partial hospitalization


def _check_one_level(program, patient, lock: bool = True) -> None:
    """One intensive level of care at a time: an open episode at the other
    intensive level (IOP, PHP) is ended first. Checked with the patient's row
    locked when admitting, so two admissions at once cannot both pass."""
    if program.level_of_care not in INTENSIVE:
        return
    if lock:
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
    other = (
        Episode.objects.filter(
            patient=patient, status=EpisodeStatus.ACTIVE, program__level_of_care__in=INTENSIVE
        )
        .exclude(program__level_of_care=program.level_of_care)
        .select_related("program")
        .first()
    )
    if other is not None:
        raise ApplicationError.for_field(
            "program",
            f"The patient is in {other.program.name} ({LEVELS[other.program.level_of_care]}): "
            "discharge them there first; one level of care at a time.",
        )


def admission_check(
    *,
    program,
    patient,
    admitted_on: dt.date,
    admission_type: str,
    referral_source: str,
    track=None,
    primary_clinician=None,
    lock: bool = False,
) -> None:
    """The admission rules, writing nothing: ApplicationError if `patient` cannot
    be admitted to `program` on `admitted_on`. `patient` may be one about to be
    registered (unsaved: no episodes yet). `lock`: inside the admission's
    transaction, the patient's row is locked for the one-level rule."""
    if program.organization_id != patient.organization_id:
        raise ApplicationError.for_field("program", "Choose a program of this organization.")
    if not program.is_active:
        raise ApplicationError.for_field("program", "This program is not taking admissions.")
    if admission_type not in AdmissionType.values:
        raise ApplicationError.for_field("admission_type", "Choose how the patient arrives.")
    if referral_source not in ReferralSource.values:
        raise ApplicationError.for_field("referral_source", "Choose the referral source.")
    if not isinstance(admitted_on, dt.date) or admitted_on > program_today(program):
        raise ApplicationError.for_field(
            "admitted_on", "The admission date cannot be in the future."
        )
    if admitted_on < patient.date_of_birth:
        raise ApplicationError.for_field("admitted_on", "The admission date is before birth.")
    _check_ages(program, patient, admitted_on)
    _check_track(program, track)
    _check_staff(program, primary_clinician)
    if patient.pk is None:
        return
    if Episode.objects.filter(
        patient=patient, program=program, status=EpisodeStatus.ACTIVE
    ).exists():
        raise ApplicationError.for_field("program", SECOND_OPEN)
    _check_one_level(program, patient, lock=lock)


def episode_admit(
    *,
    actor,
    patient,
    program,
    admitted_on: dt.date,
    admission_type: str,
    referral_source: str,
    track=None,
    primary_clinician=None,
) -> Episode:
    require(
        actor,
        "episode.admit",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.CREATE,
    )
    rules = dict(admission_type=admission_type, referral_source=referral_source)
    rules.update(admitted_on=admitted_on, track=track, primary_clinician=primary_clinician)
    try:
        with transaction.atomic():
            admission_check(program=program, patient=patient, lock=True, **rules)
            episode = Episode.objects.create(
                organization_id=program.organization_id,
                patient=patient,
                program=program,
                track=track,
                primary_clinician=primary_clinician,
                admitted_on=admitted_on,
                admission_type=admission_type,
                referral_source=referral_source,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action=Action.CREATE,
                event="episode.admit",
                obj=episode,
                patient=patient,
            )
    except IntegrityError:
        raise ApplicationError.for_field("program", SECOND_OPEN) from None
    return episode


def _require_on_episode(actor, episode: Episode, permission: str, action) -> None:
    require(
        actor,
        permission,
        organization_id=episode.organization_id,
        program_id=episode.program_id,
        action=action,
    )


def episode_update(*, actor, episode: Episode, **data) -> Episode:
    """Change the track or primary clinician of an open episode."""
    _require_on_episode(actor, episode, "episode.change", Action.UPDATE)
    if not episode.is_open:
        raise ApplicationError("A discharged episode cannot be changed.")
    allowed = {"track", "primary_clinician", "referral_source"}
    unknown = set(data) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise ApplicationError.for_field(field, f"{field} cannot be changed here.")
    if "track" in data:
        _check_track(episode.program, data["track"])
    if "primary_clinician" in data:
        _check_staff(episode.program, data["primary_clinician"])
    changed = [f for f, v in data.items() if getattr(episode, f) != v]
    if not changed:
        return episode
    old_track = episode.track
    for f in changed:
        setattr(episode, f, data[f])
    with transaction.atomic():
        episode.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="episode.update",
            obj=episode,
            patient=episode.patient,
            changed_fields=changed,
        )
        if "track" in changed and old_track is not None:
            from openiop.scheduling.services.release import release_track

            new = episode.track.name if episode.track else "no track"
            episode.released = release_track(
                actor=actor, episode=episode, track=old_track, why=f"Moved to {new}"
            )
    return episode


def episode_discharge(*, actor, episode: Episode, discharged_on: dt.date, reason: str) -> Episode:
    _require_on_episode(actor, episode, "episode.discharge", Action.UPDATE)
    if not episode.is_open:
        raise ApplicationError("This episode is already closed.")
    if reason not in DischargeReason.values:
        raise ApplicationError.for_field("discharge_reason", "Choose a discharge reason.")
    if not isinstance(discharged_on, dt.date):
        raise ApplicationError.for_field("discharged_on", "Enter the discharge date.")
    if discharged_on < episode.admitted_on:
        raise ApplicationError.for_field(
            "discharged_on", "The discharge date cannot be before the admission date."
        )
    if discharged_on > program_today(episode.program):
        raise ApplicationError.for_field(
            "discharged_on", "The discharge date cannot be in the future."
        )
    with transaction.atomic():
        transition(
            episode,
            to=EpisodeStatus.DISCHARGED,
            from_=EpisodeStatus.ACTIVE,
            message="This episode was discharged a moment ago by someone else.",
            discharged_on=discharged_on,
            discharge_reason=reason,
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="episode.discharge",
            obj=episode,
            patient=episode.patient,
            changed_fields=["status", "discharged_on", "discharge_reason"],
        )
        from openiop.scheduling.services.release import release_future

        episode.released = release_future(
            actor=actor,
            episode=episode,
            after=discharged_on,
            reason=reason,
            why=f"Discharged: {DischargeReason(reason).label}",
        )
    return episode
