"""The default cache (THUOCDO_CACHE_URL=db://thuocdo_cache) lives in this table, so every worker process
shares rate limits without any setup (config/settings.py, "Cache"). Another table name needs
`thuocdo createcachetable`."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "thuocdo_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_faster_submissions")]

    operations = [migrations.RunPython(create, drop)]
