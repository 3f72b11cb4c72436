"""Helpers for migrations."""

from django.db import migrations


class PostgresOnly(migrations.RunSQL):
    """SQL run on PostgreSQL only, skipped on SQLite: what SQLite has no form of (statement-level triggers,
    storage parameters) and only PostgreSQL's runs need (the kept registry files of `screening/snapshot.py`,
    the in-place updates of `screening.WarningSeen`)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
