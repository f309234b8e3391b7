from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0001_initial'),
        ('care', '0007_census_indexes'),
        ('organizations', '0004_track_focus'),
        ('patients', '0003_coverage_payer'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='billingday',
            name='billing_bil_program_077eaf_idx',
        ),
        migrations.AddIndex(
            model_name='billingday',
            index=models.Index(fields=['program', 'status', 'date', 'held_for', 'payer'], name='billing_bil_program_2a8543_idx'),
        ),
        migrations.AddIndex(
            model_name='billingday',
            index=models.Index(fields=['organization', 'status', 'date', 'held_for', 'program', 'payer'], name='billing_bil_organiz_41b41c_idx'),
        ),
    ]
