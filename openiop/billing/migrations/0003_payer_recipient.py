import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0002_worklist_indexes'),
        ('consent', '0002_consent_expires_at_discharge'),
    ]

    operations = [
        migrations.AddField(
            model_name='payer',
            name='recipient',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='consent.externalrecipient'),
        ),
    ]
