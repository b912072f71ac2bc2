from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.models import Profile
from streams.models import Entry
from streams.paging import page_from_request


def profile_detail(request: HttpRequest, handle: str) -> HttpResponse:
    profile = get_object_or_404(Profile, handle=handle)
    bylined = Entry.objects.listed_for(request.user).bylined(profile)
    page = page_from_request(request, bylined, for_display=True)
    return render(request, "accounts/profile_detail.html", {"profile": profile, "page": page})
