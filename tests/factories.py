from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Profile, User
from streams.models import Block, Byline, Entry, Membership, Publisher, Source, Stream

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Writer {n}")
    handle = factory.Sequence(lambda n: f"writer-{n}")


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher

    name = factory.Sequence(lambda n: f"Publisher {n}")
    slug = factory.Sequence(lambda n: f"publisher-{n}")
    description = "Russian-to-English translation journal, with original analysis."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    publisher = factory.SubFactory(PublisherFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.EDITOR


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")
    kind = Source.Kind.NGO
    home_page = factory.Sequence(lambda n: f"https://www.source{n}.example/")


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stream

    publisher = factory.SubFactory(PublisherFactory)
    title = factory.Sequence(lambda n: f"Stream {n}")
    slug = factory.Sequence(lambda n: f"stream-{n}")
    status = Stream.Status.LIVE
    visibility = Stream.Visibility.PUBLIC


class EntryFactory(factory.django.DjangoModelFactory):
    """A published entry with one text block; add quotes and bylines with the traits."""

    class Meta:
        model = Entry
        skip_postgeneration_save = True

    stream = factory.SubFactory(StreamFactory)
    title = factory.Sequence(lambda n: f"Entry {n}")
    status = Entry.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))

    @factory.post_generation
    def text(obj, create, extracted, **kwargs):
        if create:
            Block.objects.create(
                entry=obj,
                position=0,
                kind=Block.Kind.TEXT,
                body=extracted or "<p>Writer's text.</p>",
            )

    @factory.post_generation
    def quotes(obj, create, extracted, **kwargs):
        for i, source in enumerate(extracted or []):
            Block.objects.create(
                entry=obj,
                position=i + 1,
                kind=Block.Kind.QUOTE,
                source=source,
                body=f"<p>Quoted text from {source.name}.</p>",
                cited_url=f"{source.home_page}article/{obj.pk}",
            )

    @factory.post_generation
    def bylines(obj, create, extracted, **kwargs):
        for i, who in enumerate(extracted or []):
            if isinstance(who, Profile):
                Byline.objects.create(entry=obj, position=i, profile=who)
            else:
                Byline.objects.create(entry=obj, position=i, name=who)
