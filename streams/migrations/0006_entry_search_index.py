import django.contrib.postgres.search
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations

import streams.models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so that the site keeps serving and saving
    entries while the index is built; nothing on SQLite, which has no GIN."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("streams", "0005_fill_entry_search_documents"),
    ]

    # Built after the backfill: filling an indexed column would update the index row by row.
    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="entry",
            index=streams.models.PostgresOnlyGinIndex(
                django.contrib.postgres.search.SearchVector("search_document", config="english"),
                name="entry_search_idx",
            ),
        ),
    ]
