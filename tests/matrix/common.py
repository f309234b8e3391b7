"""What every matrix module shares: the cast's names and the status helpers."""

STAFF = [
    "clinician_a",
    "readonly_a",
    "clinician_b",
    "director_a",
    "prescriber_a",
    "intake",
    "auditor",
    "admin",
]
EVERYONE = [*STAFF, "patient_user", None]
PATIENT_READERS = {"clinician_a", "readonly_a", "director_a", "prescriber_a", "intake"}
PATIENT_WRITERS = {"clinician_a", "director_a", "intake"}
CONFIG_READERS = set(STAFF) - {"auditor"}
MANAGERS = {"director_a", "admin"}


def page(allowed, *, hidden=(), ok=200, denied=403, anon=302):
    """Expected status per cast member for a page."""
    out = {}
    for who in EVERYONE:
        if who is None:
            out[who] = anon
        elif who in allowed:
            out[who] = ok
        elif who in hidden:
            out[who] = 404
        else:
            out[who] = denied
    return out


def api(allowed, *, hidden=(), ok=200):
    return page(allowed, hidden=hidden, ok=ok, anon=401)
