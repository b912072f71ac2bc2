"""``/robots.txt``: served by Django through the whole middleware stack."""

from __future__ import annotations

from pytest_django.asserts import assertContains


def test_robots_txt_is_plain_text_and_keeps_crawlers_out_of_the_back_office(client, db):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assertContains(response, "User-agent: *")
    assert "Disallow: /admin/" in response.content.decode().splitlines()
    assert "Disallow: /search/" in response.content.decode().splitlines()


def test_robots_txt_costs_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")

    assert response.status_code == 200


def test_robots_txt_refuses_post(client, db):
    assert client.post("/robots.txt").status_code == 405


def test_robots_txt_points_crawlers_to_the_absolute_sitemap(client, db):
    response = client.get("/robots.txt")

    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode().splitlines()
