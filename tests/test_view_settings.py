"""``/settings/``: profile, profile image, preferences, data export and account deletion."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from accounts.models import Profile, User
from pressimus.lib import images
from streams.models import Byline
from tests import factories
from tests.factories import PASSWORD
from tests.fixtures_pages import person

URL = "/settings/"
NOT_ACCEPTED = "This file is not an image we accept: use JPEG, PNG, WebP or GIF."
DAMAGED = "This image file is damaged or incomplete."


def profile_data(**overrides) -> dict:
    return {
        "form": "profile",
        "profile-display_name": "Mia Member",
        "profile-handle": "mia",
        "profile-bio": "Reads the Syria streams.",
        "profile-website": "https://mia.example/",
        **{f"profile-{key}": value for key, value in overrides.items()},
    }


def preferences_data(**overrides) -> dict:
    return {
        "form": "preferences",
        "preferences-time_zone": "",
        "preferences-entry_order": "newest",
        "preferences-live_updates": "insert",
        "preferences-theme": "system",
        "preferences-email_security_notices": "on",
        **{f"preferences-{key}": value for key, value in overrides.items()},
    }


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def stored_files() -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def upload_avatar(client, name: str, data: bytes):
    return client.post(URL, profile_data(avatar=SimpleUploadedFile(name, data)))


# Who may see the page


def test_anonymous_reader_is_sent_to_sign_in(client):
    response = client.get(URL)

    assertRedirects(response, "/accounts/login/?next=/settings/", fetch_redirect_response=False)


def test_member_sees_their_settings_filled_in(client_as, member):
    response = client_as(member).get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Settings</h1>", html=True)
    assertContains(response, 'value="Mia Member"')
    assertContains(response, 'value="mia"')
    assertContains(
        response, '<a href="/accounts/password/change/">Change your password</a>', html=True
    )
    assertContains(response, '<a href="/accounts/email/">E-mail addresses</a>', html=True)
    assertContains(response, '<a href="/accounts/2fa/">Two-factor authentication</a>', html=True)
    assert response["Cache-Control"].startswith("max-age=0")


def test_settings_page_costs_few_queries(client_as, member, django_assert_max_num_queries):
    client = client_as(member)

    with django_assert_max_num_queries(5):
        client.get(URL)


def test_user_without_a_profile_is_offered_one_prefilled_from_their_email(client_as, superuser):
    response = client_as(superuser).get(URL)

    assertContains(response, '<h2 id="profile-heading">Create your profile</h2>', html=True)
    assertContains(response, 'value="Root"')
    assertContains(response, 'value="root"')


def test_user_without_a_profile_creates_it(client_as, superuser):
    response = client_as(superuser).post(URL, profile_data(display_name="Rosa Root", handle="rosa"))

    assertRedirects(response, URL, fetch_redirect_response=False)
    assert Profile.objects.get(user=superuser).display_name == "Rosa Root"


# Profile


def test_member_edits_their_profile(client_as, member):
    client = client_as(member)

    response = client.post(
        URL, profile_data(display_name="Mia M. Member", handle="Mia-M", bio="Hello.")
    )

    assertRedirects(response, URL, fetch_redirect_response=False)
    profile = Profile.objects.get(user=member)
    assert (profile.display_name, profile.handle, profile.bio) == (
        "Mia M. Member",
        "mia-m",
        "Hello.",
    )
    assertContains(client.get(URL), "Your profile is saved.")


def test_a_handle_of_someone_else_is_refused_in_words_and_input_kept(client_as, member):
    person(handle="james-miller")

    response = client_as(member).post(
        URL, profile_data(handle="James-Miller", bio="My own words, kept.")
    )

    assert response.status_code == 200
    assertContains(response, "The handle “james-miller” belongs to someone else: choose another.")
    assertContains(response, "My own words, kept.")
    assert Profile.objects.get(user=member).handle == "mia"


def test_profile_errors_are_in_words_and_keep_the_input(client_as, member):
    response = client_as(member).post(
        URL, profile_data(display_name="", handle="not a slug!", website="not a url")
    )

    assertContains(response, "Your profile is not saved yet")
    assertContains(response, "Give the name readers should see.")
    assertContains(response, "Use only letters, digits and hyphens in a handle")
    assertContains(response, "Enter a valid URL.")
    assertContains(response, 'value="not a slug!"')
    assertContains(response, 'aria-invalid="true"')
    assert Profile.objects.get(user=member).display_name == "Mia Member"


# Profile image


def test_an_uploaded_avatar_is_stored_as_webp_and_shown_here_and_on_the_profile(client_as, member):
    client = client_as(member)

    response = upload_avatar(client, "me.png", encoded(Image.new("RGB", (300, 300), "red"), "PNG"))

    assertRedirects(response, URL, fetch_redirect_response=False)
    profile = Profile.objects.get(user=member)
    assert profile.avatar.name.endswith("-256.webp")
    assert profile.avatar_small.name.endswith("-64.webp")
    image = f'<img class="avatar" src="{profile.avatar.url}" alt="" width="256" height="256">'
    assertContains(client.get(URL), image, html=True)
    assertContains(client.get("/people/mia/"), image, html=True)


def test_a_double_extension_jpeg_is_accepted_under_a_random_webp_name(client_as, member):
    data = encoded(Image.new("RGB", (300, 300), "red"), "JPEG")

    upload_avatar(client_as(member), "avatar.php.jpg", data)

    profile = Profile.objects.get(user=member)
    names = [Path(profile.avatar.name).name, Path(profile.avatar_small.name).name]
    assert all(
        name.endswith(".webp") and "php" not in name and "avatar" not in name for name in names
    )
    assert [p.suffix for p in stored_files()] == [".webp", ".webp"]


def test_a_photo_with_gps_and_orientation_is_stored_upright_without_exif(client_as, member):
    image = Image.new("RGB", (300, 200), "blue")
    image.paste((255, 0, 0), (0, 0, 150, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)

    upload_avatar(client_as(member), "IMG_0001.JPG", encoded(image, "JPEG", exif=exif.tobytes()))

    profile = Profile.objects.get(user=member)
    with profile.avatar.open("rb") as stored:
        raw = stored.read()
    result = Image.open(io.BytesIO(raw))
    assert b"Exif" not in raw
    assert not result.getexif()
    top, bottom = (
        result.convert("RGB").getpixel((128, 4)),
        result.convert("RGB").getpixel((128, 250)),
    )
    assert top[0] > 200 and top[2] < 60  # the red left half, turned to the top
    assert bottom[2] > 200 and bottom[0] < 60


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.png", b"These are notes, not a picture.", NOT_ACCEPTED),
        (
            "truncated.png",
            encoded(Image.effect_noise((300, 300), 50).convert("RGB"), "PNG")[:4000],
            DAMAGED,
        ),
        (
            "wide.png",
            encoded(Image.new("1", (10_000, 5_000)), "PNG"),
            "This image is 50 megapixels; the limit is 40.",
        ),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
            NOT_ACCEPTED,
        ),
        ("layers.psd", b"8BPS\x00\x01" + b"\x00" * 120, NOT_ACCEPTED),
        ("print.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", NOT_ACCEPTED),
        ("huge.jpg", b"\xff\xd8\xff".ljust(int(12.3 * images.MB), b"\x00"), None),
    ],
    ids=["not an image", "truncated png", "50 megapixels", "svg", "psd", "eps", "over 10 MB"],
)
def test_a_bad_upload_is_a_form_error_and_stores_nothing(client_as, member, name, data, message):
    message = message or "This image is 12.3 MB; the limit is 10 MB."

    response = upload_avatar(client_as(member), name, data)

    assert response.status_code == 200
    assertContains(response, message)
    assertContains(response, 'value="Mia Member"')
    assert stored_files() == []
    assert not Profile.objects.get(user=member).avatar


def test_a_bad_upload_keeps_the_current_avatar(client_as, member):
    client = client_as(member)
    upload_avatar(client, "me.png", encoded(Image.new("RGB", (100, 100), "red"), "PNG"))
    before = stored_files()

    upload_avatar(client, "notes.png", b"not an image")

    assert stored_files() == before
    assert Profile.objects.get(user=member).avatar


def test_remove_checkbox_removes_the_avatar_and_its_files(
    client_as, member, django_capture_on_commit_callbacks
):
    client = client_as(member)
    upload_avatar(client, "me.png", encoded(Image.new("RGB", (100, 100), "red"), "PNG"))
    assertContains(client.get(URL), "Remove my profile image")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, profile_data(remove_avatar="on"))

    assert not Profile.objects.get(user=member).avatar
    assert stored_files() == []


# Preferences


def test_member_saves_preferences(client_as, member):
    client = client_as(member)

    response = client.post(
        URL,
        preferences_data(
            time_zone="Asia/Tokyo",
            entry_order="oldest",
            live_updates="button",
            theme="dark",
            email_security_notices="",
        ),
    )

    assertRedirects(response, URL, fetch_redirect_response=False)
    member.refresh_from_db()
    assert (
        member.time_zone,
        member.entry_order,
        member.live_updates,
        member.theme,
        member.email_security_notices,
    ) == ("Asia/Tokyo", "oldest", "button", "dark", False)
    assertContains(client.get(URL), "Your preferences are saved.")


def test_time_zone_select_lists_every_zone_sorted_after_the_site_default(client_as, member):
    response = client_as(member).get(URL)

    assertContains(response, '<option value="" selected>Same as the site (UTC)</option>', html=True)
    assertContains(
        response, '<option value="America/New_York">America/New York</option>', html=True
    )
    assert response.content.index(b'"Africa/Abidjan"') < response.content.index(b'"Europe/Paris"')


def test_an_unknown_time_zone_is_refused_in_words(client_as, member):
    response = client_as(member).post(URL, preferences_data(time_zone="Mars/Olympus_Mons"))

    assertContains(response, "Select a valid choice. Mars/Olympus_Mons is not one of")
    member.refresh_from_db()
    assert member.time_zone == ""


def test_saving_preferences_leaves_the_profile_alone(client_as, member):
    client_as(member).post(URL, preferences_data(theme="light"))

    assert Profile.objects.get(user=member).display_name == "Mia Member"


# Data export


def test_export_downloads_the_users_data_as_json(client_as, member, stream_a):
    factories.EntryFactory(stream=stream_a, title="Amnesty reports", bylines=[member.profile])

    response = client_as(member).post("/settings/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="pressimus-mia-export.json"'
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "member@example.org"
    assert data["profile"]["url"] == "http://testserver/people/mia/"
    assert [e["title"] for e in data["bylined_entries"]] == ["Amnesty reports"]


def test_export_is_post_only(client_as, member):
    assert client_as(member).get("/settings/export/").status_code == 405


def test_export_needs_sign_in(client):
    response = client.post("/settings/export/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Account deletion


DELETE_URL = "/settings/delete/"


def test_delete_page_asks_for_password_and_confirmation(client_as, member):
    response = client_as(member).get(DELETE_URL)

    assertContains(response, "<h1>Delete your account</h1>", html=True)
    assertContains(response, 'autocomplete="current-password"')
    assertContains(response, "Type “delete my account” to confirm")


def test_a_wrong_password_deletes_nothing(client_as, member):
    response = client_as(member).post(
        DELETE_URL, {"password": "not-my-password", "confirm": "delete my account"}
    )

    assertContains(response, "That is not your password.")
    assert User.objects.filter(pk=member.pk).exists()


def test_a_wrong_confirmation_deletes_nothing(client_as, member):
    response = client_as(member).post(DELETE_URL, {"password": PASSWORD, "confirm": "yes"})

    assertContains(response, "Type “delete my account” exactly, to show that you mean it.")
    assert User.objects.filter(pk=member.pk).exists()


def test_right_password_deletes_the_account_and_signs_out(
    client_as, member, stream_a, django_capture_on_commit_callbacks
):
    client = client_as(member)
    upload_avatar(client, "me.png", encoded(Image.new("RGB", (100, 100), "red"), "PNG"))
    entry = factories.EntryFactory(stream=stream_a, bylines=[member.profile])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            DELETE_URL, {"password": PASSWORD, "confirm": " Delete my  account "}
        )

    assertRedirects(response, "/", fetch_redirect_response=False)
    assert not User.objects.filter(pk=member.pk).exists()
    assert [(b.profile_id, b.name) for b in Byline.objects.filter(entry=entry)] == [
        (None, "Mia Member")
    ]
    assert stored_files() == []
    home = client.get("/")
    assertContains(home, "Your account is deleted.")
    assertContains(home, "Sign in")
    assert client.get(URL).status_code == 302


def test_guessing_the_password_is_rate_limited(client_as, member):
    client = client_as(member)
    for _ in range(10):
        client.post(DELETE_URL, {"password": "guess", "confirm": "delete my account"})

    response = client.post(DELETE_URL, {"password": PASSWORD, "confirm": "delete my account"})

    assertContains(response, "Too many attempts: wait a minute, then try again.")
    assert User.objects.filter(pk=member.pk).exists()


def test_deleting_needs_sign_in(client):
    response = client.post(DELETE_URL, {"password": PASSWORD, "confirm": "delete my account"})

    assert response.status_code == 302


def test_the_owner_sees_an_edit_link_on_their_profile(client_as, member, client):
    assertContains(client_as(member).get("/people/mia/"), "Edit your profile")
    assertNotContains(client.get("/people/mia/"), "Edit your profile")
