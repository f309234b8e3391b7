"""Prepare the fuzzing step (.ci/fuzz) on a freshly built demo database.

Usage: python tests/fuzz/prepare.py OUTDIR

Writes, all in OUTDIR (a temporary directory, never the repository):
- clinician.token, program_director.token: the raw values of one personal API
  token each, for the demo's first clinician and first program director;
- schemathesis.toml: no crash cache, and dictionaries of identifiers that exist in this database,
  bound to the path and body parameters that take them, so most generated
  requests reach the code behind the lookup instead of stopping at a 404.
  Random identifiers are still sent some of the time (`probability`).
"""

import json
import os
import sys
from pathlib import Path

ROLES = ("clinician", "program_director")
PER_DICTIONARY = 12
# how often a bound parameter takes a known identifier rather than a generated value
PROBABILITY = 0.75

# dictionary name -> (model class name, field)
SOURCES = {
    "program": ("Program", "uuid"),
    "track": ("Track", "uuid"),
    "patient": ("Patient", "uuid"),
    "episode": ("Episode", "uuid"),
    "response": ("Response", "uuid"),
    "alert": ("SafetyAlert", "uuid"),
    "assessment": ("Assessment", "uuid"),
    "plan": ("TreatmentPlan", "uuid"),
    "summary": ("DischargeSummary", "uuid"),
    "session": ("Session", "uuid"),
    "note": ("Note", "uuid"),
    "run": ("SolverRun", "uuid"),
    "facility": ("Facility", "uuid"),
    "room": ("Room", "uuid"),
    "user": ("User", "uuid"),
    "instrument": ("Instrument", "code"),
    "shortlist": ("Shortlist", "token"),
}
# dictionaries whose values are not bound to a `path.<name>_uuid` parameter
NOT_PATHS = ("room", "user", "instrument", "shortlist")
# parameter (location.name) -> dictionary name
BINDINGS = {
    **{f"path.{name}_uuid": name for name in SOURCES if name not in NOT_PATHS},
    "path.code": "instrument",
    "path.token": "shortlist",
    "body.patient": "patient",
    "body.episode": "episode",
    "body.program": "program",
    "body.track": "track",
    "body.room": "room",
    "body.primary_clinician": "user",
    "body.facilitator": "user",
    "body.responsible": "user",
}


def make_tokens(outdir: Path) -> None:
    from openiop.accounts.models import User
    from openiop.accounts.services import api_token_create
    from openiop.demo.demo import demo_logins

    logins = demo_logins()
    for role in ROLES:
        username = next((u for u, r in logins if r == role), None)
        if username is None:
            sys.exit(f"prepare: the demo has no {role}")
        user = User.objects.get(username=username)
        _token, raw = api_token_create(actor=user, name=f"fuzz ({role})", days=1)
        path = outdir / f"{role}.token"
        path.write_text(raw)
        path.chmod(0o600)
        print(f"  token for {role}: {username}")


def known_values() -> dict[str, list[str]]:
    from django.apps import apps

    models = {}
    for model in apps.get_models():
        if model.__module__.startswith("openiop."):  # not django.contrib.sessions' Session
            models.setdefault(model.__name__, model)
    values = {}
    for name, (model_name, field) in SOURCES.items():
        model = models.get(model_name)
        if model is None:  # renamed or gone: fuzz that parameter with generated values only
            print(f"  no model {model_name}: {name} identifiers are generated only")
            continue
        rows = model.objects.order_by("pk").values_list(field, flat=True)
        found = [str(v) for v in rows[:PER_DICTIONARY]]
        if found:
            values[name] = found
    return values


def write_config(outdir: Path, values: dict[str, list[str]]) -> None:
    # JSON strings and arrays are valid TOML values. No crash cache: schemathesis
    # would keep one in .schemathesis/ under the current directory (the work tree)
    # and replay old crashes first, so a run would depend on the runs before it.
    lines = ["[cache]", "enabled = false", ""]
    for name, found in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(found)}", ""]
    lines.append("[parameters]")
    for key, name in BINDINGS.items():
        if name in values:
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = {PROBABILITY} }}')
    (outdir / "schemathesis.toml").write_text("\n".join(lines) + "\n")
    print(f"  known identifiers: {', '.join(f'{k} {len(v)}' for k, v in values.items())}")


def main(outdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    import django

    django.setup()
    make_tokens(outdir)
    write_config(outdir, known_values())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    main(Path(sys.argv[1]))
