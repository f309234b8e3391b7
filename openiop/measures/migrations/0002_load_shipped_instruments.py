"""Load the instruments shipped with OpenIOP (PHQ-9, GAD-7, AUDIT, AUDIT-C,
DAST-10, PCL-5, BAM) from openiop/measures/definitions/*.json."""

from django.db import migrations


def load(apps, schema_editor):
    from openiop.measures.instruments import sync_shipped

    sync_shipped(apps.get_model("measures", "Instrument"))


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_instruments_responses_alerts_tests_checkins")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
