"""The DCI endpoints under /dci/: they translate HTTP, nothing more. Every call is
authenticated (bearer token of a partner, with the endpoint's scope), its envelope checked
(dci.envelope, dci.signatures) and logged (dci.models.Transaction), whatever the outcome."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_view
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import access_for
from core.api.parsers import JSONParser

from . import api, auth, callbacks, openapi, search, services, signatures, subscriptions, txn_status
from .codes import Error, HeaderReason, Status
from .envelope import DciError, Envelope, check_batch, parse
from .models import Partner, Scope


class DciView(APIView):
    """A DCI endpoint: POST an envelope whose header action is `action`."""

    schema = openapi.DciSchema()
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = ()  # the body is read as the envelope (dci.envelope.parse)
    action: str = ""
    answer_action: str = ""
    scope: str = Scope.SEARCH
    sync: bool = True

    def post(self, request: Request) -> Response:
        try:
            partner = auth.authenticate(
                request.META.get("HTTP_AUTHORIZATION", ""), scope=self.scope
            )
        except DciError as error:
            return api.http_error(error)
        envelope: Envelope | None = None
        try:
            envelope = parse(request.body, action=self.action)
            signatures.verify(partner, envelope)
            self.check_parties(partner, envelope)
            with transaction.atomic():
                return self.handle(request, partner, envelope)
        except DciError as error:
            logged = services.log(
                partner,
                action=self.action,
                sync=self.sync,
                envelope=envelope,
                status="err",
                error_code=str(error.code),
            )
            return self.refuse(error, partner, logged.pk)

    def check_parties(self, partner: Partner, envelope: Envelope) -> None:
        if envelope.header["sender_id"] != partner.sender_id:
            raise DciError(
                Error.SENDER_ID_INVALID, gettext("sender_id is not this partner's."), status=403
            )
        receiver = envelope.header.get("receiver_id")
        if receiver and receiver != settings.DCI_REGISTRY_ID:
            raise DciError(
                Error.RECEIVER_ID_INVALID,
                gettext("receiver_id is not this registry (%(id)s).")
                % {"id": settings.DCI_REGISTRY_ID},
            )

    def refuse(self, error: DciError, partner: Partner, correlation_id) -> Response:
        if self.sync and str(error.code).startswith("rjct."):
            header = api.callback_header(
                self.answer_action,
                receiver_id=partner.sender_id,
                status=Status.REJECTED,
                reason=str(error.code),
                reason_message=error.message,
            )
            return api.envelope_response(header, None, status=error.status)
        return api.ack_error(error, correlation_id)

    def open_transaction(self, partner: Partner, envelope: Envelope, **fields: Any):
        """Log the call before acting on it: a message_id already acted on is refused."""
        try:
            return services.log(
                partner, action=self.action, sync=self.sync, envelope=envelope, **fields
            )
        except IntegrityError:
            raise DciError(
                HeaderReason.MESSAGE_ID_DUPLICATE,
                gettext("This message_id was received before."),
                status=409,
            ) from None

    def handle(self, request: Request, partner: Partner, envelope: Envelope) -> Response:
        raise NotImplementedError


@extend_schema_view(post=openapi.SYNC_SEARCH)
class SyncSearchView(DciView):
    """`POST /dci/registry/sync/search`: the search answered at once (on-search envelope)."""

    action, answer_action = "search", "on-search"

    def handle(self, request: Request, partner: Partner, envelope: Envelope) -> Response:
        items = check_batch(envelope, envelope.message.get("search_request"), "search_request")
        logged = self.open_transaction(partner, envelope, status=Status.SUCCEEDED)
        message, done = search.answer_logged(logged, envelope, items, request.path)
        header = api.callback_header(
            self.answer_action, receiver_id=partner.sender_id, total=len(items), completed=done
        )
        return api.envelope_response(header, message)


@extend_schema_view(post=openapi.SYNC_TXN_STATUS)
class SyncTxnStatusView(DciView):
    """`POST /dci/registry/sync/txn/status`: the status of the partner's own transactions."""

    action, answer_action = "txn-status", "txn-on-status"

    def handle(self, request: Request, partner: Partner, envelope: Envelope) -> Response:
        logged = self.open_transaction(partner, envelope, status=Status.SUCCEEDED)
        message = txn_status.answer(partner, envelope, logged.pk)
        header = api.callback_header(
            self.answer_action, receiver_id=partner.sender_id, total=1, completed=1
        )
        return api.envelope_response(header, message)


class TokenView(APIView):
    """`POST /dci/oauth2/client/token` (the standard's authz API): client credentials in a
    form (or JSON) body; a bearer token for the scopes asked, or all the partner's."""

    schema = openapi.DciSchema()
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (FormParser, JSONParser)  # the standard's form; JSON as a convenience
    scope = None

    @openapi.TOKEN
    def post(self, request: Request) -> Response:
        data = request.data if hasattr(request.data, "get") else {}
        try:
            token, key = auth.token_issue(
                client_id=data.get("client_id"),
                client_secret=data.get("client_secret"),
                grant_type=data.get("grant_type"),
                scope=data.get("scope") if isinstance(data.get("scope"), str) else None,
            )
        except DciError as error:
            return api.http_error(error)
        body = {
            "access_token": key,
            "token_type": "bearer",
            "expires_in": str(settings.DCI_TOKEN_SECONDS),
            "scope": " ".join(token.scopes),
        }
        response = Response(body)
        response["Cache-Control"] = "no-store"
        return response


# ---------------------------------------------------------------------------- async


class AsyncView(DciView):
    """An async endpoint: the call is checked, logged and acknowledged at once (`ACK`,
    correlation_id = the transaction); the answer goes to the call's `sender_uri` from a
    job (dci.callbacks), and only if the partner registered that address."""

    sync = False

    def handle(self, request: Request, partner: Partner, envelope: Envelope) -> Response:
        uri = envelope.header.get("sender_uri")
        if not isinstance(uri, str) or not services.callback_allowed(partner, uri):
            raise DciError(
                Error.SENDER_URI_INVALID,
                gettext("sender_uri must be one of the callback addresses you registered."),
            )
        logged = self.open_transaction(partner, envelope, status="ack", request=envelope.message)
        self.accept(partner, envelope, logged)
        callbacks.enqueue(logged)
        return api.ack(logged.pk)

    def accept(self, partner: Partner, envelope: Envelope, logged) -> None:
        """Check (and write) what the call asks for, before it is acknowledged."""


@extend_schema_view(post=openapi.SEARCH)
class SearchView(AsyncView):
    """`POST /dci/registry/search`: acknowledged; the results go to on-search."""

    action = "search"

    def accept(self, partner, envelope, logged) -> None:
        items = check_batch(envelope, envelope.message.get("search_request"), "search_request")
        logged.outcomes = [
            {"reference_id": search.reference_of(i), "status": Status.PENDING} for i in items
        ]
        logged.save(update_fields=["outcomes"])


@extend_schema_view(post=openapi.TXN_STATUS)
class TxnStatusView(AsyncView):
    """`POST /dci/registry/txn/status`: acknowledged; the status goes to txn/on-status."""

    action = "txn-status"

    def accept(self, partner, envelope, logged) -> None:
        txn_status.check(envelope)


@extend_schema_view(post=openapi.SUBSCRIBE)
class SubscribeView(AsyncView):
    """`POST /dci/registry/subscribe`: the subscriptions are written at once (a message is
    acted on once), acknowledged, and confirmed on on-subscribe."""

    action = "subscribe"
    scope = Scope.SUBSCRIBE

    def accept(self, partner, envelope, logged) -> None:
        items = check_batch(
            envelope, envelope.message.get("subscribe_request"), "subscribe_request"
        )
        logged.outcomes = subscriptions.subscribe(partner, access_for(partner.user), logged, items)
        logged.save(update_fields=["outcomes"])


@extend_schema_view(post=openapi.UNSUBSCRIBE)
class UnsubscribeView(AsyncView):
    """`POST /dci/registry/unsubscribe`: the subscriptions end at once; on-unsubscribe
    confirms."""

    action = "unsubscribe"
    scope = Scope.SUBSCRIBE

    def accept(self, partner, envelope, logged) -> None:
        codes = envelope.message.get("subscription_codes")
        if not isinstance(codes, list) or not 0 < len(codes) <= settings.DCI_MAX_BATCH:
            raise DciError(
                Error.REQUEST_BAD,
                gettext("subscription_codes is a list of 1 to %(max)s codes.")
                % {"max": settings.DCI_MAX_BATCH},
            )
        logged.outcomes = subscriptions.unsubscribe(partner, codes)
        logged.save(update_fields=["outcomes"])
