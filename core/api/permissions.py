from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import Perm, access_for


class AreaRolePermission(BasePermission):
    """Reads need `view`; writes need the view's `write_perm` (or `action_perms[action]`).

    Which rows are visible is decided by the area filter in `AreaScopedMixin`; this class
    decides whether the role may attempt the operation at all.
    """

    message = "Your role does not allow this operation."

    def has_permission(self, request, view) -> bool:
        access = access_for(request.user)
        action_perms = getattr(view, "action_perms", {})
        action = getattr(view, "action", None)
        if action in action_perms:
            perm = action_perms[action]
        elif request.method in SAFE_METHODS:
            perm = Perm.VIEW
        else:
            perm = getattr(view, "write_perm", None)
        return perm is not None and access.can(perm)
