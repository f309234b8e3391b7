"""Organization <- organizations.Organization (and an external recipient, contained)."""

from openiop.interop.fhir.common import OPENIOP, drop_empty, uuid_identifier

ORG_SLUG = f"{OPENIOP}/sid/organization"


def organization_resource(org) -> dict:
    resource = {
        "resourceType": "Organization",
        "id": str(org.uuid),
        "identifier": [uuid_identifier(org.uuid), {"system": ORG_SLUG, "value": org.slug}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ]
            }
        ],
        "name": org.name,
    }
    return drop_empty(resource)
