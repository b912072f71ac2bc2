from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.urls import reverse
from django.utils import timezone

from pressimus.lib.fields import PlainCharField, PlainTextField
from pressimus.lib.zones import validate_time_zone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=email.strip().lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account; signs in with their e-mail address."""

    class EntryOrder(models.TextChoices):
        NEWEST = "newest", "Newest first"
        OLDEST = "oldest", "Oldest first"

    class LiveUpdates(models.TextChoices):
        INSERT = "insert", "Show new entries at once"
        BUTTON = "button", "Show a “N new entries” button"

    class Theme(models.TextChoices):
        SYSTEM = "system", "Follow my device"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    email = models.EmailField(
        "e-mail address",
        max_length=254,
        unique=True,
        error_messages={"unique": "An account with this e-mail address already exists."},
    )
    is_staff = models.BooleanField(
        "staff status", default=False, help_text="Can enter the back office."
    )
    is_active = models.BooleanField("active", default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    # Preferences, private to the person (the public part is the Profile).
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Every time on every page is shown in this zone. Empty: the site's zone.",
    )
    entry_order = models.CharField(
        max_length=10, choices=EntryOrder.choices, default=EntryOrder.NEWEST
    )
    live_updates = models.CharField(
        max_length=10, choices=LiveUpdates.choices, default=LiveUpdates.INSERT
    )
    theme = models.CharField(max_length=10, choices=Theme.choices, default=Theme.SYSTEM)
    email_security_notices = models.BooleanField(
        "e-mail me about security changes",
        default=True,
        help_text="A message when your password, e-mail addresses or two-factor settings change.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        # Stored lower-cased so that the unique index is case-insensitive on every database.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        profile = getattr(self, "profile", None)
        return profile.display_name if profile else self.email

    def get_short_name(self) -> str:
        return self.get_full_name()


class Profile(models.Model):
    """What readers see of a person: the name on bylines and the profile page."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = PlainCharField(max_length=100)
    handle = models.SlugField(
        max_length=40,
        unique=True,
        help_text="The address of the profile page: /people/<handle>/.",
    )
    bio = PlainTextField(blank=True, max_length=2000)
    avatar = models.ImageField(
        upload_to="avatars/%Y/%m/", blank=True, help_text="Square, re-encoded, 256 pixels."
    )
    avatar_small = models.ImageField(upload_to="avatars/%Y/%m/", blank=True, editable=False)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"handle": self.handle})

    @property
    def initials(self) -> str:
        parts = self.display_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"
