from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.models import Profile
from streams.models import ENTRY_DISPLAY_PREFETCHES, Byline, Entry
from streams.paging import page_from_request


def profile_detail(request: HttpRequest, handle: str) -> HttpResponse:
    profile = get_object_or_404(Profile, handle=handle)
    bylined = (
        Entry.objects.published()
        .in_public_streams()
        .filter(pk__in=Byline.objects.filter(profile=profile).values("entry_id"))
        .with_stream()
    )
    page = page_from_request(request, bylined)
    prefetch_related_objects(page.entries, *ENTRY_DISPLAY_PREFETCHES)
    return render(request, "accounts/profile_detail.html", {"profile": profile, "page": page})
