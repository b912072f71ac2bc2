"""A person in a browser of their own, and what went wrong on every page they saw.

Each person has a fresh browser context (their own cookies) and records, from the first byte of
every page: console errors, uncaught script errors, Content-Security-Policy violations, HTTP
errors and failed requests. A journey ends by asserting there were none.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pyotp
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from tests.journeys.site import Site, link_in

DEMO_PASSWORD = "pressimus-demo"

# Reported to the test through a binding that survives every navigation.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || location.pathname}:${event.lineNumber}`);
});
"""


class Authenticator:
    """The authenticator app on a person's phone: it shows the current code.

    allauth accepts each code once, so a second sign-in within the same 30 seconds has to
    wait for the next code, as a person would.
    """

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self._last_step: int | None = None

    def code(self) -> str:
        while True:
            now = time.time()
            step, into = divmod(now, self.totp.interval)
            # A code about to roll over may reach the server after it has.
            if step != self._last_step and into < self.totp.interval - 3:
                self._last_step = int(step)
                return self.totp.at(now)
            time.sleep(0.5)


class Person:
    def __init__(self, name: str, context: BrowserContext, site: Site) -> None:
        self.name = name
        self.context = context
        self.site = site
        self.problems: list[str] = []
        self._expected_statuses: set[int] = set()
        context.expose_function("reportViolation", self._record_violation)
        context.add_init_script(REPORT_VIOLATIONS)
        self.page = context.new_page()
        self.page.on("console", self._record_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("response", self._record_response)
        self.page.on("requestfailed", self._record_failure)

    # What went wrong --------------------------------------------------------------------

    def _record_violation(self, text: str) -> None:
        self.problems.append(f"CSP violation: {text}")

    def _record_console(self, message) -> None:
        if message.type != "error":
            return
        # Chromium logs every error status; those expected are not problems.
        status = re.search(r"responded with a status of (\d+)", message.text)
        if status and int(status.group(1)) in self._expected_statuses:
            return
        self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _record_response(self, response: Response) -> None:
        if response.status >= 400 and response.status not in self._expected_statuses:
            self.problems.append(f"HTTP {response.status} for {response.url}")

    def _record_failure(self, request) -> None:
        failure = request.failure or ""
        # Cancelled by the page itself (an autocomplete dropping a stale query) or by the
        # browser (a download leaves the page it was asked from), not refused by the site.
        if "ERR_ABORTED" in failure:
            return
        self.problems.append(f"request failed: {request.url} ({failure})")

    @contextmanager
    def expecting_status(self, *statuses: int) -> Iterator[None]:
        """For steps where an error status is the right answer (a used link, say)."""
        self._expected_statuses.update(statuses)
        try:
            yield
        finally:
            self._expected_statuses.difference_update(statuses)

    def assert_no_problems(self) -> None:
        assert self.problems == [], f"{self.name} met problems:\n" + "\n".join(self.problems)

    # Steps a person takes ---------------------------------------------------------------

    def open(self, path_or_url: str) -> Page:
        url = path_or_url if "://" in path_or_url else self.site.url + path_or_url
        self.page.goto(url)
        return self.page

    def click(self, name: str, *, role: str = "link") -> None:
        self.page.get_by_role(role, name=name, exact=True).first.click()
        self.page.wait_for_load_state()

    def press(self, name: str) -> None:
        self.click(name, role="button")

    def open_account_menu(self) -> None:
        """The profile image in the header, which opens the account menu."""
        self.page.locator(".account-menu__toggle").click()

    def sign_out(self) -> None:
        self.open_account_menu()
        self.press("Sign out")

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        """Sign in as a person does: the sign-in page, the form, and a code if asked."""
        self.open("/accounts/login/")
        self.page.locator('input[name="login"]').fill(email)
        self.page.locator('input[name="password"]').fill(password)
        self.page.locator('input[name="password"]').press("Enter")
        self.page.wait_for_load_state()
        if self.page.locator('input[name="code"]').count():
            self.enter_code(self.site.authenticators[email])
        expect(self.page.locator(".account-menu__toggle")).to_be_visible()

    def confirm_password(self, password: str = DEMO_PASSWORD) -> None:
        """Answer the "confirm it is you" step, when it is asked."""
        if "/reauthenticate/" in self.page.url:
            field = self.page.locator('input[name="password"]')
            field.fill(password)
            field.press("Enter")
            self.page.wait_for_load_state()

    def enter_code(self, authenticator: Authenticator) -> None:
        code = self.page.locator('input[name="code"]')
        code.fill(authenticator.code())
        code.press("Enter")
        self.page.wait_for_load_state()


def join_by_invitation(person: Person, *, email: str, name: str, password: str) -> str:
    """An operator invites ``email`` from the command line; the person opens the mailed link,
    accepts and chooses a password, and lands signed in on their home. The link, spent."""
    site, page = person.site, person.page
    sent = len(site.mailbox)
    site.manage("invite", email, "--name", name, "--base-url", site.url)
    mail = site.mailbox.wait_for(to=email, subject="Your invitation to Pressimus", after=sent)
    # The link in the mail, then the button: the browser's own POST, Origin and all.
    link = link_in(mail, "/invitations/accept/")
    person.open(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome to Pressimus, {name}")
    person.press("Accept invitation")
    # Sign-up with the invited address, fixed and already verified.
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    address = page.locator('input[name="email"]')
    expect(address).to_have_value(email)
    expect(address).to_be_disabled()
    page.locator('input[name="password1"]').fill(password)
    page.locator('input[name="password2"]').fill(password)
    person.press("Create account")
    # Signed in at once, on the personal home: no "confirm your e-mail" detour.
    expect(page).to_have_url(site.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your streams")
    return link


def set_up_authenticator(person: Person, email: str) -> Authenticator:
    """A staff member's first visit to the back office: it asks for two-factor first, so they
    add an authenticator app (the test reads the secret the page shows, as the app would scan
    it), then sign out."""
    person.sign_in(email)
    page = person.open("/admin/")
    expect(page.get_by_role("status")).to_contain_text(
        "The back office requires two-factor authentication"
    )
    person.open("/accounts/2fa/totp/activate/")
    # Adding a factor asks for the password again, however recent the sign-in.
    person.confirm_password()
    authenticator = Authenticator(page.locator("#authenticator_secret").input_value())
    person.enter_code(authenticator)
    expect(page.get_by_role("status")).to_contain_text("activated")
    person.sign_out()
    person.assert_no_problems()
    return authenticator


class People:
    """Makes people, each in a browser context of their own; checks them when done."""

    def __init__(self, browser: Browser, site: Site) -> None:
        self.browser = browser
        self.site = site
        self.made: list[Person] = []

    def __call__(self, name: str, *, phone: bool = False, dark: bool = False) -> Person:
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = self.browser.new_context(
            viewport=viewport,
            color_scheme="dark" if dark else "light",
            accept_downloads=True,
            timezone_id="Europe/Lisbon",
        )
        context.set_default_timeout(15_000)
        person = Person(name, context, self.site)
        self.made.append(person)
        return person

    def close(self) -> None:
        for person in self.made:
            person.context.close()
