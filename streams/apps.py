from django.apps import AppConfig


class StreamsConfig(AppConfig):
    name = "streams"
    verbose_name = "Press streams"

    def ready(self) -> None:
        from streams import search, social_cards

        search.connect_receivers()
        social_cards.connect_receivers()
