"""Routes of Part 2 consent: consents, releases, the accounting, recipients."""

from tests.matrix.common import PATIENT_READERS, page

WRITERS = {"clinician_a", "director_a", "intake"}
MANAGERS = {"director_a", "admin"}
RECIPIENT_READERS = PATIENT_READERS | {"clinician_b", "admin"}


def _recipient(c):
    if not hasattr(c, "_recipient"):
        from tests.interop_helpers import recipient

        c._recipient = recipient(c)
    return c._recipient


def _consent(c):
    if not hasattr(c, "_consent"):
        from tests.interop_helpers import consent_for

        c._consent = consent_for(c, _recipient(c))
    return c._consent


MATRIX = {
    ("consent/patients/<uuid:patient_uuid>/", "patient"): (
        "get",
        lambda c: f"/consent/patients/{c.patient_a.uuid}/",
        None,
        page(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("consent/patients/<uuid:patient_uuid>/new/", "new"): (
        "get",
        lambda c: f"/consent/patients/{c.patient_a.uuid}/new/",
        None,
        page(WRITERS, hidden={"clinician_b"}),
    ),
    ("consent/patients/<uuid:patient_uuid>/release/", "release"): (
        "get",
        lambda c: f"/consent/patients/{c.patient_a.uuid}/release/",
        None,
        page(WRITERS, hidden={"clinician_b"}),
    ),
    ("consent/patients/<uuid:patient_uuid>/disclosures/", "accounting"): (
        "get",
        lambda c: f"/consent/patients/{c.patient_a.uuid}/disclosures/",
        None,
        page(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("consent/patients/<uuid:patient_uuid>/disclosures/print/", "accounting_print"): (
        "get",
        lambda c: f"/consent/patients/{c.patient_a.uuid}/disclosures/print/",
        None,
        page(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("consent/<uuid:consent_uuid>/", "detail"): (
        "get",
        lambda c: f"/consent/{_consent(c).uuid}/",
        None,
        page(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("consent/<uuid:consent_uuid>/revoke/", "revoke"): (
        # an empty form: those allowed are sent back to the consent with a message
        "post",
        lambda c: f"/consent/{_consent(c).uuid}/revoke/",
        None,
        page(WRITERS, hidden={"clinician_b"}, ok=302),
    ),
    ("consent/recipients/", "recipients"): (
        "get",
        lambda c: "/consent/recipients/",
        None,
        page(RECIPIENT_READERS),
    ),
    ("consent/recipients/<uuid:recipient_uuid>/", "recipient"): (
        "get",
        lambda c: f"/consent/recipients/{_recipient(c).uuid}/",
        None,
        page(RECIPIENT_READERS),
    ),
    ("consent/recipients/<uuid:recipient_uuid>/token/", "recipient_token"): (
        # no valid form: those allowed see the page again with the form's errors
        "post",
        lambda c: f"/consent/recipients/{_recipient(c).uuid}/token/",
        None,
        page(MANAGERS),
    ),
    ("consent/recipients/<uuid:recipient_uuid>/deactivate/", "recipient_deactivate"): (
        "post",
        lambda c: f"/consent/recipients/{_recipient(c).uuid}/deactivate/",
        None,
        page(MANAGERS, ok=302),
    ),
    ("consent/recipients/<uuid:recipient_uuid>/token/revoke/", "recipient_revoke_tokens"): (
        "post",
        lambda c: f"/consent/recipients/{_recipient(c).uuid}/token/revoke/",
        None,
        page(MANAGERS, ok=302),
    ),
}
