"""Writes for measurement-based care. Each runs in one transaction with its
audit events; bad input raises ApplicationError and writes nothing."""

from openiop.measures.services.checkins import checkin_record
from openiop.measures.services.config import (
    definition_from_form,
    instrument_create,
    instrument_set_active,
    schedule_save,
    schedule_set,
)
from openiop.measures.services.drugtests import drug_test_record, outcome_of, recovery_set
from openiop.measures.services.links import (
    LinkUnavailable,
    link_create,
    link_open,
    link_revoke,
    link_submit_answers,
    link_submit_checkin,
)
from openiop.measures.services.responses import (
    alert_acknowledge,
    instrument_by_code,
    patient_sex,
    raise_alerts,
    response_mark_in_error,
    response_record,
)

__all__ = [
    "LinkUnavailable",
    "alert_acknowledge",
    "checkin_record",
    "definition_from_form",
    "drug_test_record",
    "instrument_by_code",
    "instrument_create",
    "instrument_set_active",
    "link_create",
    "link_open",
    "link_revoke",
    "link_submit_answers",
    "link_submit_checkin",
    "outcome_of",
    "patient_sex",
    "raise_alerts",
    "recovery_set",
    "response_mark_in_error",
    "response_record",
    "schedule_save",
    "schedule_set",
]
