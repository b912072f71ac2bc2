from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("streams", "0003_editorial_review_images_sources"),
    ]

    # Alone in its migration: adding a column with a constant default is instant on
    # PostgreSQL, so the table is locked only for a moment; 0005 fills it, 0006 indexes it.
    operations = [
        migrations.AddField(
            model_name="entry",
            name="search_document",
            field=models.TextField(blank=True, editable=False),
        ),
    ]
