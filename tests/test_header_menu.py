"""The page header: sign-in links for visitors, the avatar menu for people signed in."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import User

# Declared, not only reached through fixtures: the personas of the parametrized test are
# looked up by name, and undeclared tests would run after the live-server ones.
pytestmark = pytest.mark.django_db

PAGE = "/"
MENU_SCRIPT = '<script src="/static/js/account-menu.js" defer></script>'


def test_visitor_gets_sign_in_and_request_invitation(client):
    response = client.get(PAGE)

    assertContains(
        response, '<a class="account-nav__link" href="/accounts/login/">Sign in</a>', html=True
    )
    assertContains(
        response,
        '<a class="account-nav__link account-nav__link--invite" href="/invitations/request/">'
        "Request invitation</a>",
        html=True,
    )
    assertNotContains(response, "data-account-menu")
    assertNotContains(response, MENU_SCRIPT)


def test_member_gets_the_avatar_menu_with_profile_settings_and_sign_out(client_as, member):
    response = client_as(member).get(PAGE)

    assertContains(
        response,
        '<summary class="account-menu__toggle">'
        '<span class="avatar avatar--initials avatar--small" aria-hidden="true">MM</span>'
        '<span class="visually-hidden">Account menu for Mia Member</span></summary>',
        html=True,
    )
    assertContains(response, '<li><a href="/people/mia/">Profile</a></li>', html=True)
    assertContains(response, '<li><a href="/settings/">Settings</a></li>', html=True)
    assertContains(response, '<form method="post" action="/accounts/logout/">')
    assertContains(response, '<button type="submit">Sign out</button>', html=True)
    assertNotContains(response, "Back office")
    assertNotContains(response, "Request invitation")
    assertContains(response, MENU_SCRIPT)


def test_sign_out_form_carries_a_csrf_token(client_as, member):
    content = client_as(member).get(PAGE).content.decode()

    form = content[content.index('action="/accounts/logout/"') :]
    assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]


@pytest.mark.parametrize("persona", ["editor_a", "writer_a", "staff", "superuser"])
def test_staff_and_editors_also_get_the_back_office(client_as, persona, request):
    response = client_as(request.getfixturevalue(persona)).get(PAGE)

    assertContains(response, '<li><a href="/admin/">Back office</a></li>', html=True)


def test_user_without_a_profile_gets_a_working_menu_without_profile_link(client_as, superuser):
    response = client_as(superuser).get(PAGE)

    assertContains(
        response,
        '<span class="avatar avatar--initials avatar--small" aria-hidden="true">R</span>',
        html=True,
    )
    assertContains(response, "Account menu for root@example.org")
    assertNotContains(response, ">Profile</a>")
    assertContains(response, '<li><a href="/settings/">Settings</a></li>', html=True)


def test_member_with_a_profile_image_sees_its_small_version(client_as, member):
    client = client_as(member)
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "red").save(buffer, "PNG")
    client.post(
        "/settings/",
        {
            "form": "profile",
            "profile-display_name": "Mia Member",
            "profile-handle": "mia",
            "profile-avatar": SimpleUploadedFile("me.png", buffer.getvalue()),
        },
    )
    member.profile.refresh_from_db()

    response = client.get(PAGE)

    assertContains(
        response,
        f'<img class="avatar avatar--small" src="{member.profile.avatar_small.url}" alt="" '
        'width="64" height="64">',
        html=True,
    )


@pytest.mark.parametrize("theme", [User.Theme.LIGHT, User.Theme.DARK])
def test_a_chosen_theme_is_set_on_the_page(client_as, member, theme):
    member.theme = theme
    member.save()

    content = client_as(member).get(PAGE).content.decode()

    assert f'<html lang="en" data-theme="{theme}">' in content
    assert f'<meta name="color-scheme" content="{theme}">' in content


def test_the_system_theme_leaves_it_to_the_device(client_as, member):
    content = client_as(member).get(PAGE).content.decode()

    assert '<html lang="en">' in content
    assert '<meta name="color-scheme" content="light dark">' in content


def test_signing_out_from_the_menu_signs_out(client_as, member):
    client = client_as(member)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assertContains(client.get(PAGE), "Sign in")
