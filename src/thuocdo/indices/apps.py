from django.apps import AppConfig


class IndicesConfig(AppConfig):
    name = "thuocdo.indices"
    label = "indices"
    default_auto_field = "django.db.models.BigAutoField"
