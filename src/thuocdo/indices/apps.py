from django.apps import AppConfig


class IndicesConfig(AppConfig):
    name = "thuocdo.indices"
    label = "indices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Real time without polling once the dossiers app sends `dossiers_stored(codes=...)` after each write;
        # until it does, `thuocdo index766_sync --follow` keeps the index current.
        try:
            from thuocdo.dossiers.signals import dossiers_stored  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return
        from thuocdo.indices.services import on_dossiers_stored

        dossiers_stored.connect(on_dossiers_stored, dispatch_uid="indices.on_dossiers_stored")
