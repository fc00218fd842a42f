"""Roles and access rules: default-deny, with explicit per-view allowances."""

import enum
from collections.abc import Callable

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user


class Role(enum.StrEnum):
    """The five roles; each user has exactly one."""

    ADMIN = "admin"
    TREASURER = "treasurer"
    BOARD = "board"
    # the auditors (Kassenprüfer): read like the board, plus the audit trail and the year export
    AUDITOR = "auditor"
    MEMBER = "member"


ANY_ROLE = "*"

# Who may read the books, and who may write them.
BOOK_READERS = (Role.ADMIN, Role.TREASURER, Role.BOARD, Role.AUDITOR)
BOOK_WRITERS = (Role.TREASURER,)
AUDIT_READERS = (Role.ADMIN, Role.TREASURER, Role.AUDITOR)


def role_required(*roles: Role | str) -> Callable:
    """Allow a view for logged-in users with one of `roles` (others get 403)."""

    def decorator(view: Callable) -> Callable:
        view._allowed_roles = frozenset(str(r) for r in roles)
        return view

    return decorator


def login_required_any_role(view: Callable) -> Callable:
    """Allow a view for every logged-in user, whatever the role."""
    view._allowed_roles = frozenset({ANY_ROLE})
    return view


def public(view: Callable) -> Callable:
    """Allow a view without login (login page, health check, language switch)."""
    view._public = True
    return view


def allowed_roles(view: Callable) -> frozenset[str] | None:
    """The roles a view allows, or None when it declares nothing (then it is denied)."""
    while view is not None:
        roles = getattr(view, "_allowed_roles", None)
        if roles is not None:
            return roles
        view = getattr(view, "__wrapped__", None)
    return None


def is_public(view: Callable) -> bool:
    """True when a view is on the explicit allow-list for anonymous visitors."""
    while view is not None:
        if getattr(view, "_public", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def user_has_role(user, *roles: Role) -> bool:
    """True when `user` is logged in with one of `roles`."""
    return bool(user and user.is_authenticated and user.role in roles)


def _roles_allow(roles: frozenset[str] | None, user) -> bool:
    """True when a view's declared roles admit `user` (no declaration: nobody)."""
    if roles is None:
        return False
    return ANY_ROLE in roles or str(user.role) in roles


def can_access(user, endpoint: str) -> bool:
    """True when `user` may open `endpoint`: the same rule the request hook enforces.

    Navigation and shortcuts ask this instead of repeating role lists in templates.
    """
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    if is_public(view):
        return True
    return bool(user and user.is_authenticated) and _roles_allow(allowed_roles(view), user)


def install_access_control(app: Flask) -> None:
    """Deny every request unless its view is public or allows the user's role."""

    @app.before_request
    def default_deny():
        endpoint = request.endpoint
        if endpoint is None:
            return None  # routing fails: the 404/405 handlers answer
        if endpoint == "static" or endpoint.endswith(".static"):
            return None
        view = app.view_functions.get(endpoint)
        if view is None or is_public(view):
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not _roles_allow(allowed_roles(view), current_user):
            abort(403)
        return None


# Object rules -----------------------------------------------------------------


def can_write_books(user) -> bool:
    """Only the treasurer records and reverses bookings."""
    return user_has_role(user, *BOOK_WRITERS)


def can_reverse_booking(user, booking) -> bool:
    """A treasurer may reverse a booking that is neither a reversal nor reversed already."""
    return can_write_books(user) and not booking.is_reversal and booking.reversed_by is None


def can_read_books(user) -> bool:
    """Admins, treasurers, the board and the auditors read the books."""
    return user_has_role(user, *BOOK_READERS)


def has_member_portal(user) -> bool:
    """Members, and anyone whose login belongs to a person, have "Mein Konto"."""
    if not (user and user.is_authenticated) or not can_access(user, "portal.account"):
        return False
    return user.role == Role.MEMBER or user.person_id is not None
