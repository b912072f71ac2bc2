"""/about/: the explainer video with captions when staff set one, and always its text."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.asserts import assertContains, assertNotContains

from invitations.models import Explainer

URL = "/about/"


def test_without_an_explainer_the_page_still_explains_the_product(client, db):
    response = client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>What is Pressimus?</h1>", html=True)
    assertContains(response, "<strong>press streams</strong>", html=True)
    assertContains(response, "Accounts are by invitation")
    assertNotContains(response, "<video")
    assertContains(
        response, '<a class="button" href="/invitations/request/">Request Invitation</a>', html=True
    )


def test_a_video_file_plays_with_captions_poster_and_transcript(client, db):
    Explainer.objects.create(
        title="Pressimus in two minutes",
        video_file=SimpleUploadedFile("explainer.mp4", b"\x00\x00\x00\x18ftypmp42"),
        poster=SimpleUploadedFile("poster.png", b"\x89PNG\r\n\x1a\n"),
        captions=SimpleUploadedFile("explainer.vtt", b"WEBVTT\n"),
        captions_language="en",
        transcript="Hello, this is Pressimus.\n\nIt publishes press streams <live>.",
    )

    response = client.get(URL)

    assertContains(response, "<h1>Pressimus in two minutes</h1>", html=True)
    content = response.content.decode()
    video = '<video class="explainer__video" controls preload="metadata" src="/media/explainer/'
    assert video in content
    assert 'poster="/media/explainer/poster' in content
    assert (
        '<track kind="captions" srclang="en" label="English" src="/media/explainer/explainer'
        in content
    )
    assert " default>" in content
    assertContains(response, "<p>Hello, this is Pressimus.</p>", html=True)
    assertContains(response, "It publishes press streams &lt;live&gt;.")
    assertContains(
        response, '<h2 id="transcript-heading" class="section-title">Transcript</h2>', html=True
    )


def test_a_video_url_plays_and_a_missing_transcript_falls_back_to_the_explanation(client, db):
    Explainer.objects.create(
        video_url="https://media.example/explainer.webm", captions_language="xx"
    )

    response = client.get(URL)

    assertContains(response, 'src="https://media.example/explainer.webm"')
    assertNotContains(response, "<track")
    assertContains(response, "<strong>press streams</strong>", html=True)
    assertContains(response, 'href="https://media.example/explainer.webm">Download the video</a>')


def test_the_landing_page_leads_visitors_to_the_explainer_and_the_request_form(client, db):
    response = client.get("/")

    assertContains(
        response,
        '<a class="button button--secondary" href="/about/">Watch quick explainer video</a>',
        html=True,
    )
    assertContains(
        response, '<a class="button" href="/invitations/request/">Request Invitation</a>', html=True
    )
    assertContains(response, "Live and recent streams")


def test_the_landing_page_drops_the_invitation_call_for_members(client_as, member):
    response = client_as(member).get("/")

    assertNotContains(response, "Watch quick explainer video")
