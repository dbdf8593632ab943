"""The /dci/ endpoints in openapi.yaml: the standard's envelopes (summarised: the full
schemas are the standard's, `social_api_v1.0.0.yaml` of spdci/standards), its
acknowledgement and HTTP error forms, and who may call (partners by scope, inside the area
of their service user). No problem details here: DCI answers in the standard's forms."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from core.api.schema import AutoSchema

STANDARD = "SPDCI social registry API v1.0.0 (`social_api_v1.0.0.yaml`, spdci/standards)"
OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
TEXT = {"type": "string"}

HEADER = {
    "type": "object",
    "description": "MsgHeader: `message_id`, `message_ts` (ISO 8601 with offset), `action`, "
    "`sender_id` (yours), `total_count` (requests in the message) required; `version` 1.0.0; "
    "`receiver_id` this registry's (`DCI_REGISTRY_ID`) when sent; `sender_uri` one of your "
    "registered callback addresses (async calls).",
    "required": ["message_id", "message_ts", "action", "sender_id", "total_count"],
    "properties": {
        "version": TEXT,
        "message_id": TEXT,
        "message_ts": {"type": "string", "format": "date-time"},
        "action": TEXT,
        "sender_id": TEXT,
        "sender_uri": TEXT,
        "receiver_id": TEXT,
        "total_count": {"type": "integer", "minimum": 0, "maximum": 1000},
        "is_msg_encrypted": {"type": "boolean"},
        "meta": OBJECT,
    },
}


def envelope(message: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"The standard's envelope; `message` is a {message} ({STANDARD}).",
        "required": ["header", "message"],
        "properties": {
            "signature": {
                "type": "string",
                "description": "MsgSignature (Ed25519; docs/security.md): checked when your "
                "key is registered, required when your partner is set to sign.",
            },
            "header": HEADER,
            "message": {**OBJECT, "description": message},
        },
    }


def answer(action: str, message: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"MsgCallbackHeader (action `{action}`, `status` rcvd/pdng/succ/rjct, "
        f"`status_reason_code` from MsgHeaderStatusReasonCode) and a {message}.",
        "required": ["header"],
        "properties": {
            "signature": {
                "type": "string",
                "description": "MsgSignature (Ed25519; docs/security.md) by the registry's "
                "key, whose public half (`manage.py dci_signing_key`) the registry gives you; "
                "absent only where the registry has no key.",
            },
            "header": OBJECT,
            "message": OBJECT,
        },
    }


ACK = {
    "type": "object",
    "description": "The standard's acknowledgement: `ack_status` ACK (the answer follows on "
    "your sender_uri) or ERR with `error.code` from the standard's Error list.",
    "required": ["message"],
    "properties": {
        "message": {
            "type": "object",
            "required": ["ack_status", "timestamp", "correlation_id"],
            "properties": {
                "ack_status": {"type": "string", "enum": ["ACK", "NACK", "ERR"]},
                "timestamp": {"type": "string", "format": "date-time"},
                "correlation_id": TEXT,
                "error": {
                    "type": "object",
                    "properties": {"code": TEXT, "message": TEXT},
                },
            },
        }
    },
}
HTTP_ERROR = {
    "type": "object",
    "description": "The standard's HttpErrorResponse: `errors[].code` is "
    "`err.request.unauthorized` (401) or `err.request.forbidden` (403).",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"code": TEXT, "message": TEXT}},
        }
    },
}
BAD = OpenApiResponse(
    {"anyOf": [ACK, OBJECT]},
    description="The envelope was refused: ERR with the standard's code (`err.request.bad`, "
    "`err.version.not_supported`, `err.signature.missing`, `err.signature.invalid`, "
    "`err.sender_id.invalid`, `err.receiver_id.invalid`, `err.sender_uri.invalid`, "
    "`err.encryption.invalid`), or, on sync endpoints, an answer whose header is `rjct` with "
    "a MsgHeaderStatusReasonCode (`rjct.action.invalid`, `rjct.message_ts.invalid`, "
    "`rjct.total_count.invalid`, `rjct.total_count.limit_exceeded`).",
)
REFUSED = {
    401: OpenApiResponse(
        {"anyOf": [HTTP_ERROR, ACK]},
        description="No valid bearer token (HttpErrorResponse), or a signature missing or "
        "not verifying (ERR `err.signature.missing`, `err.signature.invalid`).",
    ),
    403: OpenApiResponse(
        {"anyOf": [HTTP_ERROR, ACK]},
        description="The token lacks the scope, or the partner may not read "
        "(HttpErrorResponse); or sender_id is not yours (ERR `err.sender_id.invalid`).",
    ),
}
DUPLICATE = OpenApiResponse(
    {"anyOf": [ACK, OBJECT]},
    description="The message_id was acted on before (`rjct.message_id.duplicate`).",
)


class DciSchema(AutoSchema):
    """Partners call these with a bearer token; the area is their service user's."""

    def _error_codes(self) -> list[str]:
        return []  # the standard's forms, declared per operation

    def _roles(self) -> str:
        scope = getattr(self.view, "scope", None)
        if scope is None:
            return "**Roles:** DCI partners (client credentials)."
        return (
            f"**Roles:** DCI partners, with a bearer token holding the scope `{scope}` "
            "(`POST /dci/oauth2/client/token`); a user's API token is refused (401)."
        )

    def _area(self) -> str:
        if getattr(self.view, "scope", None) is None:
            return "**Area:** none: the token carries the partner's scopes."
        return (
            "**Area:** the partner's service user's area: a household or person outside it is "
            "not found, exactly like one that does not exist."
        )

    def get_tags(self) -> list[str]:
        return ["dci"]


def sync_endpoint(message: str, action: str, answer_message: str, example: dict):
    return extend_schema(
        request={"application/json": envelope(message)},
        responses={
            200: OpenApiResponse(answer(action, answer_message), description="The answer."),
            400: BAD,
            **REFUSED,
            404: OpenApiResponse(ACK, description="No such transaction of yours."),
            409: DUPLICATE,
        },
        examples=[OpenApiExample("request", value=example, request_only=True)],
    )


def async_endpoint(message: str, callback: str, example: dict):
    return extend_schema(
        request={"application/json": envelope(message)},
        responses={
            200: OpenApiResponse(
                ACK, description=f"ACK: the answer is POSTed to your sender_uri ({callback})."
            ),
            400: BAD,
            **REFUSED,
            409: DUPLICATE,
        },
        examples=[OpenApiExample("request", value=example, request_only=True)],
    )


TOKEN_REQUEST = {
    "type": "object",
    "required": ["grant_type", "client_id", "client_secret"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": TEXT,
        "client_secret": TEXT,
        "scope": {
            "type": "string",
            "description": "Space-separated; default: all the partner's (`registry.search`, "
            "`registry.subscribe`).",
        },
    },
}
TOKEN = extend_schema(
    request={
        "application/x-www-form-urlencoded": TOKEN_REQUEST,
        "application/json": TOKEN_REQUEST,
    },
    responses={
        (200, "application/json"): OpenApiResponse(
            {
                "type": "object",
                "required": ["access_token", "token_type", "expires_in", "scope"],
                "properties": {
                    "access_token": TEXT,
                    "token_type": {"type": "string", "enum": ["bearer"]},
                    "expires_in": {"type": "string", "description": "Seconds."},
                    "scope": TEXT,
                },
            },
            description="A bearer token (OAuth2ClientTokenResponse, the standard's authz API).",
        ),
        (400, "application/json"): OpenApiResponse(
            HTTP_ERROR, description="Not client_credentials, or a scope not granted."
        ),
        (400, "application/problem+json"): OpenApiResponse(
            OBJECT,
            description="A form field with a NUL character or invalid UTF-8, refused before "
            "it is read (problem details, core.api.limits).",
        ),
        (415, "application/problem+json"): OpenApiResponse(
            OBJECT, description="Neither a form nor a JSON body (problem details)."
        ),
        (401, "application/json"): OpenApiResponse(
            HTTP_ERROR, description="Unknown client or wrong secret."
        ),
    },
)


def _example(action: str, message: dict[str, Any], sender_uri: str | None = None) -> dict:
    header = {
        "version": "1.0.0",
        "message_id": "0c96614c-7255-4774-b109-cd53ee851769",
        "message_ts": "2026-11-20T09:15:04.555+07:00",
        "action": action,
        "sender_id": "openspp-qn",
        "receiver_id": "vn-poverty-registry",
        "total_count": 1,
    }
    if sender_uri:
        header["sender_uri"] = sender_uri
    return {"header": header, "message": message}


SEARCH_MESSAGE = {
    "transaction_id": "T-2026-0001",
    "search_request": [
        {
            "reference_id": "R-1",
            "timestamp": "2026-11-20T09:15:04+07:00",
            "search_criteria": {
                "version": "1.0.0",
                "query_type": "predicate",
                "response_entity": "Group",
                "query": [
                    {
                        "seq_num": 1,
                        "expression1": {
                            "attribute_name": "commune_code",
                            "operator": "eq",
                            "attribute_value": "06652",
                        },
                        "condition": "and",
                        "expression2": {
                            "attribute_name": "poverty_status",
                            "operator": "in",
                            "attribute_value": ["poor", "near_poor"],
                        },
                    }
                ],
                "pagination": {"page_size": 20, "page_number": 1},
            },
            "locale": "vie",
        }
    ],
}
STATUS_MESSAGE = {
    "transaction_id": "T-2026-0002",
    "txnstatus_request": {
        "reference_id": "S-1",
        "txn_type": "search",
        "attribute_type": "transaction_id",
        "attribute_value": "T-2026-0001",
    },
}
SUBSCRIBE_MESSAGE = {
    "transaction_id": "T-2026-0003",
    "subscribe_request": [
        {
            "reference_id": "S-1",
            "timestamp": "2026-11-20T09:15:04+07:00",
            "subscribe_criteria": {
                "reg_event_type": "UPDATE",
                "filter_type": "idtype-value",
                "filter": {"type": "HOUSEHOLD_CODE", "value": "06652-000001"},
                "notify_record_type": "Group",
            },
        }
    ],
}
UNSUBSCRIBE_MESSAGE = {
    "transaction_id": "T-2026-0004",
    "timestamp": "2026-11-20T09:15:04+07:00",
    "subscription_codes": ["0193c0de-7e57-7000-8000-000000000001"],
}
CALLBACK = "https://openspp.example.org/dci/callback"

SYNC_SEARCH = sync_endpoint(
    "SearchRequest",
    "on-search",
    "SearchResponse (SRGroup or SRMember records)",
    _example("search", SEARCH_MESSAGE),
)
SYNC_TXN_STATUS = sync_endpoint(
    "TxnStatusRequest",
    "txn-on-status",
    "TxnStatusResponse (statuses, never records)",
    _example("txn-status", STATUS_MESSAGE),
)
SEARCH = async_endpoint("SearchRequest", "on-search", _example("search", SEARCH_MESSAGE, CALLBACK))
TXN_STATUS = async_endpoint(
    "TxnStatusRequest", "txn/on-status", _example("txn-status", STATUS_MESSAGE, CALLBACK)
)
SUBSCRIBE = async_endpoint(
    "SubscribeRequest",
    "on-subscribe; then notify",
    _example("subscribe", SUBSCRIBE_MESSAGE, CALLBACK),
)
UNSUBSCRIBE = async_endpoint(
    "UnSubscribeRequest", "on-unsubscribe", _example("unsubscribe", UNSUBSCRIBE_MESSAGE, CALLBACK)
)
