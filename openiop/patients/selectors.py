"""Reads of patients: search, chart. Every one starts from `visible_to`."""

import datetime as dt
import re

from django.db.models import Exists, OuterRef, Prefetch, Q

from openiop.care.models import Episode, EpisodeStatus
from openiop.patients.models import Patient

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")


def parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def matching(patients, query: str):
    """The patients of a queryset whose name, MRN or date of birth matches."""
    query = (query or "").strip()[:100]
    if not query:
        return patients
    when = parse_date(query)
    if when:
        return patients.filter(date_of_birth=when)
    words = [w for w in re.split(r"[\s,]+", query.lower()) if w]
    name = Q()
    for w in words:
        name &= Q(search_name__startswith=w) | Q(search_name__contains=" " + w)
    return patients.filter(Q(mrn__iexact=query) | name)


def patient_search(*, actor, query: str = "", status: str = ""):
    """Patients the actor may see, matching a name, an MRN or a date of birth.

    Words are matched against the start of any part of the name; a date
    (2001-04-30 or 04/30/2001) matches the date of birth.
    """
    qs = matching(Patient.objects.visible_to(actor, "view"), query)
    if status == "active":
        open_episode = Episode.objects.filter(patient=OuterRef("pk"), status=EpisodeStatus.ACTIVE)
        qs = qs.filter(Exists(open_episode))
    return qs.order_by("legal_family_name", "legal_given_name", "id")


def with_open_episodes(page_of_patients, actor):
    """Attach each patient's open episodes visible to the actor, in one query."""
    visible = Episode.objects.visible_to(actor, "view").filter(status=EpisodeStatus.ACTIVE)
    ids = [p.pk for p in page_of_patients]
    by_patient: dict[int, list] = {pid: [] for pid in ids}
    for ep in visible.filter(patient_id__in=ids).select_related("program", "track"):
        by_patient[ep.patient_id].append(ep)
    for p in page_of_patients:
        p.open_episodes = by_patient.get(p.pk, [])
    return page_of_patients


def patient_chart(*, actor, patient_uuid):
    """One patient with what the chart header and summary show, or None."""
    episodes = Episode.objects.visible_to(actor, "view").select_related(
        "program", "track", "primary_clinician"
    )
    return (
        Patient.objects.visible_to(actor, "view")
        .filter(uuid=patient_uuid)
        .prefetch_related(
            Prefetch("episodes", queryset=episodes, to_attr="visible_episodes"),
            "support_persons",
            "coverages",
        )
        .first()
    )
