"""Seed the comparison blocks (khối) that provincial rankings use; operators may add more."""

from django.db import migrations

BLOCKS = [
    ("so-nganh", "Khối sở, ban, ngành", "Departments and agencies", 10),
    ("nganh-doc", "Khối cơ quan ngành dọc", "Vertical agencies", 20),
    ("trung-tam-phvhc", "Khối Trung tâm Phục vụ hành chính công", "Public administration service centres", 30),
    ("xa-phuong", "Khối xã, phường, đặc khu", "Communes, wards and special zones", 40),
    ("don-vi-su-nghiep", "Khối đơn vị sự nghiệp công lập", "Public service units", 50),
]


def seed(apps, schema_editor):
    ComparisonBlock = apps.get_model("units", "ComparisonBlock")
    for code, name, name_en, order in BLOCKS:
        ComparisonBlock.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": order})


class Migration(migrations.Migration):

    dependencies = [
        ("units", "0002_unit_short_name"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
