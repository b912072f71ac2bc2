"""Sources stay free of duplicates: one per home-page domain, one per name whatever its case."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from streams.models import Source
from tests import factories


def new_source(**fields) -> Source:
    return Source(slug=fields.pop("slug", "new-source"), **fields)


def test_a_second_source_with_the_same_domain_is_refused_naming_the_first(source):
    duplicate = new_source(name="Amnesty (UK)", home_page="https://amnesty.org/en/")

    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()

    assert caught.value.message_dict == {
        "home_page": [
            "A source with this web site already exists: “Amnesty International”. "
            "Pick it instead of adding another."
        ]
    }


def test_a_name_differing_only_in_case_is_refused_naming_the_first(source):
    duplicate = new_source(name="AMNESTY international", home_page="https://other.example/")

    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()

    assert caught.value.message_dict == {
        "name": ["A source with this name already exists: “Amnesty International”."]
    }


def test_a_source_may_be_saved_again_without_clashing_with_itself(source):
    source.description = "Human rights organisation."

    source.full_clean()


def test_sources_without_a_home_page_do_not_clash(db):
    for n in range(3):
        factories.SourceFactory(name=f"Anonymous account {n}", home_page="")

    new_source(name="Anonymous account 3", home_page="").full_clean()
    assert Source.objects.filter(domain="").count() == 3


def test_the_database_refuses_a_duplicate_domain(source):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SourceFactory(name="Amnesty USA", home_page="http://AMNESTY.org/us")


def test_the_database_refuses_a_duplicate_name_in_another_case(source):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SourceFactory(name="amnesty international", home_page="")


def test_the_constraints_speak_in_words_when_clean_is_skipped(source):
    duplicate = new_source(name="amnesty INTERNATIONAL", home_page="")

    with pytest.raises(ValidationError) as caught:
        duplicate.validate_constraints()

    assert "A source with this name already exists." in caught.value.messages


def test_the_domain_constraint_checks_the_domain_the_home_page_gives(source):
    duplicate = new_source(name="Other", home_page="https://www.amnesty.org/fr/")
    duplicate.domain = "amnesty.org"

    with pytest.raises(ValidationError, match="A source with this web site already exists"):
        duplicate.validate_constraints()


@pytest.mark.django_db(transaction=True)
def test_the_migration_lets_existing_duplicates_in_without_deleting_any():
    executor = MigrationExecutor(connection)
    before = [("streams", "0002_follow")]
    after = [("streams", "0003_editorial_review_images_sources")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("streams", "Source")
        rows = [
            ("Reuters", "reuters", "https://www.reuters.com/", "reuters.com"),
            ("REUTERS", "reuters-2", "", ""),
            ("Reuters wire", "reuters-wire", "https://reuters.com/world", "reuters.com"),
        ]
        for name, slug, home_page, domain in rows:
            old.objects.create(name=name, slug=slug, home_page=home_page, domain=domain)

        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())

    assert sorted(Source.objects.values_list("slug", "name", "domain")) == [
        ("reuters", "Reuters", "reuters.com"),
        ("reuters-2", "REUTERS (2)", ""),
        ("reuters-wire", "Reuters wire", ""),
    ]
