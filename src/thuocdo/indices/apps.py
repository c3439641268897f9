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
        from thuocdo.dossiers.signals import PrepareHook, register_prepare_hook
        from thuocdo.indices.services import (
            PREPARE_HOOK,
            load_prepare_context,
            on_dossiers_stored,
            prepare_batch,
        )

        dossiers_stored.connect(on_dossiers_stored, dispatch_uid="indices.on_dossiers_stored")
        # The facts and summed cells of a batch are derived where it is validated, before the writers'
        # lock; the receiver above only corrects them (ADR 0002, "Work before the lock").
        register_prepare_hook(PrepareHook(PREPARE_HOOK, load_prepare_context, prepare_batch))
