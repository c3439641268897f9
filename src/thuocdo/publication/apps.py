from django.apps import AppConfig


class PublicationConfig(AppConfig):
    name = "thuocdo.publication"
    label = "publication"
    default_auto_field = "django.db.models.BigAutoField"
