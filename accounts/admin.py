"""Officers issue and revoke API tokens here. The key is shown once, in a message; neither the
key nor its digest is ever shown afterwards. Who may: superusers, and users whose role has
`tokens_manage` (core.access), for users inside their area whose role can do nothing theirs
cannot (accounts.services.require_credentials_of): the list holds those users' tokens only,
and any other token is not found, as one that does not exist."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.access import Perm, access_for
from core.admin import refused
from core.errors import DomainError

from . import selectors, services
from .models import ApiToken, UserAccess

DETAIL_FIELDS = [
    "user",
    "name",
    "purpose",
    "prefix",
    "state",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
]


class TokenIssueForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "purpose", "expires_at"]

    def clean(self):
        data = super().clean()
        live = ApiToken.objects.filter(
            user=data.get("user"),
            name=(data.get("name") or "").strip(),
            purpose=data.get("purpose"),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        if live.exists():
            self.add_error("name", _("This client already has a live token for this purpose."))
        expires_at = data.get("expires_at")
        if expires_at and expires_at <= timezone.now():
            self.add_error("expires_at", _("Must be in the future."))
        return data


TOKEN_STATES = {
    "active": pgettext_lazy("token state", "Active"),
    "expired": pgettext_lazy("token state", "Expired"),
    "revoked": pgettext_lazy("token state", "Revoked"),
}


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return list(TOKEN_STATES.items())

    def queryset(self, request, queryset):
        now = timezone.now()
        live = Q(revoked_at__isnull=True)
        return {
            "active": queryset.filter(live, expires_at__gt=now),
            "expired": queryset.filter(live, expires_at__lte=now),
            "revoked": queryset.filter(revoked_at__isnull=False),
        }.get(self.value(), queryset)


class CredentialsAdmin(admin.ModelAdmin):
    """Pages of credentials (API tokens, DCI partners): open to roles that manage them
    (`Perm.TOKENS_MANAGE`); permissions come from the role table, not Django's per-model
    permissions."""

    def _access(self, request):
        return access_for(request.user)

    def has_module_permission(self, request) -> bool:
        return self._access(request).can(Perm.TOKENS_MANAGE)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of the service (one its form could not foresee: a token issued for the
        same client at the same moment) is a message, as on core.admin.RoleAdmin's pages."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # rolled back by the view's transaction
            self.message_user(request, refused(exc, self.model), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(ApiToken)
class ApiTokenAdmin(CredentialsAdmin):
    form = TokenIssueForm
    list_display = ["prefix", "user", "name", "purpose", "state", "expires_at", "last_used_at"]
    list_filter = [StateFilter, "purpose"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a token is revoked and a new one issued, never edited

    def has_revoke_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a token is revoked; its row stays as the record of who issued it

    def get_queryset(self, request):
        users = selectors.users_token_issuable(self._access(request))  # whose tokens one manages
        return (
            super()
            .get_queryset(request)
            .filter(user__in=users)
            .select_related("user", "created_by", "revoked_by")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = selectors.users_token_issuable(self._access(request)).order_by(
                "username"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        return {"expires_at": services.default_expiry(), **initial}

    def get_fields(self, request, obj=None):
        return DETAIL_FIELDS if obj else TokenIssueForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return DETAIL_FIELDS if obj else []

    @admin.display(description=_("state"))
    def state(self, obj: ApiToken) -> str:
        return TOKEN_STATES[obj.state()]

    def save_model(self, request, obj, form, change):
        token, key = services.token_issue(
            actor=request.user,
            user=obj.user,
            name=obj.name,
            purpose=obj.purpose,
            expires_at=obj.expires_at,
        )
        obj.pk, obj.prefix = token.pk, token.prefix  # the admin logs and links the new row
        messages.warning(
            request,
            gettext(
                "Key of the new token for %(user)s (%(name)s, %(purpose)s): %(key)s — copy it "
                "into the client now. It is not stored and will not be shown again."
            )
            % {
                "user": token.user,
                "name": token.name,
                "purpose": token.get_purpose_display(),
                "key": key,
            },
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                services.token_revoke(token=token, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.detail, messages.ERROR)
                continue
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", done) % {"n": done},
        )


class UserAccessInline(admin.StackedInline):
    model = UserAccess
    can_delete = False
    filter_horizontal = ["provinces", "communes", "villages"]
    verbose_name_plural = "area and role"


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)  # rights come from roles (core.access), not Django's groups


@admin.register(User)
class UserWithAccessAdmin(UserAdmin):
    """Users, their role and their area: the keys to everything else, so only superusers
    (national administrators) hand them out. A user is never deleted, only deactivated
    (`is_active`): the change history names who made each change, and a deleted user's
    changes would read as the system's (simple-history sets `history_user` to NULL)."""

    inlines = [*UserAdmin.inlines, UserAccessInline]
    list_display = [*UserAdmin.list_display, "role"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("role"))
    def role(self, obj):
        access = getattr(obj, "area_access", None)
        return access.get_role_display() if access else "—"
