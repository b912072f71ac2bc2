from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Receivers notice key events after commit; they hold no logic of their own.
        from notifications import receivers  # noqa: F401
