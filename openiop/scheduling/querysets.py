"""`visible_to` for scheduling rows.

Program rows (session series, sessions, solver runs, published weeks) are
seen where the program is: an organization-wide role, or a role in that
program. Patient rows (availability, roster entries, attendance, note
entries) are seen where the patient is, like the rest of the record.
"""

from openiop.access.querysets import (
    OrganizationRowQuerySet,
    PatientRowQuerySet,
    ProgramRowQuerySet,
)


class SessionQuerySet(ProgramRowQuerySet):
    resource = "schedule"


class SeriesQuerySet(ProgramRowQuerySet):
    resource = "schedule"


class SolverRunQuerySet(ProgramRowQuerySet):
    resource = "schedule"


class NoteQuerySet(ProgramRowQuerySet):
    resource = "note"


class SessionTypeQuerySet(OrganizationRowQuerySet):
    resource = "sessiontype"


class StaffHoursQuerySet(OrganizationRowQuerySet):
    resource = "schedule"


class AvailabilityQuerySet(PatientRowQuerySet):
    resource = "availability"


class RosterQuerySet(PatientRowQuerySet):
    resource = "schedule"


class AttendanceQuerySet(PatientRowQuerySet):
    resource = "attendance"


class NoteEntryQuerySet(PatientRowQuerySet):
    resource = "note"
