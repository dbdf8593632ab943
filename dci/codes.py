"""The standard's code lists (SPDCI social registry API v1.0.0, `social_api_v1.0.0.yaml`):
what an answer may say, in the standard's own words. Human messages beside them are ours
(translated); the codes never are."""

from __future__ import annotations

from enum import StrEnum

VERSION = "1.0.0"  # the only protocol version this registry speaks


class Error(StrEnum):
    """`Error.code`: transport-level refusals, answered with `ack_status: ERR`."""

    REQUEST_BAD = "err.request.bad"
    UNAUTHORIZED = "err.request.unauthorized"
    FORBIDDEN = "err.request.forbidden"
    NOT_FOUND = "err.request.not_found"
    VERSION_NOT_SUPPORTED = "err.version.not_supported"
    TOO_MANY_REQUESTS = "err.request.too_many_requests"
    SENDER_ID_INVALID = "err.sender_id.invalid"
    SENDER_URI_INVALID = "err.sender_uri.invalid"
    RECEIVER_ID_INVALID = "err.receiver_id.invalid"
    SIGNATURE_MISSING = "err.signature.missing"
    SIGNATURE_INVALID = "err.signature.invalid"
    ENCRYPTION_INVALID = "err.encryption.invalid"


class HeaderReason(StrEnum):
    """`MsgHeaderStatusReasonCode`: a header the registry will not act on."""

    VERSION_INVALID = "rjct.version.invalid"
    MESSAGE_ID_DUPLICATE = "rjct.message_id.duplicate"
    MESSAGE_TS_INVALID = "rjct.message_ts.invalid"
    ACTION_INVALID = "rjct.action.invalid"
    ACTION_NOT_SUPPORTED = "rjct.action.not_supported"
    TOTAL_COUNT_INVALID = "rjct.total_count.invalid"
    TOTAL_COUNT_LIMIT_EXCEEDED = "rjct.total_count.limit_exceeded"


class SearchReason(StrEnum):
    """`SearchStatusReasonCode`: one search request of a batch refused."""

    REFERENCE_ID_INVALID = "rjct.reference_id.invalid"
    REFERENCE_ID_DUPLICATE = "rjct.reference_id.duplicate"
    TIMESTAMP_INVALID = "rjct.timestamp.invalid"
    SEARCH_CRITERIA_INVALID = "rjct.search_criteria.invalid"
    FILTER_INVALID = "rjct.filter.invalid"
    SORT_INVALID = "rjct.sort.invalid"
    PAGINATION_INVALID = "rjct.pagination.invalid"
    TOO_MANY_RECORDS = "rjct.search.too_many_records_found"


class SubscribeReason(StrEnum):
    """`SubscribeStatusReasonCode`."""

    REFERENCE_ID_INVALID = "rjct.reference_id.invalid"
    REFERENCE_ID_DUPLICATE = "rjct.reference_id.duplicate"
    TIMESTAMP_INVALID = "rjct.timestamp.invalid"
    NOTIFY_TYPES_INVALID = "rjct.notify_types.invalid"
    NOTIFY_DETAILS_INVALID = "rjct.notify_details.invalid"
    ALREADY_SUBSCRIBED = "rjct.event.already_subscribed"


class UnsubscribeReason(StrEnum):
    """`UnSubscribeStatusReasonCode`."""

    SUBSCRIPTION_CODE_INVALID = "rjct.subscription_code.invalid"
    REQUESTER_INVALID = "rjct.requester.invalid"
    ALREADY_UNSUBSCRIBED = "rjct.event.already_unsubscribed"


class Status(StrEnum):
    """`RequestStatus`: received, pending, succeeded, rejected."""

    RECEIVED = "rcvd"
    PENDING = "pdng"
    SUCCEEDED = "succ"
    REJECTED = "rjct"


class Ack(StrEnum):
    ACK = "ACK"
    NACK = "NACK"
    ERR = "ERR"
