"""DCI partners in the admin: registered, changed and given a new client secret by
superusers and province officers (`tokens_manage`), for service users inside their area
whose role can do nothing theirs cannot (the rule of API tokens), through dci.services: the
list holds those users' partners only, and any other partner is not found. The secret is
shown once, in a message. The transaction log is read here by auditors (`audit_reads`),
read-only, for the partners of their area."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.admin import CredentialsAdmin
from core.access import Perm
from core.admin import RoleAdmin
from core.errors import DomainError

from . import services
from .models import Partner, Scope, Transaction

EDITABLE = [
    "name",
    "sender_id",
    "scopes",
    "callback_uris",
    "public_key",
    "signature_required",
    "active",
]


class LinesField(forms.CharField):
    """A list of text lines (the callback URIs), one per line."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 80})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class PartnerForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    callback_uris = LinesField(label=_("callback URIs"), required=False)

    class Meta:
        model = Partner
        fields = ["user", *EDITABLE]

    def clean(self):
        data = super().clean()
        try:
            services.clean_partner({name: data.get(name) for name in EDITABLE})
        except DomainError as error:
            for name, reasons in error.fields.items():
                self.add_error(name if name in self.fields else None, reasons)
            if not error.fields:
                self.add_error(None, error.detail)
        return data


@admin.register(Partner)
class PartnerAdmin(CredentialsAdmin):
    form = PartnerForm
    list_display = ["name", "client_id", "sender_id", "user", "active", "signature_required"]
    list_filter = ["active"]
    search_fields = ["name", "client_id", "sender_id"]
    readonly_fields = ["client_id", "secret_prefix", "created_at", "created_by"]
    actions = ["new_secret"]

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_new_secret_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a partner is deactivated; its log stays

    def get_queryset(self, request):
        users = selectors.users_token_issuable(self._access(request))  # whose partners one manages
        return super().get_queryset(request).filter(user__in=users).select_related("user")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = selectors.users_token_issuable(self._access(request)).order_by(
                "username"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        return [*self.readonly_fields, "user", *EDITABLE] if obj else ["user", *EDITABLE]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj else []

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data.get(name) for name in EDITABLE}
        if change:
            services.partner_update(actor=request.user, partner=obj, **values)
            return
        partner, secret = services.partner_register(
            actor=request.user, user=form.cleaned_data["user"], **values
        )
        obj.pk = partner.pk  # the admin logs and links the new row
        self._show_secret(request, partner, secret)

    def _show_secret(self, request, partner, secret) -> None:
        self.message_user(
            request,
            _("Client ID %(client)s, client secret (shown once): %(secret)s")
            % {"client": partner.client_id, "secret": secret},
            messages.WARNING,
        )

    @admin.action(description=_("Issue a new client secret"), permissions=["new_secret"])
    def new_secret(self, request, queryset):
        for partner in queryset:
            try:
                secret = services.partner_new_secret(actor=request.user, partner=partner)
            except DomainError as error:
                self.message_user(request, error.detail, messages.ERROR)
                continue
            self._show_secret(request, partner, secret)


@admin.register(Transaction)
class TransactionAdmin(RoleAdmin):
    """Every DCI call: partner, action, status and what was returned (counts and ids)."""

    list_display = [
        "at",
        "partner",
        "action",
        "sync",
        "transaction_id",
        "status",
        "error_code",
        "records",
    ]
    list_filter = ["action", "status", "sync"]
    list_select_related = ["partner"]
    search_fields = ["transaction_id", "message_id"]
    readonly_fields = [f.name for f in Transaction._meta.fields]
    date_hierarchy = "at"
    view_perm = Perm.AUDIT_READS

    def get_queryset(self, request):
        users = selectors.users_in_area(self.access(request))
        return super().get_queryset(request).filter(partner__user__in=users)
