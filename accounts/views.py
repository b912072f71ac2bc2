from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import DeleteAccountForm, PreferencesForm, ProfileForm
from accounts.models import Profile
from accounts.services import account_delete, account_export, profile_prefilled, profile_update
from api.forms import ApiTokenForm
from api.models import ApiToken
from api.services import TooManyTokens, api_token_create, api_token_revoke
from streams.models import Entry
from streams.paging import page_from_request


def profile_detail(request: HttpRequest, handle: str) -> HttpResponse:
    profile = get_object_or_404(Profile, handle=handle)
    bylined = Entry.objects.listed_for(request.user).bylined(profile)
    page = page_from_request(request, bylined, for_display=True)
    return render(request, "accounts/profile_detail.html", {"profile": profile, "page": page})


def _submitted(request: HttpRequest, name: str) -> tuple[dict | None, dict | None]:
    """The POST data and files if the form called ``name`` was the one sent, else nothing."""
    if request.method == "POST" and request.POST.get("form") == name:
        return request.POST, request.FILES
    return None, None


@never_cache
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = Profile.objects.filter(user=user).first()
    data, files = _submitted(request, "profile")
    profile_form = ProfileForm(
        data, files, instance=profile or profile_prefilled(user=user), prefix="profile"
    )
    if profile_form.is_valid():
        try:
            profile_update(
                user=user,
                display_name=profile_form.cleaned_data["display_name"],
                handle=profile_form.cleaned_data["handle"],
                bio=profile_form.cleaned_data["bio"],
                website=profile_form.cleaned_data["website"],
                avatar=profile_form.cleaned_data["avatar"],
                remove_avatar=profile_form.cleaned_data["remove_avatar"],
            )
        except ValidationError as error:
            profile_form.add_error(None, error)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:settings")

    data, _ = _submitted(request, "preferences")
    preferences_form = PreferencesForm(data, instance=user, prefix="preferences")
    if preferences_form.is_valid():
        preferences_form.save()
        messages.success(request, "Your preferences are saved.")
        return redirect("accounts:settings")

    data, _ = _submitted(request, "api-token")
    api_token_form = ApiTokenForm(data, prefix="api-token")
    new_api_token = None
    if api_token_form.is_valid():
        try:
            new_api_token = api_token_create(user=user, name=api_token_form.cleaned_data["name"])
        except TooManyTokens as error:
            api_token_form.add_error(None, str(error))
        else:
            # Shown in the answer to this POST rather than after a redirect: the secret then
            # never rests anywhere, not even in the session.
            api_token_form = ApiTokenForm(prefix="api-token")

    return render(
        request,
        "accounts/settings.html",
        {
            "profile": profile,
            "profile_form": profile_form,
            "preferences_form": preferences_form,
            "api_token_form": api_token_form,
            "api_tokens": ApiToken.objects.active().of(user),
            "new_api_token": new_api_token,
            "site_time_zone": settings.TIME_ZONE,
        },
    )


@require_POST
@login_required
def export_data(request: HttpRequest) -> HttpResponse:
    data = account_export(user=request.user, site_url=request.build_absolute_uri("/")[:-1])
    name = (data["profile"] or {}).get("handle") or f"account-{request.user.pk}"
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pressimus-{name}-export.json"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, request=request)
    if form.is_valid():
        try:
            account_delete(user=request.user)
        except (ProtectedError, RestrictedError):
            form.add_error(
                None,
                "Your account is still needed by records in the back office, so it cannot be "
                "deleted here. Ask the staff to remove it.",
            )
        else:
            logout(request)
            messages.success(request, "Your account is deleted. Thank you for reading with us.")
            return redirect("streams:home")
    return render(request, "accounts/delete_account.html", {"form": form})


@require_POST
@login_required
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.active().of(request.user), pk=pk)
    api_token_revoke(token=token)
    messages.success(
        request, f"The token “{token.name}” is revoked: programs using it are refused."
    )
    return redirect(f"{reverse('accounts:settings')}#api-tokens")
