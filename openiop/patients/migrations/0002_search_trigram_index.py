"""Indexes for patient search on PostgreSQL; nothing on SQLite.

The search (`patients.selectors.matching`) asks for the start of any word of
`search_name` (`LIKE 'w%' OR LIKE '% w%'`) or an MRN regardless of case
(`UPPER(mrn) = UPPER(q)`). A B-tree cannot answer a pattern that does not start
at the beginning, so PostgreSQL read every patient. A trigram GIN index
(`pg_trgm`) answers both patterns, and an index on `UPPER(mrn)` answers the
MRN: the three become one bitmap of candidates, rechecked against the same
predicates, so the patients found are exactly those found before (ADR 0013).

`pg_trgm` is a trusted extension (PostgreSQL 13 and later): the owner of the
database may create it. SQLite has neither, and keeps its plans.
"""

from django.db import migrations

TRIGRAM_INDEX = "patients_patient_search_name_trgm"
MRN_INDEX = "patients_patient_mrn_upper"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} "
        "ON patients_patient USING gin (search_name gin_trgm_ops)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {MRN_INDEX} ON patients_patient (UPPER(mrn::text))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # the extension stays: other objects may use it
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {MRN_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
