"""The invitation a visitor has accepted, carried in their session until they sign up.

The token itself never enters the session (nor any other storage): accepting it stores
the invitation's id, so the sign-up page's URL, its Referer and the session table hold
nothing that could be replayed.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.http import HttpRequest

from invitations.models import Invitation

SESSION_KEY = "invitation_id"
_CACHE_ATTRIBUTE = "_pressimus_invitation"


def invitation_remember(request: HttpRequest, invitation: Invitation) -> None:
    request.session[SESSION_KEY] = invitation.pk
    # allauth marks this address verified when the account is made: the invitation
    # reached it, which is the proof a verification e-mail would ask for again.
    get_adapter(request).stash_verified_email(request, invitation.email)
    setattr(request, _CACHE_ATTRIBUTE, invitation)


def invitation_id_from_session(request: HttpRequest) -> int | None:
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, int) else None


def invitation_from_session(request: HttpRequest) -> Invitation | None:
    """The usable invitation this visitor accepted, if any (one query per request)."""
    if not hasattr(request, _CACHE_ATTRIBUTE):
        pk = invitation_id_from_session(request)
        invitation = (
            Invitation.objects.usable().select_related("request").filter(pk=pk).first()
            if pk is not None
            else None
        )
        setattr(request, _CACHE_ATTRIBUTE, invitation)
    return getattr(request, _CACHE_ATTRIBUTE)


def invitation_forget(request: HttpRequest, *, verified_email: bool = False) -> None:
    """Drop the accepted invitation from the session; with ``verified_email`` also the
    stashed address (when no account will be made with it)."""
    request.session.pop(SESSION_KEY, None)
    if verified_email:
        get_adapter(request).unstash_verified_email(request)
    if hasattr(request, _CACHE_ATTRIBUTE):
        delattr(request, _CACHE_ATTRIBUTE)
