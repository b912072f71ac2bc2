"""``/favicon.ico``: browsers ask for it on pages that name no icon (the admin, embedding pages)."""

from __future__ import annotations

from django.templatetags.static import static


def test_favicon_ico_sends_browsers_to_the_site_icon_without_a_query(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]


def test_favicon_ico_refuses_post(client, db):
    assert client.post("/favicon.ico").status_code == 405
