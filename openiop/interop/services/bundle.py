"""One patient's record as a FHIR Bundle (the `--patient` export, the
`Patient/{id}/$everything` read, a release to a third party)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from openiop.interop.fhir.bundle import add_notice, bundle
from openiop.interop.fhir.record import (
    DIRECTORY_TYPES,
    TYPES,
    directory_resources,
    patient_resources,
)
from openiop.interop.selectors import FULL, Scope, load_records, practitioners_for


@dataclass
class PatientExport:
    bundle: dict
    counts: dict[str, int]
    part2: bool

    @property
    def resource_count(self) -> int:
        return sum(self.counts.values())


def default_base() -> str:
    return settings.FHIR_BASE_URL.rstrip("/")


def patient_export(
    *, patient, scope: Scope = FULL, base: str | None = None, notice: bool = False, now=None
) -> PatientExport:
    """The patient's record within `scope`, with the directory resources it
    references, so every reference resolves inside the Bundle. The caller has
    checked that the patient is the actor's to see (or consented to disclose)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    record = load_records([patient], scope=scope)[0]
    by_type = patient_resources(record, today=today)
    programs = {ep.program_id: ep.program for ep in record.episodes}
    tracks = {ep.track_id: ep.track for ep in record.episodes if ep.track_id}
    sites = {p.site_id: p.site for p in programs.values()}
    directory = directory_resources(
        patient.organization,
        sites=sites.values(),
        programs=programs.values(),
        tracks=tracks.values(),
        practitioners=practitioners_for([record], patient.organization_id),
    )
    resources = []
    counts = {}
    for rtype in TYPES + DIRECTORY_TYPES:
        items = by_type.get(rtype) or directory.get(rtype) or []
        if notice and rtype in TYPES:
            items = [add_notice(r) for r in items]
        resources += items
        if items:
            counts[rtype] = len(items)
    out = bundle(resources, base=base or default_base(), now=now, notice=notice)
    if record.part2:
        from openiop.interop.fhir.common import PART2_SECURITY

        out["meta"]["security"] = [dict(s) for s in PART2_SECURITY]
    return PatientExport(bundle=out, counts=counts, part2=record.part2)
