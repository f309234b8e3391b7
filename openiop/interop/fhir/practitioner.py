"""Practitioner <- accounts.User (staff) with their StaffCredential licences."""

from openiop.accounts.models import LicenseType
from openiop.interop.fhir.common import (
    CS,
    OPENIOP,
    drop_empty,
    period,
    uuid_identifier,
    with_meta,
)
from openiop.interop.fhir.us_core import PRACTITIONER, declared, practitioner_conforms

LICENSE_TYPES = f"{CS}/license-type"
LICENSE_LABELS = dict(LicenseType.choices)


def license_system(state: str) -> str:
    return f"{OPENIOP}/sid/license/{state.lower()}"


def practitioner_resource(user, credentials=()) -> dict:
    qualifications = [
        {
            "identifier": [{"system": license_system(c.state), "value": c.number}],
            "code": {
                "coding": [
                    {
                        "system": LICENSE_TYPES,
                        "code": c.license_type,
                        "display": LICENSE_LABELS.get(c.license_type, c.license_type),
                    }
                ],
                "text": f"{c.license_type} ({c.state})",
            },
            "period": period(end=c.expires_on),
        }
        for c in credentials
    ]
    resource = {
        "resourceType": "Practitioner",
        "id": str(user.uuid),
        "identifier": [uuid_identifier(user.uuid)],
        "active": bool(user.is_active),
        "name": [
            {
                "text": user.get_display_name(),
                "family": (user.last_name or "").strip(),
                "given": [(user.first_name or "").strip()],
            }
        ],
        "qualification": qualifications,
    }
    return with_meta(
        drop_empty(resource), profiles=declared(PRACTITIONER, practitioner_conforms(user))
    )
