"""Operations endpoints: readiness is public (a load balancer asks it, and it
holds no patient data); metrics are off (404) while no METRICS_TOKEN is set,
and otherwise need that token whoever is signed in (tests/test_operations.py)."""

from tests.matrix.common import EVERYONE, page

MATRIX = {
    ("readyz", "readyz"): ("get", lambda c: "/readyz", None, page(EVERYONE, anon=200)),
    ("metrics", "metrics"): (
        "get",
        lambda c: "/metrics",
        None,
        page(set(), hidden=set(EVERYONE) - {None}, anon=404),
    ),
}
