"""Group <- organizations.Program: the patients of one program, the unit a Bulk
Data client exports (`Group/[id]/$export`, ADR 0016).

The Group's id is the program's UUID (the id of its HealthcareService too). Its
members are the patients with an episode in the program, current or past; they
are not listed in the resource (a member list would be patient data, read
without the per-patient gate): the export is how a client gets them.
"""

from openiop.interop.fhir.common import CS, drop_empty, ref, uuid_identifier, with_meta

GROUP_KIND = f"{CS}/group-kind"


def group_resource(program, organization) -> dict:
    resource = {
        "resourceType": "Group",
        "id": str(program.uuid),
        "identifier": [uuid_identifier(program.uuid)],
        "active": bool(program.is_active),
        "type": "person",
        "actual": True,
        "code": {
            "coding": [
                {
                    "system": GROUP_KIND,
                    "code": "program-patients",
                    "display": "Patients with an episode in the program",
                }
            ]
        },
        "name": program.name,  # what Group?name= searches; the code says whose patients
        "managingEntity": ref("Organization", organization.uuid, organization.name),
        "characteristic": [
            {
                "code": {"text": "Episode of care in the program (current or past)"},
                "valueReference": ref("HealthcareService", program.uuid, program.name),
                "exclude": False,
            }
        ],
    }
    return with_meta(drop_empty(resource), updated=program.updated_at)
