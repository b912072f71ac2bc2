"""What the API answers, as the OpenAPI document describes it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field


class FieldError(Schema):
    location: str = Field(description="Where the problem is, such as `query.limit`.")
    message: str


class Error(Schema):
    detail: str = Field(description="What went wrong, in words.")
    errors: list[FieldError] | None = Field(
        default=None, description="For a bad request: each parameter that was refused, and why."
    )


class Index(Schema):
    publishers: str
    streams: str
    sources: str
    search: str
    openapi: str = Field(description="This API's OpenAPI document.")


class PublisherRef(Schema):
    slug: str
    name: str
    url: str = Field(description="The publisher's page.")
    api_url: str


class Publisher(PublisherRef):
    description: str
    website: str | None
    logo_url: str | None
    time_zone: str = Field(
        description="Where the newsroom works (an IANA zone); empty: the site's."
    )
    streams_url: str = Field(description="Its streams in this API.")
    feed_url: str = Field(description="Its Atom feed.")


class Stream(Schema):
    slug: str
    title: str
    summary: str
    status: Literal["live", "ended"]
    members_only: bool = Field(description="Readable by signed-in members only.")
    publisher: PublisherRef
    started_at: datetime | None
    ended_at: datetime | None
    last_published_at: datetime | None = Field(description="When its newest entry came out.")
    url: str = Field(description="The stream's page.")
    api_url: str
    entries_url: str = Field(description="Its entries in this API, newest first.")
    feed_url: str | None = Field(description="Its Atom feed; none for a members-only stream.")
    embed_url: str | None = Field(
        description="The page other sites may frame; none for a members-only stream."
    )


class StreamRef(Schema):
    slug: str
    title: str
    members_only: bool
    url: str
    api_url: str


class SourceRef(Schema):
    slug: str
    name: str
    home_page: str | None
    url: str = Field(description="The source's page: every entry quoting it.")
    api_url: str


class Source(SourceRef):
    kind: str = Field(description="news_agency, newspaper, broadcaster, state_media, ngo, …")
    kind_name: str
    domain: str
    description: str
    entries_url: str = Field(description="The entries quoting it, in this API.")


class Original(Schema):
    html: str = Field(description="The quote as published, in its own language: sanitised HTML.")
    text: str
    language: str = Field(description="Its language code, such as `ru`.")
    language_name: str


class Rendition(Schema):
    url: str
    width: int
    height: int


class Image(Schema):
    url: str = Field(description="The largest rendition.")
    width: int | None
    height: int | None
    alt_text: str
    caption: str
    credit: str
    renditions: list[Rendition] = Field(description="Every size made of it, smallest first.")


class Thumbnail(Schema):
    url: str
    width: int | None
    height: int | None


class EmbedCard(Schema):
    """A post or video on another site, as a card: its provider's player is never sent."""

    provider: str
    provider_name: str
    url: str = Field(description="The post or video on its own site.")
    title: str
    author_name: str
    author_url: str | None
    is_video: bool
    thumbnail: Thumbnail | None = Field(description="Our copy of its thumbnail.")


class Block(Schema):
    kind: Literal["text", "quote", "image", "embed"]
    html: str | None = Field(
        description="Text and quotes: the words as sanitised HTML (the quote in English when "
        "translated)."
    )
    text: str | None = Field(description="The same words as plain text.")
    source: SourceRef | None = Field(description="A quote's source.")
    cited_url: str | None = Field(description="The quoted article.")
    original: Original | None = Field(description="A translated quote's original.")
    image: Image | None
    embed: EmbedCard | None


class Profile(Schema):
    handle: str
    display_name: str
    url: str


class Byline(Schema):
    name: str
    profile: Profile | None = Field(description="None for a guest writer named in plain text.")


class Correction(Schema):
    note: str
    corrected_at: datetime | None


class Entry(Schema):
    id: int
    stream: StreamRef
    title: str = Field(description="Empty for most entries; key events have one.")
    url: str = Field(description="The entry's permalink.")
    api_url: str
    published_at: datetime
    key_event: bool = Field(description="Pinned on top of its stream.")
    correction: Correction | None = Field(description="The public note of its last correction.")
    blocks: list[Block]
    bylines: list[Byline]


class EntryPage(Schema):
    items: list[Entry]
    order: Literal["newest", "oldest"]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; none at the end."
    )
    next: str | None = Field(description="The next page's address; none at the end.")


class NumberedPage(Schema):
    count: int = Field(description="How many there are in all.")
    page: int
    pages: int
    next: str | None
    previous: str | None


class PublisherPage(NumberedPage):
    items: list[Publisher]


class StreamPage(NumberedPage):
    items: list[Stream]


class SourcePage(NumberedPage):
    items: list[Source]


class SearchResult(Schema):
    heading: str = Field(description="The entry's title, else its first words.")
    snippet_html: str = Field(
        description="Words around the match, escaped, the matches in `<mark>`."
    )
    entry: Entry


class SearchPage(NumberedPage):
    query: str = Field(description="What was searched for, as searched (long queries are cut).")
    items: list[SearchResult]
