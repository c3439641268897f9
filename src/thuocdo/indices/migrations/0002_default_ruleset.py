"""Load the shipped rule sets (data/rulesets/*.json) so the index works on a fresh database."""

import json
from pathlib import Path

from django.db import migrations

RULESETS = Path(__file__).resolve().parent.parent / "data" / "rulesets"


def load(apps, schema_editor):
    RuleSet = apps.get_model("indices", "RuleSet")
    for path in sorted(RULESETS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if RuleSet.objects.filter(code=doc["id"]).exists():
            continue
        RuleSet.objects.create(
            code=doc["id"],
            name=doc["name"],
            effective_from=doc["effective_from"],
            effective_to=doc.get("effective_to"),
            document=doc,
        )


class Migration(migrations.Migration):
    dependencies = [("indices", "0001_index766_engine")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
