"""Safety alerts: who is told, how they are paged, and how an alert escalates
until someone acknowledges it.

Routing is decided when the alert is raised, from the patient's *current* open
episodes (not the episode a link was made for): the primary clinician, the
program's own directors, then the program's active clinicians. With nobody
there (a patient not admitted yet, a program without staff) the alert goes on
the organization's safety queue, shown while open on every clinical dashboard
of the organization, and is emailed to its organization-wide clinical staff,
else the intake coordinators and directors of its programs, else any clinical
staff, else its administrators (told to put someone on it): an alert never
reaches nobody (`route` always returns people, tested).

Two tiers. A *safety* alert (self-harm, the self-harm question left blank,
high risk at intake, a check-in saying "I do not feel safe") is emailed to its
recipients at once and escalates while unacknowledged: after the program's
delay (shorter outside its hours) to the directors, then to the organization's
on-call contact; a level with nobody new to tell is recorded and passed. A
*clinical attention* flag (severe band, large rise) waits on dashboards and
the chart. Messages go through the shared outbox
(`openiop.messaging`) with one key per alert, level and person, so a sweep run
twice or a worker restarted sends nothing twice; they carry no PHI.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from openiop.accounts.models import Membership, Role, User
from openiop.audit.models import Action
from openiop.audit.services import audit_record, audit_record_many
from openiop.care.models import Episode, EpisodeStatus
from openiop.measures.models import (
    SAFETY_KINDS,
    AlertRecipient,
    AlertStatus,
    AlertStep,
    AlertTier,
    RecipientReason,
    SafetyAlert,
)
from openiop.measures.services.common import PATIENT_VIA_LINK

CLINICAL_ROLES = (Role.PROGRAM_DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER, Role.INTAKE_COORDINATOR)
LAST_LEVEL = 2  # 0: first recipients, 1: the directors, 2: the on-call contact


@dataclass
class Routing:
    episode: Episode | None
    recipients: list[tuple[int, str]] = field(default_factory=list)
    on_queue: bool = False


def _unique(pairs) -> list[tuple[int, str]]:
    seen, out = set(), []
    for uid, reason in pairs:
        if uid not in seen:
            seen.add(uid)
            out.append((uid, reason))
    return out


def _members(organization_id, program_id=None):
    """Active memberships of active accounts: in the program (or organization-wide)."""
    qs = Membership.objects.filter(
        organization_id=organization_id, is_active=True, user__is_active=True
    )
    if program_id is not None:
        qs = qs.filter(Q(program_id=program_id) | Q(program__isnull=True))
    return qs


def _recipients(episode, organization_id) -> list[tuple[int, str]]:
    """The episode's team: the primary clinician and the program's directors; if
    there are none, the program's clinicians."""
    out: list[tuple[int, str]] = []
    if episode is None:
        return out
    members = _members(organization_id, episode.program_id)
    clinician = episode.primary_clinician
    if (
        clinician is not None
        and clinician.is_active
        and members.filter(user_id=clinician.pk).exists()  # still on the program's staff
    ):
        out.append((clinician.pk, RecipientReason.PRIMARY_CLINICIAN))
    # the program's own directors (organization-wide ones are the escalation)
    directors = members.filter(role=Role.PROGRAM_DIRECTOR, program_id=episode.program_id)
    for uid in directors.values_list("user_id", flat=True):
        out.append((uid, RecipientReason.PROGRAM_DIRECTOR))
    if not out:
        for uid in members.filter(role=Role.CLINICIAN).values_list("user_id", flat=True):
            out.append((uid, RecipientReason.PROGRAM_CLINICIAN))
    return _unique(out)


def _queue(organization_id) -> list[tuple[int, str]]:
    """The organization's safety queue, which every clinical role of the
    organization can open: its organization-wide clinical staff; with none, the
    intake coordinators and directors of its programs; with none, any clinical
    staff of its programs. With no clinical staff at all, its administrators
    are told to put someone on it (they cannot open the alert)."""
    members = _members(organization_id).filter(role__in=CLINICAL_ROLES)
    for group in (
        members.filter(program__isnull=True),
        members.filter(role__in=(Role.INTAKE_COORDINATOR, Role.PROGRAM_DIRECTOR)),
        members,
    ):
        uids = list(group.order_by("user_id").values_list("user_id", flat=True))
        if uids:
            return _unique((uid, RecipientReason.ORGANIZATION_QUEUE) for uid in uids)
    admins = _members(organization_id).filter(role=Role.ADMINISTRATOR, program__isnull=True)
    return _unique(
        (uid, RecipientReason.NO_CLINICAL_STAFF)
        for uid in admins.order_by("user_id").values_list("user_id", flat=True)
    )


def queue_now(organization_id) -> list[tuple[User, str]]:
    """Who an alert on the organization's safety queue would reach now, with
    why (for the settings page)."""
    pairs = _queue(organization_id)
    users = User.objects.in_bulk([uid for uid, _ in pairs])
    return [(users[uid], RecipientReason(reason).label) for uid, reason in pairs]


def current_episodes(patient) -> list[Episode]:
    return list(
        Episode.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE)
        .select_related("primary_clinician", "program__site")
        .order_by("-admitted_on", "-id")
    )


def route(patient) -> Routing:
    """Who is told of an alert about this patient, now."""
    episodes = current_episodes(patient)
    out: list[tuple[int, str]] = []
    for episode in episodes:
        out += _recipients(episode, patient.organization_id)
    routing = Routing(episode=episodes[0] if episodes else None, recipients=_unique(out))
    if not routing.recipients:
        routing.recipients = _queue(patient.organization_id)
        routing.on_queue = True
    return routing


# raising ------------------------------------------------------------------------------


def alert_raise(
    *, actor, patient, kind: str, summary: str, response=None, assessment=None, checkin=None
) -> SafetyAlert:
    """Open one alert (inside the caller's transaction), route it, page its
    recipients if it is a safety alert, and schedule its escalation."""
    routing = route(patient)
    now = timezone.now()
    tier = AlertTier.SAFETY if kind in SAFETY_KINDS else AlertTier.ATTENTION
    episode = routing.episode
    alert = SafetyAlert.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        episode=episode,
        program_id=episode.program_id if episode else None,
        response=response,
        assessment=assessment,
        checkin=checkin,
        kind=kind,
        tier=tier,
        on_queue=routing.on_queue,
        summary=summary[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        next_escalation_at=now + escalation_delay(episode, now) if tier == "safety" else None,
    )
    _add_recipients(alert, routing.recipients, level=0, now=now)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="safety_alert.raise",
        obj=alert,
        patient=patient,
        detail={
            "kind": kind,
            "tier": tier,
            "recipients": len(routing.recipients),
            "queue": routing.on_queue,
        },
        actor_name=PATIENT_VIA_LINK if actor is None else None,
    )
    if alert.pages:
        clinical = set(RecipientReason.clinical())
        nobody = not any(reason in clinical for _, reason in routing.recipients)
        address = alert.organization.on_call_email if nobody else ""
        _page(alert, routing.recipients, level=0, now=now, address=address)
    return alert


def _add_recipients(alert, pairs, *, level: int, now) -> list[int]:
    have = set(AlertRecipient.objects.filter(alert=alert).values_list("user_id", flat=True))
    new = [(uid, reason) for uid, reason in pairs if uid not in have]
    AlertRecipient.objects.bulk_create(
        [
            AlertRecipient(alert=alert, user_id=uid, reason=reason, level=level, added_at=now)
            for uid, reason in new
        ]
    )
    return [uid for uid, _ in new]


# paging -------------------------------------------------------------------------------

SUBJECT = "A safety alert needs you"


def alert_link(alert) -> str:
    from django.conf import settings

    return settings.SITE_URL + reverse("measures:alert", kwargs={"alert_uuid": alert.uuid})


FIRST = {
    RecipientReason.PRIMARY_CLINICIAN: "You are the primary clinician of a patient whose "
    "safety alert needs a response.",
    RecipientReason.PROGRAM_DIRECTOR: "You are a director of the program of a patient whose "
    "safety alert needs a response.",
    RecipientReason.PROGRAM_CLINICIAN: "You are a clinician of the program of a patient whose "
    "safety alert needs a response (nobody else of the patient's team could be told).",
    RecipientReason.ORGANIZATION_QUEUE: "A safety alert is on your organization's safety queue: "
    "the patient has no program team to take it (not admitted yet, or a program without staff).",
    RecipientReason.ESCALATED: "A safety alert was not acknowledged in time and is escalated "
    "to you as a director.",
    RecipientReason.ON_CALL: "A safety alert is still not acknowledged: you are the "
    "organization's on-call contact.",
}
ON_CALL_ADDRESS = (
    "A safety alert is still not acknowledged: this address is the organization's on-call contact."
)
ON_CALL_ADDRESS_NOBODY = (
    "A safety alert was raised and nobody in the organization holds a clinical role to receive "
    "it: this address is the organization's on-call contact. If you cannot open it, reach the "
    "organization's administrator now."
)
NO_CLINICAL_STAFF = (
    "A safety alert was raised in your organization and no one holds an active clinical role "
    "to receive it. Give a clinician, director or intake coordinator an active role now: the "
    "alert waits on the organization's safety queue, which every clinical member of staff sees."
)


@dataclass
class Page:
    """The messages of one alert at one level: everyone told so far is emailed;
    `reasons` says why each was told (`new`: those told at this level), and
    `on_call` who the on-call person is (told so at the last level, even when
    they had the alert already)."""

    alert: SafetyAlert
    level: int
    told: set[int]
    new: dict[int, str] = field(default_factory=dict)
    address: str = ""
    reasons: dict[int, str] = field(default_factory=dict)
    on_call: set[int] = field(default_factory=set)


def _why(page: Page, uid: int | None) -> str:
    if uid is None:
        clinical = set(RecipientReason.clinical())
        nobody = page.level == 0 and not any(r in clinical for r in page.new.values())
        return ON_CALL_ADDRESS_NOBODY if nobody else ON_CALL_ADDRESS
    if uid in page.new:
        return FIRST.get(page.new[uid], NO_CLINICAL_STAFF)
    if page.level == LAST_LEVEL and uid in page.on_call:
        return f"Reminder: {FIRST[RecipientReason.ON_CALL]}"
    if page.level == 1 and page.new:
        went = "It has now also gone to the directors."
    elif page.level == LAST_LEVEL and (page.new or page.address):
        went = "It has now gone to the organization's on-call contact."
    else:
        went = "There is nobody further to escalate it to: answer it, or ask a colleague to."
    return f"Reminder: a safety alert sent to you is still not acknowledged. {went}"


def _body(page: Page, uid: int | None) -> str:
    from django.conf import settings

    reason = page.new.get(uid) or page.reasons.get(uid)
    if uid is not None and reason == RecipientReason.NO_CLINICAL_STAFF:
        where = settings.SITE_URL + reverse("organizations:staff")
        again = "" if uid in page.new else "Reminder: the alert is still not acknowledged. "
        return (
            f"{again}{NO_CLINICAL_STAFF}\n\nStaff and roles:\n{where}\n\n"
            "This message holds no patient information.\n"
        )
    return (
        f"{_why(page, uid)}\n\nOpen it, sign in and acknowledge it with what was done:\n"
        f"{alert_link(page.alert)}\n\n"
        "This message holds no patient information. If you cannot act on it, make sure "
        "someone else does.\n"
    )


def _page(alert, pairs, *, level: int, now, address: str = "") -> int:
    """Email each of (user id, reason) (and an on-call address): outbox rows,
    one key each (a key already there is not sent again). Returns how many
    were new."""
    pairs = list(pairs)
    page = Page(alert, level, told={u for u, _ in pairs}, new=dict(pairs), address=address)
    return _page_many([page], now)


def _page_many(pages: list[Page], now) -> int:
    """The messages of several pages at once."""
    from openiop.messaging.services import outbox_put_many

    wanted = set().union(*(p.told for p in pages))
    users = {
        u.pk: u for u in User.objects.filter(pk__in=list(wanted), is_active=True).exclude(email="")
    }
    # only people who still hold a role there (clinical, or administrator for
    # the staffing message): someone who left is not paged again
    roles = (*CLINICAL_ROLES, Role.ADMINISTRATOR)
    holding = set(
        Membership.objects.filter(user_id__in=list(users), is_active=True, role__in=roles)
        .values_list("user_id", "organization_id")
        .distinct()
    )
    messages = []
    for page in pages:
        org = page.alert.organization_id
        targets = [
            (f"user:{u.pk}", u, u.email)
            for uid in page.told
            if (u := users.get(uid)) and (uid, org) in holding
        ]
        if page.address:
            targets.append(("on-call", None, page.address))
        messages += [
            {
                "key": f"alert:{page.alert.uuid}:{page.level}:{who}",
                "organization_id": page.alert.organization_id,
                "to_user": user,
                "to_address": to,
                "subject": SUBJECT,
                "body": _body(page, user.pk if user else None),
                "topic": "safety_alert",
                "topic_id": str(page.alert.uuid),
                "not_before": now,
            }
            for who, user, to in targets
        ]
    made = outbox_put_many(messages)
    if made:
        transaction.on_commit(_deliver_soon)
    return made


def _deliver_soon() -> None:
    from openiop.measures.tasks import start_sweeps

    start_sweeps()


# escalation ---------------------------------------------------------------------------


def program_open(program, now: dt.datetime) -> bool:
    """Whether a track of the program is in session at `now` (site's time)."""
    if program is None:
        return False
    try:
        zone = zoneinfo.ZoneInfo(program.site.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    for track in program.tracks.all():
        if (
            track.is_active
            and local.isoweekday() in track.weekdays
            and track.start_time <= local.time() < track.end_time
        ):
            return True
    return False


def escalation_delay(episode, now: dt.datetime) -> dt.timedelta:
    program = episode.program if episode is not None else None
    if program is None:
        return dt.timedelta(minutes=15)
    if program_open(program, now):
        return dt.timedelta(minutes=max(1, program.alert_minutes_open))
    return dt.timedelta(minutes=max(1, program.alert_minutes_closed))


def _escalation_targets(alert, level: int) -> tuple[list[tuple[int, str]], str]:
    """Level 1: the directors (of the program and organization-wide; for an
    alert on the queue the organization-wide directors, or with none the
    directors of its programs, who all see the queue); level 2: the
    organization's on-call contact (a person who can still open every alert,
    and/or an address)."""
    from openiop.organizations.services import on_call_candidates

    if level == 1:
        directors = _members(alert.organization_id).filter(role=Role.PROGRAM_DIRECTOR)
        if alert.program_id is not None and not alert.on_queue:
            members = directors.filter(Q(program_id=alert.program_id) | Q(program__isnull=True))
        else:
            members = directors.filter(program__isnull=True)
            if not members.exists():
                members = directors
        uids = members.order_by("user_id").values_list("user_id", flat=True)
        return _unique((uid, RecipientReason.ESCALATED) for uid in uids), ""
    org = alert.organization
    people = []
    if org.on_call_user_id and on_call_candidates(org.pk).filter(pk=org.on_call_user_id).exists():
        people.append((org.on_call_user_id, RecipientReason.ON_CALL))
    return people, org.on_call_email


@dataclass
class Sweep:
    escalated: int = 0
    messages: int = 0


CHUNK = 100  # alerts escalated in one transaction


def alerts_sweep(*, now: dt.datetime | None = None) -> Sweep:
    """Escalate every open safety alert whose time has come, one level each.
    Each step is a conditional update on (alert, level): two sweeps at once
    escalate an alert once; the outbox keys make the messages once too. The
    delay and the people of a level are worked out once per program."""
    now = now or timezone.now()
    out = Sweep()
    due = list(
        SafetyAlert.objects.filter(
            status=AlertStatus.OPEN, tier=AlertTier.SAFETY, next_escalation_at__lte=now
        )
        .select_related("patient")  # the audit event names it; the rest is read once per program
        .order_by("next_escalation_at", "id")
    )
    delays: dict = {}
    targets: dict = {}
    for start in range(0, len(due), CHUNK):
        with transaction.atomic():
            _escalate(due[start : start + CHUNK], now, out, delays, targets)
    return out


def _escalate(alerts, now, out: Sweep, delays: dict, targets: dict) -> None:
    """One chunk: lock the chunk's alerts that are still open and at the level
    read (another sweep, or an acknowledgement, may have got there first; on
    PostgreSQL a row another sweep holds is skipped: it is that sweep's, and
    waiting for it could deadlock two sweeps whose chunks overlap), take each
    up a level (passing at once through a level with nobody new to tell),
    record the steps, add the level's people, page everyone told so far and
    audit, in a few queries for the whole chunk."""
    for alert in alerts:
        if alert.program_id not in delays:
            delays[alert.program_id] = escalation_delay(alert.episode, now)
    still = set(
        SafetyAlert.objects.select_for_update(skip_locked=True)
        .filter(pk__in=[a.pk for a in alerts], status=AlertStatus.OPEN)
        .values_list("pk", "escalation_level")
    )
    moving = [a for a in alerts if (a.pk, a.escalation_level) in still]
    if not moving:
        return
    told: dict[int, set] = {a.pk: set() for a in moving}
    reasons: dict[int, dict] = {a.pk: {} for a in moving}
    for alert_id, user_id, reason in AlertRecipient.objects.filter(
        alert_id__in=list(told)
    ).values_list("alert_id", "user_id", "reason"):
        told[alert_id].add(user_id)
        reasons[alert_id][user_id] = reason
    new_rows, step_rows, pages, events = [], [], [], []
    levels: dict[tuple, list[int]] = defaultdict(list)
    for alert in moving:
        level, new, passed = alert.escalation_level, {}, []
        while True:
            level += 1
            key = (alert.organization_id, alert.program_id, alert.on_queue, level)
            if key not in targets:
                targets[key] = _escalation_targets(alert, level)
            people, address = targets[key]
            new = {uid: reason for uid, reason in people if uid not in told[alert.pk]}
            step_rows.append(
                AlertStep(
                    alert=alert,
                    level=level,
                    at=now,
                    people=len(people),
                    added=len(new),
                    on_call_address=bool(address),
                )
            )
            if new or address or level == LAST_LEVEL:
                break
            passed.append(level)
        new_rows += [
            AlertRecipient(alert=alert, user_id=uid, reason=reason, level=level, added_at=now)
            for uid, reason in new.items()
        ]
        told[alert.pk] |= set(new)
        later = now + delays[alert.program_id] if level < LAST_LEVEL else None
        levels[(level, later)].append(alert.pk)
        # everyone told so far hears it again with the escalation
        on_call = {uid for uid, r in people if r == RecipientReason.ON_CALL}
        page = Page(alert, level, told=told[alert.pk], new=new, address=address)
        page.reasons, page.on_call = reasons[alert.pk], on_call
        pages.append(page)
        events.append((alert, level, len(new), bool(address), passed))
    for (level, later), pks in levels.items():
        SafetyAlert.objects.filter(pk__in=pks).update(
            escalation_level=level, next_escalation_at=later, updated_at=now
        )
    AlertRecipient.objects.bulk_create(new_rows)
    AlertStep.objects.bulk_create(step_rows)
    out.messages += _page_many(pages, now)
    audit_record_many(
        [
            {
                "actor": None,
                "actor_name": "safety alert escalation",
                "action": Action.EXECUTE,
                "event": "safety_alert.escalate",
                "obj": alert,
                "patient": alert.patient,
                "detail": {
                    "level": level,
                    "added": added,
                    "on_call_address": on_call,
                    "passed_with_nobody_new": passed,
                },
            }
            for alert, level, added, on_call, passed in events
        ]
    )
    out.escalated += len(events)
