"""Pure mappings from OpenIOP models to FHIR R4 resources (plain dicts).

One module per resource. A mapping function takes model instances whose
related rows are already loaded (the selectors prefetch them) and makes no
query; tests validate every resource with `fhir.resources` (R4B models).
"""
