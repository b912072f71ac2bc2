"""allauth's pages under /accounts/ in our design and our words, for an invitation-only site."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.account.views import EmailView
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core import mail
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from tests.fixtures_pages import content

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"
MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"
CONFIRM_ITS_YOU = "Confirm it\u2019s you"

# allauth's own wording, none of which may reach a page of ours.
ALLAUTH_WORDING = [
    "Sign In",
    "Sign Out",
    "Sign Up",
    "sign up",
    "Remember Me",
    "Forgotten your password",
    "Reset My Password",
    "Change Password",
    "Set Password",
    "Password Reset",
    "Bad Token",
    "Email Address",
    "Two-Factor Authentication",
    "Authenticator App",
    "Recovery Codes",
    "Security Keys",
    "Confirm Access",
    "Please reauthenticate",
    "Menu:",
    "Messages:",
]
# An inline script runs code; allauth's JSON data blocks (type="application/json") do not.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")


@pytest.fixture(autouse=True)
def _clock():
    # A code is good for its 30-second period only: time stands still, so none runs out mid-test.
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=False):
        yield


def verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def totp_secret_for(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def code_now(secret: str) -> str:
    counter = int(datetime.now(tz=UTC).timestamp()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def reset_path(user) -> str:
    key = default_token_generator.make_token(user)
    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{key}/"


def sign_in(user, *, secret: str | None = None) -> Client:
    """Signed in as a person is, by password (and code), and just confirmed it is them again:
    allauth asks for that before changes to two-factor authentication."""
    client = Client()
    response = client.post(LOGIN, {"login": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302, content(response)
    if secret:
        assert response["Location"] == MFA_AUTHENTICATE
        response = client.post(MFA_AUTHENTICATE, {"code": code_now(secret)})
        assert response.status_code == 302, content(response)
    response = client.post("/accounts/reauthenticate/", {"password": factories.PASSWORD})
    assert response.status_code == 302, content(response)
    return client


def assert_our_page(response, heading: str, button: str | None):
    """Our frame and type, our heading and main button, nothing of allauth's default wording."""
    assert response.status_code == 200
    page = content(response)
    assert page.count("<h1") == 1
    assertContains(response, f"<h1>{heading}</h1>", html=True)
    if button:
        assert re.search(rf'class="button[^"]*"[^>]*>\s*{re.escape(button)}\s*<', page), button
    assert '<link rel="stylesheet" href="/static/css/pressimus.css">' in page
    for words in ALLAUTH_WORDING:
        assert words not in page, words
    assert ":</label>" not in page
    assert "style=" not in page
    assert not INLINE_SCRIPT.search(page)


# The sign-in page


def test_sign_in_page_offers_an_invitation_and_never_an_open_sign_up(client):
    response = client.get(LOGIN)

    assert_our_page(response, "Sign in", "Sign in")
    assertContains(
        response,
        '<a href="/invitations/request/" class="button button--secondary">'
        "Request an invitation</a>",
        html=True,
    )
    assertNotContains(response, "/accounts/signup/")
    assertNotContains(response, "create an account")


def test_sign_in_form_keeps_its_field_names_and_a_submit_button(client):
    response = client.get(LOGIN)

    assertContains(
        response, '<form class="form account-form" method="post" action="/accounts/login/">'
    )
    assertContains(
        response,
        '<input type="email" name="login" id="id_login" autocomplete="email" maxlength="320"'
        " required>",
        html=True,
    )
    assertContains(
        response,
        '<input type="password" name="password" id="id_password" autocomplete="current-password"'
        ' required aria-describedby="id_password_helptext">',
        html=True,
    )
    assertContains(response, '<button class="button" type="submit">Sign in</button>', html=True)


def test_sign_in_labels_are_in_sentence_case_without_colons(client):
    response = client.get(LOGIN)

    assertContains(response, '<label for="id_login">E-mail address</label>', html=True)
    assertContains(response, '<label for="id_password">Password</label>', html=True)
    assertContains(response, "<span>Remember me</span>", html=True)
    assertContains(
        response, '<a href="/accounts/password/reset/">Forgot your password?</a>', html=True
    )


def test_wrong_password_keeps_the_form_with_a_message_and_the_address(client, member):
    verified(member)

    response = client.post(LOGIN, {"login": member.email, "password": "not-it"})

    assert response.status_code == 200
    assertContains(response, '<div class="message message--error" role="alert">')
    assertContains(response, 'value="member@example.org"')
    assertContains(response, '<button class="button" type="submit">Sign in</button>', html=True)


def test_right_password_still_signs_in(client, member):
    verified(member)

    response = client.post(LOGIN, {"login": member.email, "password": factories.PASSWORD})

    assertRedirects(response, "/", fetch_redirect_response=False)


# Every page a visitor meets on the way in


@pytest.mark.parametrize(
    ("path", "heading", "button"),
    [
        (LOGIN, "Sign in", "Sign in"),
        (RESET, "Reset your password", "Reset my password"),
        ("/accounts/password/reset/done/", "Check your e-mail", "Back to sign in"),
        ("/accounts/password/reset/key/done/", "Your password is changed", "Sign in"),
        (
            "/accounts/password/reset/key/1-nope/",
            "This link has expired or was already used",
            "Ask for a new link",
        ),
        ("/accounts/confirm-email/", "Check your e-mail", None),
        (
            "/accounts/confirm-email/no-such-key/",
            "This link has expired or was already used",
            "Sign in",
        ),
        ("/accounts/inactive/", "This account is not active", "Go to the live streams"),
    ],
)
def test_visitor_pages_are_ours(client, path, heading, button):
    assert_our_page(client.get(path), heading, button)


def test_reset_link_opens_the_new_password_form(client, member):
    verified(member)

    response = client.get(reset_path(member), follow=True)

    assert_our_page(response, "Choose a new password", "Change password")
    assertContains(response, '<label for="id_password1">New password</label>', html=True)
    assertContains(response, '<label for="id_password2">New password (again)</label>', html=True)


def test_reused_reset_link_gets_the_expired_link_page(client, member):
    verified(member)
    link = reset_path(member)
    form = client.get(link, follow=True).redirect_chain[-1][0]
    new = "a-new-and-long-passphrase"
    done = client.post(form, {"password1": new, "password2": new})
    assertRedirects(done, "/accounts/password/reset/key/done/", fetch_redirect_response=False)

    again = Client().get(link, follow=True)

    assert_our_page(again, "This link has expired or was already used", "Ask for a new link")
    assertContains(
        again,
        '<a href="/accounts/password/reset/" class="button">Ask for a new link</a>',
        html=True,
    )
    assertNotContains(again, 'name="password1"')


def test_tampered_reset_link_gets_the_expired_link_page(client, member):
    verified(member)

    response = client.get(reset_path(member)[:-3] + "xx/", follow=True)

    assert_our_page(response, "This link has expired or was already used", "Ask for a new link")


def test_e_mail_confirmation_link_asks_to_confirm(client, member):
    address = EmailAddress.objects.create(user=member, email="mia@example.net", verified=False)
    key = EmailConfirmationHMAC(address).key

    response = client.get(f"/accounts/confirm-email/{key}/")

    assert_our_page(response, "Confirm your e-mail address", "Confirm")
    assertContains(response, "<strong>mia@example.net</strong>", html=True)


# The code step at sign-in


@pytest.fixture
def staff_with_totp(staff):
    verified(staff)
    return staff, totp_secret_for(staff)


def test_code_step_is_ours(client, staff_with_totp):
    staff, _ = staff_with_totp
    client.post(LOGIN, {"login": staff.email, "password": factories.PASSWORD})

    response = client.get(MFA_AUTHENTICATE)

    assert_our_page(response, "Enter your code", "Sign in")
    assertContains(
        response,
        '<input type="text" name="code" id="id_code" autocomplete="one-time-code" required>',
        html=True,
    )
    assertContains(
        response,
        '<button class="button button--secondary" form="logout-from-stage" type="submit">'
        "Cancel</button>",
        html=True,
    )


def test_wrong_code_keeps_the_form_with_an_error(client, staff_with_totp):
    staff, _ = staff_with_totp
    client.post(LOGIN, {"login": staff.email, "password": factories.PASSWORD})

    response = client.post(MFA_AUTHENTICATE, {"code": "000000"})

    assert_our_page(response, "Enter your code", "Sign in")
    assertContains(
        response,
        '<ul class="errorlist" id="id_code_error"><li>Incorrect code.</li></ul>',
        html=True,
    )
    assertContains(
        response,
        '<input type="text" id="id_code" name="code" value="000000" autocomplete="one-time-code"'
        ' required aria-invalid="true" aria-describedby="id_code_error">',
        html=True,
    )


def test_right_code_signs_in(client, staff_with_totp):
    staff, secret = staff_with_totp
    client.post(LOGIN, {"login": staff.email, "password": factories.PASSWORD})

    response = client.post(MFA_AUTHENTICATE, {"code": code_now(secret)})

    assertRedirects(response, "/", fetch_redirect_response=False)


# Pages of a signed-in member


@pytest.mark.parametrize(
    ("path", "heading", "button"),
    [
        ("/accounts/logout/", "Sign out", "Sign out"),
        ("/accounts/password/change/", "Change your password", "Change password"),
        ("/accounts/email/", "Your e-mail address", "Change e-mail address"),
        ("/accounts/2fa/", "Two-factor authentication", "Activate"),
        ("/accounts/2fa/totp/activate/", "Activate an authenticator app", "Activate"),
        ("/accounts/2fa/webauthn/add/", "Add a security key or passkey", "Add"),
        ("/accounts/reauthenticate/", CONFIRM_ITS_YOU, "Confirm"),
        ("/accounts/reauthenticate/code/", CONFIRM_ITS_YOU, "E-mail me a code"),
    ],
)
@pytest.mark.parametrize("persona", ["member", "writer_a"])
def test_member_pages_are_ours(request, persona, path, heading, button):
    person = verified(request.getfixturevalue(persona))

    assert_our_page(sign_in(person).get(path), heading, button)


def test_manage_pages_lead_back_to_settings(member):
    client = sign_in(verified(member))

    page = client.get("/accounts/2fa/totp/activate/")

    assertContains(
        page,
        '<p class="breadcrumb account-breadcrumb"><a href="/settings/#security">Settings</a>'
        ' \u203a <a href="/accounts/2fa/">Two-factor authentication</a></p>',
        html=True,
    )


def test_totp_activation_shows_the_qr_code_and_the_key_to_type(member):
    response = sign_in(verified(member)).get("/accounts/2fa/totp/activate/")

    assertContains(
        response,
        '<img class="account-img account-img--mfa account-img--totp account-img--qr"'
        ' src="data:image/svg+xml;base64,',
    )
    assertContains(response, '<a href="otpauth://totp/')
    assertContains(
        response,
        '<label for="authenticator_secret">Or type this key into the app</label>',
        html=True,
    )
    assertContains(response, '<label for="id_code">Authenticator code</label>', html=True)


def test_wrong_code_at_activation_keeps_the_form_with_an_error(member):
    client = sign_in(verified(member))

    response = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})

    assert_our_page(response, "Activate an authenticator app", "Activate")
    assertContains(
        response,
        '<ul class="errorlist" id="id_code_error"><li>Incorrect code.</li></ul>',
        html=True,
    )
    assert not Authenticator.objects.filter(user=member).exists()


def test_code_by_e_mail_to_confirm_it_is_you_is_ours(member):
    client = sign_in(verified(member))

    response = client.post(
        "/accounts/reauthenticate/code/", {"recipient": member.email}, follow=True
    )

    assert_our_page(response, "Enter the code we sent you", "Confirm")


def test_member_without_a_password_is_asked_to_set_one(client_as, member):
    verified(member)
    member.set_unusable_password()
    member.save()

    response = client_as(member).get("/accounts/password/set/")

    assert_our_page(response, "Set a password", "Set password")


def test_pending_e_mail_change_offers_to_send_again_or_cancel(member):
    client = sign_in(verified(member))
    client.post("/accounts/email/", {"action_add": "", "email": "mia@example.net"})

    response = client.get("/accounts/email/")

    assert_our_page(response, "Your e-mail address", "Change e-mail address")
    assertContains(response, "Changing to <strong>mia@example.net</strong>")
    assertContains(
        response, '<form id="pending-email" method="post" action="/accounts/email/" hidden>'
    )
    assertContains(
        response,
        '<button class="button button--secondary" form="pending-email" name="action_send"'
        ' type="submit">Send the link again</button>',
        html=True,
    )


def test_list_of_addresses_is_ours_where_several_are_allowed(settings, monkeypatch, member):
    # allauth picks the page when it is imported, from ACCOUNT_CHANGE_EMAIL (on here).
    settings.ACCOUNT_CHANGE_EMAIL = False
    monkeypatch.setattr(EmailView, "template_name", "account/email.html")
    client = sign_in(verified(member))
    EmailAddress.objects.create(user=member, email="mia@example.net", verified=False)

    response = client.get("/accounts/email/")

    assert_our_page(response, "Your e-mail addresses", "Make primary")
    assertContains(response, '<span class="badge badge--success badge--email badge--verified">')
    assertContains(response, "Not confirmed</span>")
    assertContains(response, '<h2 class="account-h2">Add an e-mail address</h2>', html=True)


# Pages of someone with two-factor authentication


@pytest.fixture
def staff_client(staff_with_totp):
    staff, secret = staff_with_totp
    return sign_in(staff, secret=secret)


@pytest.mark.parametrize(
    ("path", "heading", "button"),
    [
        ("/accounts/2fa/", "Two-factor authentication", "Deactivate"),
        ("/accounts/2fa/totp/deactivate/", "Deactivate the authenticator app?", "Deactivate"),
        ("/accounts/2fa/recovery-codes/", "Recovery codes", "Download codes"),
        ("/accounts/2fa/recovery-codes/generate/", "Generate new recovery codes?", "Generate"),
        ("/accounts/2fa/reauthenticate/", CONFIRM_ITS_YOU, "Confirm"),
        ("/accounts/2fa/webauthn/", "Security keys and passkeys", "Add a key"),
    ],
)
def test_two_factor_pages_are_ours(staff_client, path, heading, button):
    assert_our_page(staff_client.get(path), heading, button)


def test_recovery_codes_are_listed_one_a_line(staff_client, staff_with_totp):
    staff, _ = staff_with_totp
    codes = (
        Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES)
        .wrap()
        .get_unused_codes()
    )

    response = staff_client.get("/accounts/2fa/recovery-codes/")

    # A textarea's text is its value: nothing may come before, between or after the codes.
    assert re.search(
        r'<textarea id="recovery_codes"[^>]*\breadonly\b[^>]*>' + "\n".join(codes) + "</textarea>",
        content(response),
    )
    assertContains(response, f"{len(codes)} of {len(codes)} codes unused.")


@pytest.fixture
def security_key(staff_with_totp):
    staff, _ = staff_with_totp
    return Authenticator.objects.create(
        user=staff,
        type=Authenticator.Type.WEBAUTHN,
        data={
            "name": "Blue key",
            "credential": {"clientExtensionResults": {"credProps": {"rk": True}}},
        },
    )


def test_security_keys_are_listed_with_rename_and_remove(staff_client, security_key):
    response = staff_client.get("/accounts/2fa/webauthn/")

    assert_our_page(response, "Security keys and passkeys", "Rename")
    assertContains(response, '<h2 class="account-panel__title">Blue key</h2>', html=True)
    assertContains(response, '<span class="badge badge--primary">Passkey</span>', html=True)
    assertContains(
        response,
        f'<a href="/accounts/2fa/webauthn/keys/{security_key.pk}/remove/"'
        ' class="button button--danger">Remove</a>',
        html=True,
    )


def test_removing_a_security_key_asks_first(staff_client, security_key):
    response = staff_client.get(f"/accounts/2fa/webauthn/keys/{security_key.pk}/remove/")

    assert_our_page(response, "Remove “Blue key”?", "Remove")


def test_renaming_a_security_key_is_ours(staff_client, security_key):
    response = staff_client.get(f"/accounts/2fa/webauthn/keys/{security_key.pk}/edit/")

    assert_our_page(response, "Rename a key", "Save")
    assertContains(response, 'value="Blue key"')


# Mail a member meets


def test_password_reset_mail_is_in_our_words(client, member):
    verified(member)

    client.post(RESET, {"email": member.email})

    [message] = mail.outbox
    assert message.subject == "[Pressimus] Reset your password"
    assert message.body.startswith("Hello,\n\nSomeone — we hope you — asked to reset the password")
    assert re.search(
        r"https?://testserver/accounts/password/reset/key/\w+-[\w-]+/", message.body
    ), message.body
    assert message.body.endswith("— Pressimus")
    assert "Hello from" not in message.body


def test_reset_for_an_unknown_address_offers_an_invitation_not_a_sign_up(client, db):
    client.post(RESET, {"email": "nobody@example.net"})

    [message] = mail.outbox
    assert message.subject == "[Pressimus] No Pressimus account uses this address"
    assert "http://testserver/invitations/request/" in message.body
    assert "/accounts/signup/" not in message.body


def test_security_notice_says_what_changed_and_what_to_do(member):
    client = sign_in(verified(member))
    new = "a-new-and-long-passphrase"

    client.post(
        "/accounts/password/change/",
        {"oldpassword": factories.PASSWORD, "password1": new, "password2": new},
    )

    [message] = mail.outbox
    assert message.subject == "[Pressimus] Your password changed"
    assert "The password of your Pressimus account was changed." in message.body
    assert "Reset your password: http://testserver/accounts/password/reset/" in message.body
    assert "- from the IP address 127.0.0.1" in message.body
