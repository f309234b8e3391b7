"""`visible_to` for scheduling rows.

Program rows (session series, sessions, solver runs, published weeks) are
seen where the program is: an organization-wide role, or a role in that
program. Patient rows (availability, roster entries, attendance, note
entries) are seen where the patient is, like the rest of the record.
"""

from django.db.models import Exists, OuterRef, Q

from openiop.access.querysets import ScopedQuerySet


class ProgramRowQuerySet(ScopedQuerySet):
    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids) | Q(program_id__in=g.program_ids)


class SessionQuerySet(ProgramRowQuerySet):
    resource = "schedule"


class SeriesQuerySet(ProgramRowQuerySet):
    resource = "schedule"


class SolverRunQuerySet(ProgramRowQuerySet):
    resource = "schedule"


class NoteQuerySet(ProgramRowQuerySet):
    resource = "note"


class OrgRowQuerySet(ScopedQuerySet):
    """Rows of the organization (session types, staff hours, room hours): seen by
    anyone holding the permission in the organization or one of its programs."""

    def scope_q(self, g) -> Q:
        from openiop.organizations.models import Program

        orgs = set(g.organization_ids)
        if g.program_ids:
            orgs |= set(
                Program.objects.filter(id__in=g.program_ids).values_list(
                    "organization_id", flat=True
                )
            )
        return Q(organization_id__in=orgs)


class SessionTypeQuerySet(OrgRowQuerySet):
    resource = "sessiontype"


class StaffHoursQuerySet(OrgRowQuerySet):
    resource = "schedule"


class PatientRowQuerySet(ScopedQuerySet):
    def scope_q(self, g) -> Q:
        from openiop.care.models import Episode

        q = Q(organization_id__in=g.organization_ids)
        if g.program_ids:
            q |= Q(
                Exists(
                    Episode.objects.filter(
                        patient=OuterRef("patient_id"), program_id__in=g.program_ids
                    )
                )
            )
        return q


class AvailabilityQuerySet(PatientRowQuerySet):
    resource = "availability"


class RosterQuerySet(PatientRowQuerySet):
    resource = "schedule"


class AttendanceQuerySet(PatientRowQuerySet):
    resource = "attendance"


class NoteEntryQuerySet(PatientRowQuerySet):
    resource = "note"
