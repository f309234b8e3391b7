
from django.db import migrations, models


def flag_signed_group_notes(apps, schema_editor):
    """Signed group notes before this field: flag their near-identical parts as
    signing does now (the same comparison, services.notes.similar_pairs)."""
    from openiop.scheduling.services.notes import similar_by_entry, similar_pairs

    Note = apps.get_model("scheduling", "Note")
    NoteEntry = apps.get_model("scheduling", "NoteEntry")
    for note_id in Note.objects.filter(kind="group", status="signed").values_list("id", flat=True):
        entries = list(NoteEntry.objects.filter(note_id=note_id))
        for entry_id, pct in similar_by_entry(similar_pairs(entries)).items():
            NoteEntry.objects.filter(pk=entry_id).update(similar_percent=pct)


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0002_roster_removed_reason'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='sessiontype',
            name='billing_code',
        ),
        migrations.AddField(
            model_name='noteentry',
            name='similar_percent',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(flag_signed_group_notes, migrations.RunPython.noop),
    ]
