"""The caseload's clinician picker: the whole list while the staff is short, a
search by name when it is long.

A program of 1,260 clinicians rendered 1,260 `<option>`s on every caseload
page of its director (80 ms of the page at 100,000 patients). The picker
reads at most `PICKER_LIMIT + 1` staff in one query, whatever the size: when
they all fit (and nobody searched) they are the list, as before; otherwise the
page offers a search box and lists the first `PICKER_LIMIT` who match.
"""

import dataclasses
import re

from django.db.models import Q

from openiop.access.scope import can
from openiop.organizations.models import Program
from openiop.patients.forms import clinical_staff

PICKER_LIMIT = 50
QUERY_MAX = 100


@dataclasses.dataclass
class ClinicianPicker:
    choices: list  # the users offered, the chosen clinician first if not among them
    query: str
    searchable: bool  # a search box: the staff is longer than the list, or a search was made
    more: bool  # more staff match than are listed
    found: int  # how many of the choices match (the chosen clinician may be added)


def staff_matching(staff, query: str):
    """Staff whose name (display, given, family) or login contains every word."""
    for word in [w for w in re.split(r"[\s,]+", query) if w]:
        staff = staff.filter(
            Q(display_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
        )
    return staff


def visible_clinical_staff(actor):
    """The clinical staff of the programs the actor may see (a queryset)."""
    return clinical_staff(Program.objects.visible_to(actor, "view"))


def caseload_clinician(actor, wanted: str = ""):
    """Whose caseload the page shows: the one asked for if the actor may see
    staff and that person is among the clinical staff they see, else the actor."""
    if wanted and can(actor, "staff.view"):
        return visible_clinical_staff(actor).filter(uuid=wanted).first() or actor
    return actor


def clinician_picker(*, actor, chosen, query: str = "") -> ClinicianPicker | None:
    """The picker for an actor who may see staff (None for others): one query."""
    if not can(actor, "staff.view"):
        return None
    query = (query or "").strip()[:QUERY_MAX]
    staff = visible_clinical_staff(actor)
    if query:
        staff = staff_matching(staff, query)
    choices = list(staff[: PICKER_LIMIT + 1])
    more = len(choices) > PICKER_LIMIT
    choices = choices[:PICKER_LIMIT]
    found = len(choices)
    if chosen is not None and all(c.pk != chosen.pk for c in choices):
        choices.insert(0, chosen)
    return ClinicianPicker(
        choices=choices, query=query, searchable=bool(query) or more, more=more, found=found
    )
