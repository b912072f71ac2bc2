"""Helpers for the API tests: members-only content, personal tokens, reading JSON answers."""

from __future__ import annotations

from api.services import api_token_create
from streams.models import Stream
from tests import factories

PERSONAS = ["member", "editor_a", "editor_b", "writer_a", "staff", "superuser"]


def members_only_stream(publisher):
    """A members-only live stream, ``closed``."""
    return factories.StreamFactory(
        publisher=publisher,
        title="Inside the newsroom",
        slug="closed",
        visibility=Stream.Visibility.MEMBERS,
    )


def token_for(user, name: str = "script") -> str:
    """A new personal API token of ``user``: its secret, as shown once in the settings."""
    return api_token_create(user=user, name=name).secret


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def slugs(answer: dict) -> list[str]:
    return [item["slug"] for item in answer["items"]]


def ids(answer: dict) -> list[int]:
    return [item["id"] for item in answer["items"]]
