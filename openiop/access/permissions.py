"""The permission registry: which role may do what. Deny by default.

A permission is "<resource>.<action>". A role grants a permission within the
scope of its membership: one program, or (membership without a program) every
program of the organization. Nothing not listed here is allowed to anyone.
"""

from openiop.accounts.roles import Role

R = Role
CLINICAL_READERS = {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER, R.INTAKE_COORDINATOR, R.BILLING}
# Minimum necessary (45 CFR 164.502(b)): billing reads demographics, coverage,
# episodes, diagnosis codes, attendance and hours, not the clinical narrative.
CARE_TEAM = CLINICAL_READERS - {R.BILLING}

PERMISSIONS: dict[str, frozenset[str]] = {
    perm: frozenset(roles)
    for perm, roles in {
        # patients and their episodes of care
        "patient.view": CLINICAL_READERS,
        "patient.create": {R.PROGRAM_DIRECTOR, R.INTAKE_COORDINATOR},
        "patient.change": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.INTAKE_COORDINATOR},
        "episode.view": CLINICAL_READERS,
        "episode.admit": {R.PROGRAM_DIRECTOR, R.INTAKE_COORDINATOR},
        "episode.change": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.INTAKE_COORDINATOR},
        "episode.discharge": {R.PROGRAM_DIRECTOR, R.CLINICIAN},
        "caseload.view": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "census.view": {R.PROGRAM_DIRECTOR, R.INTAKE_COORDINATOR, R.BILLING},
        # the clinical record: assessment, diagnoses, treatment plan, discharge summary
        "diagnosis.view": CLINICAL_READERS,  # codes; the clinician's note needs plan.view
        "assessment.view": CARE_TEAM,
        "assessment.change": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.INTAKE_COORDINATOR},
        "plan.view": CARE_TEAM,
        "plan.change": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "plan.sign": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "plan.supervise": {R.PROGRAM_DIRECTOR},
        "plan.review": {R.PROGRAM_DIRECTOR, R.CLINICIAN},
        "plantemplate.view": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "plantemplate.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        # organization configuration
        # organization settings (the safety net's on-call contact): organization-wide only
        "organization.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        "program.view": set(R) - {R.AUDITOR},
        "program.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        "site.view": set(R) - {R.AUDITOR},
        "site.manage": {R.ADMINISTRATOR},
        "staff.view": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        "staff.manage": {R.ADMINISTRATOR},
        # the audit trail (auditors read it; nobody writes it but the services)
        "audit.view": {R.AUDITOR, R.ADMINISTRATOR},
        # the public program finder: what a program publishes, its wait time, testimonials
        "directory.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        "directory.wait_time": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR, R.INTAKE_COORDINATOR},
        "directory.moderate": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        # 42 CFR Part 2: consents, releases to outside parties, the accounting of disclosures
        "consent.view": CLINICAL_READERS,
        "consent.manage": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.INTAKE_COORDINATOR},
        "disclosure.view": CLINICAL_READERS,
        "disclosure.make": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.INTAKE_COORDINATOR},
        "recipient.view": CLINICAL_READERS | {R.ADMINISTRATOR},
        "recipient.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        # FHIR exchange: bulk export (of what the actor may see) and import of a referral
        "fhir.export": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        "fhir.import": {R.PROGRAM_DIRECTOR, R.INTAKE_COORDINATOR},
        # measurement-based care: scores, safety alerts, drug tests, check-ins
        "measure.view": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER, R.INTAKE_COORDINATOR},
        "measure.record": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER, R.INTAKE_COORDINATOR},
        "instrument.view": set(R) - {R.AUDITOR},
        "instrument.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        "measure_schedule.view": set(R) - {R.AUDITOR},
        "measure_schedule.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        # intake screens people before admission: it sees and answers their alerts
        "alert.view": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER, R.INTAKE_COORDINATOR},
        "alert.acknowledge": {
            R.PROGRAM_DIRECTOR,
            R.CLINICIAN,
            R.PRESCRIBER,
            R.INTAKE_COORDINATOR,
        },
        "drug_test.view": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "drug_test.record": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "checkin.view": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        # program outcomes (aggregates only) and what a director publishes
        "outcomes.view": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "outcomes.publish": {R.PROGRAM_DIRECTOR},
        # scheduling: sessions and rosters, the optimizer, attendance, session notes
        "schedule.view": CLINICAL_READERS,
        "schedule.manage": {R.PROGRAM_DIRECTOR},
        "sessiontype.view": set(R) - {R.AUDITOR},
        "sessiontype.manage": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR},
        "availability.view": CLINICAL_READERS,
        "availability.change": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.INTAKE_COORDINATOR},
        "attendance.view": CLINICAL_READERS,
        "attendance.record": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "note.view": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "note.write": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        "calendar.share": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.INTAKE_COORDINATOR},
        # getting paid: payers and their rules, authorizations and utilization review,
        # Medicare certifications, billable days and charges (no clinical narrative)
        "payer.view": {R.ADMINISTRATOR, R.PROGRAM_DIRECTOR, R.INTAKE_COORDINATOR, R.BILLING},
        "payer.manage": {R.ADMINISTRATOR, R.BILLING},
        "authorization.view": CLINICAL_READERS,
        "authorization.manage": {R.PROGRAM_DIRECTOR, R.INTAKE_COORDINATOR, R.BILLING},
        # the concurrent review packet holds progress and scores: the care team's
        "authorization.review": CARE_TEAM,
        "certification.view": CLINICAL_READERS,
        "certification.change": {R.PROGRAM_DIRECTOR, R.CLINICIAN, R.PRESCRIBER},
        # signing also needs a physician's or qualified practitioner's licence
        "certification.sign": {R.PROGRAM_DIRECTOR, R.PRESCRIBER},
        "billing.view": {R.PROGRAM_DIRECTOR, R.BILLING},
        "billing.manage": {R.BILLING},
        "billing.charge": {R.PROGRAM_DIRECTOR, R.BILLING},
    }.items()
}


def roles_for(permission: str) -> frozenset[str]:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"Unknown permission {permission!r}: add it to the registry.") from None
