from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import Perm, access_for, refusal_message


def required_perm(request, view) -> Perm | None:
    """The permission the request needs: the action's (`action_perms`), `view` to read, the
    view's `write_perm` to write; None when nobody may."""
    action_perms = getattr(view, "action_perms", {})
    action = getattr(view, "action", None)
    if action in action_perms:
        return action_perms[action]
    if request.method in SAFE_METHODS:
        return Perm.VIEW
    return getattr(view, "write_perm", None)


class AreaRolePermission(BasePermission):
    """Reads need `view`; writes need the view's `write_perm` (or `action_perms[action]`).

    Which rows are visible is decided by the area filter in `AreaScopedMixin`; this class
    decides whether the role may attempt the operation at all. A refusal names the roles
    that may (`core.access.refusal_message`).
    """

    message = gettext_lazy("Your role does not allow this operation.")

    def has_permission(self, request, view) -> bool:
        perm = required_perm(request, view)
        if perm is not None and access_for(request.user).can(perm):
            return True
        if perm is not None:
            self.message = refusal_message(perm)
        return False
