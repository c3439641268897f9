from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "thuocdo.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from thuocdo.accounts.middleware import stamp_session_epoch

        user_logged_in.connect(stamp_session_epoch, dispatch_uid="thuocdo.accounts.stamp_session_epoch")
