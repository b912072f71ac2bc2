from django.apps import AppConfig


class LiveConfig(AppConfig):
    """What keeps open pages up to date: stream versions, kept answers, the updates endpoint
    and push. streams reaches it through live.versions (after-commit change notes, the kept
    answers of the anonymous stream page) and live.updates (the updates URL of a page)."""

    name = "live"
    verbose_name = "Live updates"

    def ready(self) -> None:
        # Importing versions connects the receivers that bump stream versions.
        from live import versions  # noqa: F401
