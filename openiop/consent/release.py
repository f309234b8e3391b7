"""Releasing a patient's records to a third party (printed or as a FHIR
Bundle): checked against the consent, entered in the accounting, with the
Part 2 notice on what is handed over."""

import json
from dataclasses import dataclass

from django.utils import timezone

from openiop.care.plans.discharge_models import DischargeSummary
from openiop.consent.models import Channel, Information, Part2Consent
from openiop.consent.services import disclosure_check, disclosure_record
from openiop.interop.fhir.common import PART2_NOTICE
from openiop.interop.selectors import Scope, load_records
from openiop.interop.services.bundle import patient_export


@dataclass
class Release:
    disclosure: object
    consent: Part2Consent
    body: bytes = b""
    filename: str = ""
    record: object = None
    summaries: list | None = None


def scope_of(consent: Part2Consent, categories) -> Scope:
    return Scope(
        categories=frozenset(categories),
        program_ids=frozenset([consent.program_id]) if consent.program_id else None,
        consents=False,
    )


def release_records(*, actor, patient, consent, recipient, categories, output: str) -> Release:
    """Check, build and account for one release. Raises DisclosureRefused."""
    categories = list(dict.fromkeys([Information.DEMOGRAPHICS, *categories]))
    consent = disclosure_check(
        patient=patient, recipient=recipient, categories=categories, consent=consent
    )
    scope = scope_of(consent, categories)
    if output == "download":
        export = patient_export(patient=patient, scope=scope, notice=True)
        entry = disclosure_record(
            actor=actor,
            patient=patient,
            consent=consent,
            recipient=recipient,
            categories=categories,
            channel=Channel.DOWNLOAD,
            description=_describe(export.counts),
            resource_count=export.resource_count,
        )
        body = json.dumps(export.bundle, indent=1, ensure_ascii=False).encode()
        name = f"{patient.mrn}-{timezone.localdate():%Y%m%d}-part2-release.json"
        return Release(entry, consent, body=body, filename=name)
    record = load_records([patient], scope=scope)[0]
    summaries = []
    if Information.DISCHARGE_SUMMARY in categories:
        summaries = list(
            DischargeSummary.objects.filter(
                episode_id__in=[e.pk for e in record.episodes]
            ).prefetch_related("aftercare_items")
        )
    counts = {
        "episodes": len(record.episodes),
        "diagnoses": len(record.diagnoses) if "diagnoses" in categories else 0,
        "plans": len(record.plans) if "plan" in categories else 0,
        "discharge summaries": len(summaries),
    }
    entry = disclosure_record(
        actor=actor,
        patient=patient,
        consent=consent,
        recipient=recipient,
        categories=categories,
        channel=Channel.PRINT,
        description="Printed record: " + ", ".join(_plural(n, k) for k, n in counts.items() if n),
        resource_count=1 + sum(counts.values()),
    )
    return Release(entry, consent, record=record, summaries=summaries)


def _plural(n: int, noun: str) -> str:
    if n == 1:
        noun = {"episodes": "episode", "diagnoses": "diagnosis"}.get(noun, noun.removesuffix("s"))
    return f"{n} {noun}"


def _describe(counts: dict) -> str:
    parts = [f"{n} {t}" for t, n in counts.items()]
    return "FHIR Bundle: " + ", ".join(parts)


NOTICE = PART2_NOTICE
