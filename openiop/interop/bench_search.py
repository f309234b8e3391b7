"""The search part of `openiop bench fhir`: Patient search with each
advertised parameter, and one patient's Observations by code and date, timed
in-process with Django's test client and a program director's API token (the
token check, the scope, the audit event and the Bundle are all in the time)."""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count
from django.test import Client, override_settings
from django.utils import timezone

from openiop.accounts.services import api_token_create
from openiop.demo.bench import common_family_prefix, percentile, time_page
from openiop.demo.seed import find_bench_staff
from openiop.interop.fhir.common import mrn_system
from openiop.measures.models import Response
from openiop.patients.models import Patient

REQUESTS = 100


def _queries(org) -> dict[str, dict]:
    patients = Patient.objects.filter(organization=org)
    sample = patients.order_by("id")[patients.count() // 2]
    given = (
        patients.values("legal_given_name")
        .annotate(n=Count("id"))
        .order_by("-n", "legal_given_name")
        .first()["legal_given_name"]
    )
    month_ago = timezone.localdate() - dt.timedelta(days=30)
    patient_queries = {
        "name": {"name": common_family_prefix(org)},
        "family": {"family": common_family_prefix(org)},
        "family:exact": {"family:exact": sample.legal_family_name},
        "given": {"given": given[:3]},
        "birthdate=ge": {"birthdate": "ge1990-01-01"},
        "birthdate=year": {"birthdate": str(sample.date_of_birth.year)},
        "gender": {"gender": "female"},
        "identifier": {"identifier": f"{mrn_system(org.uuid)}|{sample.mrn}"},
        "_id": {"_id": str(sample.uuid)},
        "_lastUpdated": {"_lastUpdated": f"ge{month_ago.isoformat()}"},
        "_summary=count": {"_summary": "count"},
        "_sort=-birthdate": {"_sort": "-birthdate"},
    }
    out = {k: {"path": "Patient", "params": v} for k, v in patient_queries.items()}
    scored = (
        Response.objects.filter(patient__organization=org)
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if scored:
        uid = str(Patient.objects.get(pk=scored["patient_id"]).uuid)
        out["Observation?code"] = {
            "path": "Observation",
            "params": {"patient": uid, "code": "http://loinc.org|44261-6"},
        }
        out["Observation?date"] = {
            "path": "Observation",
            "params": {"patient": uid, "date": f"ge{month_ago.isoformat()}"},
        }
    return out


def bench_search(org, *, requests: int = REQUESTS, log) -> dict:
    director = find_bench_staff(org)["director"]
    token = api_token_create(actor=director, name="bench fhir search")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    results, times = {}, []
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for label, q in _queries(org).items():
            url = f"/fhir/R4/{q['path']}?{urlencode(q['params'])}"
            r = time_page(client, url, requests)
            times += r.pop("_times", [])
            results[label] = {"url": url, **r}
            log(f"FHIR {label}: p95 {r.get('p95_ms')} ms, {r['queries']} queries")
    patient_queries = {r["queries"] for k, r in results.items() if not k.startswith("Obs")}
    return {
        "requests_per_query": requests,
        "p95_ms_worst": max(r.get("p95_ms") or 0 for r in results.values()),
        "p95_ms_all": round(percentile(times, 0.95), 1) if times else None,
        "patient_search_queries": sorted(patient_queries),
        "by_query": results,
    }
