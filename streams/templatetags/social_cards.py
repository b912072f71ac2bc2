"""The link-preview image tags of stream and entry pages (see streams.social_cards)."""

from __future__ import annotations

from django import template

from streams import social_cards
from streams.models import Entry, Stream

register = template.Library()


@register.inclusion_tag("includes/social_card.html", takes_context=True)
def social_card_meta(context, stream: Stream, entry: Entry | None = None) -> dict:
    """``og:image`` and a large Twitter card for a page that has a card, else a small one."""
    card = (
        social_cards.entry_card(entry, stream)
        if entry is not None
        else social_cards.stream_card(stream)
    )
    request = context.get("request")
    if card is None or request is None:
        return {"card": None}
    return {"card": card, "image_url": request.build_absolute_uri(card.url)}
