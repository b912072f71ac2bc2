"""Staff review invitation requests here; every action calls a service in invitations.services."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import FileExtensionValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from invitations import services
from invitations.models import Explainer, Invitation, InvitationRequest

logger = logging.getLogger(__name__)

# What a mail backend raises when the message cannot leave: SMTP refusals, and the
# socket errors (connection refused, timeouts, DNS) that smtplib lets through.
SEND_ERRORS = (smtplib.SMTPException, OSError)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Kept with the request for staff. The requester sees it only if you e-mail it.",
    )
    notify = forms.BooleanField(
        label="E-mail the requester that the request was declined, with this reason",
        required=False,
    )


@admin.register(InvitationRequest)
class InvitationRequestAdmin(admin.ModelAdmin):
    list_display = [
        "name", "email", "organisation", "status", "created_at",
        "reviewed_by", "reviewed_at", "invitation_expires", "invitation_accepted",
    ]  # fmt: skip
    list_filter = ["status"]
    list_select_related = ["reviewed_by", "invitation"]
    search_fields = ["name", "email", "organisation"]
    date_hierarchy = "created_at"
    actions = ["approve", "decline", "resend"]
    # Status, reviewer and times change only through the actions, which record them.
    fields = [
        "name", "email", "organisation", "reason", "status", "created_at",
        "reviewed_by", "reviewed_at", "decline_reason", "invitation_summary",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Requests come from the public form, or from `manage.py invite`.
        return False

    @admin.display(description="Invitation expires", ordering="invitation__expires_at")
    def invitation_expires(self, obj: InvitationRequest) -> datetime | None:
        invitation = getattr(obj, "invitation", None)
        return invitation.expires_at if invitation else None

    @admin.display(description="Accepted", ordering="invitation__accepted_at")
    def invitation_accepted(self, obj: InvitationRequest) -> datetime | None:
        invitation = getattr(obj, "invitation", None)
        return invitation.accepted_at if invitation else None

    @admin.display(description="Invitation")
    def invitation_summary(self, obj: InvitationRequest) -> str:
        invitation = getattr(obj, "invitation", None)
        if invitation is None:
            return "—"
        if invitation.accepted_at:
            return format_html(
                "Accepted {} by {}", invitation.accepted_at, invitation.accepted_by or "—"
            )
        state = "expired" if invitation.is_expired else "expires"
        return format_html(
            "Sent {} time(s), last {}; {} {}",
            invitation.send_count,
            invitation.sent_at,
            state,
            invitation.expires_at,
        )

    def _run(
        self,
        request: HttpRequest,
        queryset: QuerySet[InvitationRequest],
        *,
        service: Callable[[InvitationRequest], object],
        done: str,
        failed: str,
    ) -> int:
        """Apply ``service`` to each request in its own transaction; say what happened."""
        succeeded = []
        for obj in queryset:
            try:
                service(obj)
            except services.InvitationError as error:
                self.message_user(request, str(error), messages.WARNING)
            except SEND_ERRORS as error:
                logger.exception("Could not e-mail %s", obj.email)
                self.message_user(
                    request,
                    f"The e-mail to {obj.email} could not be sent ({error}). {failed}",
                    messages.ERROR,
                )
            else:
                self.log_change(request, obj, done)
                succeeded.append(obj.email)
        if succeeded:
            self.message_user(request, f"{done}: {', '.join(succeeded)}.", messages.SUCCESS)
        return len(succeeded)

    @admin.action(description="Approve and send invitation", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[InvitationRequest]) -> None:
        base_url = request.build_absolute_uri("/")
        self._run(
            request,
            queryset,
            service=lambda obj: services.invitation_approve(
                request=obj, reviewer=request.user, base_url=base_url
            ),
            done="Approved and invitation sent",
            failed="Nothing was changed: the request is still pending, approve it again later.",
        )

    @admin.action(description="Resend invitation (new link and expiry)", permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[InvitationRequest]) -> None:
        base_url = request.build_absolute_uri("/")
        self._run(
            request,
            queryset,
            service=lambda obj: services.invitation_resend(
                request=obj, reviewer=request.user, base_url=base_url
            ),
            done="Invitation resent",
            failed="Nothing was changed: the previous link still works; resend again later.",
        )

    @admin.action(description="Decline…", permissions=["change"])
    def decline(
        self, request: HttpRequest, queryset: QuerySet[InvitationRequest]
    ) -> HttpResponse | None:
        form = DeclineForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason, notify = form.cleaned_data["reason"], form.cleaned_data["notify"]
            self._run(
                request,
                queryset,
                service=lambda obj: services.invitation_decline(
                    request=obj, reviewer=request.user, reason=reason, notify=notify
                ),
                done="Declined" + (" and requester e-mailed" if notify else ""),
                failed="Nothing was changed: the request is still open.",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Decline invitation requests",
            "subtitle": None,
            "opts": self.opts,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "invitations/admin/decline.html", context)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """A read-only record: invitations are made, renewed and spent by the services."""

    list_display = ["email", "created_at", "sent_at", "send_count", "expires_at", "accepted_at"]
    list_select_related = ["request", "accepted_by"]
    search_fields = ["email", "request__name"]
    list_filter = ["accepted_at", "expires_at"]
    fields = [
        "request", "email", "created_at", "sent_at", "send_count",
        "expires_at", "accepted_at", "accepted_by",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


_VIDEO_TYPES = ["mp4", "webm", "m4v", "ogv"]


class ExplainerForm(forms.ModelForm):
    class Meta:
        model = Explainer
        fields = [
            "title", "video_file", "video_url", "poster",
            "captions", "captions_language", "transcript",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["video_file"].validators.append(FileExtensionValidator(_VIDEO_TYPES))
        self.fields["captions"].validators.append(FileExtensionValidator(["vtt"]))

    def clean_captions(self):
        captions = self.cleaned_data.get("captions")
        if isinstance(captions, UploadedFile):
            head = captions.read(16)
            captions.seek(0)
            # Browsers ignore a track that does not start with this signature.
            if not head.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
                raise ValidationError("This is not a WebVTT file: its first line must be “WEBVTT”.")
        return captions

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("video_file") and cleaned.get("video_url"):
            raise ValidationError("Give either a video file or a video address, not both.")
        return cleaned


@admin.register(Explainer)
class ExplainerAdmin(admin.ModelAdmin):
    form = ExplainerForm
    list_display = ["title", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title"]}),
        (
            "Video",
            {
                "fields": ["video_file", "video_url", "poster"],
                "description": "Until a video is given here (a file or an address), /about/ "
                "plays the explainer that ships with Pressimus, with its own captions and "
                "transcript.",
            },
        ),
        ("Captions and transcript", {"fields": ["captions", "captions_language", "transcript"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # /about/ shows one explainer: edit it rather than add a second.
        return super().has_add_permission(request) and not Explainer.objects.exists()

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        explainer = Explainer.objects.first()
        if explainer is not None and self.has_view_or_change_permission(request, explainer):
            return HttpResponseRedirect(
                reverse("admin:invitations_explainer_change", args=[explainer.pk])
            )
        return super().changelist_view(request, extra_context)
