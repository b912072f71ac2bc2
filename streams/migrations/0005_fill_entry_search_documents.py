from django.db import migrations

BATCH = 1000


def fill_search_documents(apps, schema_editor):
    # The text is built as streams.search builds it now; the rows come from the
    # historical models, in batches, so a large archive needs little memory.
    from streams.search import document_text

    Entry = apps.get_model("streams", "Entry")
    Block = apps.get_model("streams", "Block")
    ids = list(Entry.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        blocks = {}
        rows = (
            Block.objects.filter(entry_id__in=chunk, kind__in=["text", "quote"])
            .order_by("entry_id", "position", "id")
            .values_list("entry_id", "body", "original", "source__name")
        )
        for entry_id, body, original, source_name in rows:
            blocks.setdefault(entry_id, []).append((body, original, source_name or ""))
        entries = [
            Entry(pk=pk, search_document=document_text(title, blocks.get(pk, [])))
            for pk, title in Entry.objects.filter(pk__in=chunk).values_list("pk", "title")
        ]
        # Each batch commits on its own (the migration is not atomic): readers and editors
        # wait for one batch's row locks at most, never for the whole archive.
        Entry.objects.bulk_update(entries, ["search_document"])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("streams", "0004_entry_search_document"),
    ]

    operations = [
        migrations.RunPython(fill_search_documents, migrations.RunPython.noop, elidable=True),
    ]
