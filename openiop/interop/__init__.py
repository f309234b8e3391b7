"""FHIR R4 exchange: export (bundle, bulk NDJSON), import, the /fhir/R4/ read API."""
