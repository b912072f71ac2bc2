from django.apps import AppConfig


class StreamsConfig(AppConfig):
    name = "streams"
    verbose_name = "Press streams"

    def ready(self) -> None:
        from streams import live  # noqa: F401  (connects the receivers that bump versions)
