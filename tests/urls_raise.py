"""The site's URLs plus one view that fails, to see the 500 page a reader gets."""

from __future__ import annotations

from django.db import IntegrityError
from django.db.utils import InterfaceError, OperationalError
from django.urls import path

from pressimus.urls import handler404, handler500
from pressimus.urls import urlpatterns as site_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]


def broken_view(request):
    raise RuntimeError("A view that fails, for the 500 page test.")


def database_down_view(request):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def connection_closed_view(request):
    try:
        raise InterfaceError("connection already closed")
    except InterfaceError as error:
        raise RuntimeError("A library wrapped the database error.") from error


def bug_while_handling_an_outage_view(request):
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        return {}["a bug in the fallback"]


def integrity_error_view(request):
    raise IntegrityError("duplicate key value violates unique constraint")


urlpatterns = [
    path("boom/", broken_view, name="boom"),
    path("database-down/", database_down_view),
    path("connection-closed/", connection_closed_view),
    path("integrity-error/", integrity_error_view),
    path("bug-during-outage/", bug_while_handling_an_outage_view),
    *site_urlpatterns,
]
