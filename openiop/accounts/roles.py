"""Staff roles (kept apart from the models so the permission registry can import them)."""

from django.db import models


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    PROGRAM_DIRECTOR = "program_director", "Program director"
    CLINICIAN = "clinician", "Clinician"
    PRESCRIBER = "prescriber", "Prescriber"
    INTAKE_COORDINATOR = "intake_coordinator", "Intake coordinator"
    BILLING = "billing", "Billing"
    AUDITOR = "auditor", "Auditor"
