"""Location <- organizations.Site."""

from openiop.interop.fhir.common import drop_empty, ref, telecom, uuid_identifier

TIMEZONE = "http://hl7.org/fhir/StructureDefinition/timezone"


def location_resource(site, organization) -> dict:
    resource = {
        "resourceType": "Location",
        "id": str(site.uuid),
        "extension": [{"url": TIMEZONE, "valueCode": site.time_zone}],
        "identifier": [uuid_identifier(site.uuid)],
        "status": "active",
        "name": site.name,
        "mode": "instance",
        "telecom": telecom(site.phone),
        "address": {
            "use": "work",
            "line": [site.street],
            "city": site.city,
            "state": site.state,
            "postalCode": site.zip_code,
            "country": "US",
        },
        "position": {"latitude": float(site.latitude), "longitude": float(site.longitude)},
        "managingOrganization": ref("Organization", organization.uuid, organization.name),
    }
    return drop_empty(resource)
