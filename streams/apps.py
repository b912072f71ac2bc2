from django.apps import AppConfig


class StreamsConfig(AppConfig):
    name = "streams"
    verbose_name = "Press streams"

    def ready(self) -> None:
        # Importing live connects the receivers that bump stream versions.
        from streams import live, search, social_cards  # noqa: F401

        search.connect_receivers()
        social_cards.connect_receivers()
