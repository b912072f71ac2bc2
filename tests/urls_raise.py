"""The site's URLs plus one view that fails, to see the 500 page a reader gets."""

from __future__ import annotations

from django.urls import path

from pressimus.urls import handler404, handler500
from pressimus.urls import urlpatterns as site_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]


def broken_view(request):
    raise RuntimeError("A view that fails, for the 500 page test.")


urlpatterns = [path("boom/", broken_view, name="boom"), *site_urlpatterns]
