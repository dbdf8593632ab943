"""DCI foundation: client-credentials tokens, the bearer check (401/403 in the standard's
error form), the envelope's rules (the standard's codes), signatures, and the log."""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from core.errors import InvalidInput, NotAllowed
from core.models import PersonalDataRead
from dci import services
from dci.models import PartnerToken, Transaction
from tests import factories as f

from .conftest import (
    client,
    make_partner,
    post,
    search_envelope,
    search_item,
    sign,
    token,
    validate,
    verify_ours,
)

pytestmark = pytest.mark.django_db
SEARCH = "registry/sync/search"


@pytest.fixture
def partner(ward):
    return make_partner(communes=[ward])


def by_code(household_code: str):
    return search_item("idtype-value", {"type": "HOUSEHOLD_CODE", "value": household_code})


# ---------------------------------------------------------------------------- tokens


def test_client_credentials_give_an_expiring_bearer_token_stored_as_a_digest(partner):
    p, secret = partner
    r = APIClient().post(
        "/dci/oauth2/client/token",
        {"grant_type": "client_credentials", "client_id": p.client_id, "client_secret": secret},
    )
    assert r.status_code == 200
    body = r.json()
    validate(body, "OAuth2ClientTokenResponse")
    assert body["token_type"] == "bearer" and body["expires_in"] == "3600"
    assert body["scope"] == "registry.search registry.subscribe"
    assert r["Cache-Control"] == "no-store"
    stored = PartnerToken.objects.get(partner=p)
    assert body["access_token"] not in (stored.digest, stored.prefix)
    assert not PartnerToken.objects.filter(digest=body["access_token"]).exists()
    assert secret not in json.dumps(list(type(p).objects.values()), default=str)


@pytest.mark.parametrize(
    "change, status, code",
    [
        ({"client_secret": "dcs_wrong"}, 401, "err.request.unauthorized"),
        ({"client_id": "dci-unknown"}, 401, "err.request.unauthorized"),
        ({"grant_type": "password"}, 400, "err.request.bad"),
        ({"scope": "registry.search mapper.link"}, 400, "err.request.forbidden"),
    ],
)
def test_bad_client_credentials_are_refused_in_the_standard_error_form(
    partner, change, status, code
):
    p, secret = partner
    body = {"grant_type": "client_credentials", "client_id": p.client_id, "client_secret": secret}
    r = APIClient().post("/dci/oauth2/client/token", {**body, **change})
    assert r.status_code == status
    validate(r.json(), "HttpErrorResponse")
    assert r.json()["errors"][0]["code"] == code
    assert not PartnerToken.objects.exists()


def test_an_unknown_client_and_a_wrong_secret_get_the_same_answer(partner):
    p, _secret = partner
    base = {"grant_type": "client_credentials"}
    a = APIClient().post(
        "/dci/oauth2/client/token", {**base, "client_id": p.client_id, "client_secret": "x"}
    )
    b = APIClient().post(
        "/dci/oauth2/client/token", {**base, "client_id": "nobody", "client_secret": "x"}
    )
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


def test_an_inactive_partner_gets_no_token(partner):
    p, secret = partner
    p.active = False
    p.save()
    r = APIClient().post(
        "/dci/oauth2/client/token",
        {"grant_type": "client_credentials", "client_id": p.client_id, "client_secret": secret},
    )
    assert r.status_code == 401


# ---------------------------------------------------------------------------- bearer


def _error(r, status: int, code: str):
    assert r.status_code == status, r.content
    validate(r.json(), "HttpErrorResponse")
    assert r.json()["errors"][0]["code"] == code


def test_no_token_a_bad_one_or_a_user_api_token_answer_401(partner, ward):
    p, _ = partner
    body = search_envelope(p, by_code("x"))
    _error(post(APIClient(), SEARCH, body), 401, "err.request.unauthorized")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer dct_nope")
    _error(post(bad, SEARCH, body), 401, "err.request.unauthorized")
    officer = f.client_for(f.user(Role.PROVINCE_OFFICER, provinces=["22"]))
    _error(post(officer, SEARCH, body), 401, "err.request.unauthorized")
    assert post(APIClient(), SEARCH, body)["WWW-Authenticate"].startswith("Bearer")
    assert not Transaction.objects.exists()  # nobody to log it against


def test_an_expired_or_revoked_token_answers_401(partner):
    p, secret = partner
    c = client(p, secret)
    PartnerToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    _error(post(c, SEARCH, search_envelope(p, by_code("x"))), 401, "err.request.unauthorized")
    c = client(p, secret)
    PartnerToken.objects.update(revoked_at=timezone.now())
    _error(post(c, SEARCH, search_envelope(p, by_code("x"))), 401, "err.request.unauthorized")


def test_a_token_without_the_scope_answers_403(ward):
    p, secret = make_partner(communes=[ward], scopes=("registry.subscribe",))
    c = client(p, secret)
    _error(post(c, SEARCH, search_envelope(p, by_code("x"))), 403, "err.request.forbidden")
    p2, secret2 = make_partner(communes=[ward])
    c2 = client(p2, secret2, scope="registry.subscribe")  # asked for less than granted
    _error(post(c2, SEARCH, search_envelope(p2, by_code("x"))), 403, "err.request.forbidden")


def test_a_partner_whose_user_may_not_read_answers_403(ward):
    p, secret = make_partner(communes=[ward], role=None)
    _error(
        post(client(p, secret), SEARCH, search_envelope(p, by_code("x"))),
        403,
        "err.request.forbidden",
    )


# ---------------------------------------------------------------------------- the envelope


def _err(r, code: str, status: int = 400):
    assert r.status_code == status, r.content
    validate(r.json(), "Response")
    message = r.json()["message"]
    assert message["ack_status"] == "ERR" and message["error"]["code"] == code
    return message


def _rjct(r, code: str, status: int = 400):
    assert r.status_code == status, r.content
    validate(r.json(), "OnSearch")
    head = r.json()["header"]
    assert head["status"] == "rjct" and head["status_reason_code"] == code
    return head


def test_malformed_envelopes_get_err_request_bad(partner):
    p, secret = partner
    c = client(p, secret)
    good = search_envelope(p, by_code("x"))
    no_message_id = json.loads(json.dumps(good))
    del no_message_id["header"]["message_id"]
    no_message = {"header": good["header"]}
    bad_txn = {**good, "message": {**good["message"], "transaction_id": 5}}
    for body in (
        {},
        [],
        None,
        "text",
        {"message": good["message"]},
        no_message_id,
        no_message,
        bad_txn,
    ):
        _err(post(c, SEARCH, body), "err.request.bad")
    r = c.post(f"/dci/{SEARCH}", data=b"{not json", content_type="application/json")
    _err(r, "err.request.bad")
    no_list = {**good, "message": {"transaction_id": "t"}}
    _err(post(c, SEARCH, no_list), "err.request.bad")


def test_header_rules_answer_the_standard_codes(partner):
    p, secret = partner
    c = client(p, secret)

    def env(**change):
        e = search_envelope(p, by_code("x"))
        e["header"].update(change)
        return e

    _err(post(c, SEARCH, env(version="2.0.0")), "err.version.not_supported")
    _err(post(c, SEARCH, env(is_msg_encrypted=True)), "err.encryption.invalid")
    _err(post(c, SEARCH, env(sender_id="someone-else")), "err.sender_id.invalid", 403)
    _err(post(c, SEARCH, env(receiver_id="another-registry")), "err.receiver_id.invalid")
    _rjct(post(c, SEARCH, env(action="subscribe")), "rjct.action.invalid")
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    for ts in ("2024-01-01T10:00:00", "yesterday", future, 20240101, "1800-01-01T00:00:00Z"):
        _rjct(post(c, SEARCH, env(message_ts=ts)), "rjct.message_ts.invalid")
    _rjct(post(c, SEARCH, env(total_count=3)), "rjct.total_count.invalid")
    _rjct(post(c, SEARCH, env(total_count="x")), "rjct.total_count.invalid")


def test_too_many_requests_in_one_message(partner, settings):
    settings.DCI_MAX_BATCH = 2
    p, secret = partner
    items = [by_code("x") | {"reference_id": f"r{i}"} for i in range(3)]
    _rjct(
        post(client(p, secret), SEARCH, search_envelope(p, *items)),
        "rjct.total_count.limit_exceeded",
    )


def test_the_same_message_id_is_acted_on_once(partner):
    p, secret = partner
    c = client(p, secret)
    body = search_envelope(p, by_code("x"))
    assert post(c, SEARCH, body).status_code == 200
    _rjct(post(c, SEARCH, body), "rjct.message_id.duplicate", 409)
    assert Transaction.objects.filter(status="succ").count() == 1


def test_a_refused_message_may_be_sent_again_with_the_same_message_id(partner):
    p, secret = partner
    c = client(p, secret)
    body = search_envelope(p, by_code("x"))
    body["header"]["version"] = "9"
    _err(post(c, SEARCH, body), "err.version.not_supported")
    body["header"]["version"] = "1.0.0"
    assert post(c, SEARCH, body).status_code == 200


# ---------------------------------------------------------------------------- signatures


def test_a_partner_that_must_sign_is_refused_unsigned_or_badly_signed(ward):
    key = Ed25519PrivateKey.generate()
    p, secret = make_partner(communes=[ward], key=key, required=True)
    c = client(p, secret)
    body = search_envelope(p, by_code("x"))
    _err(post(c, SEARCH, body), "err.signature.missing", 401)
    signed = sign(search_envelope(p, by_code("x")), key, p.sender_id)
    assert post(c, SEARCH, signed).status_code == 200
    tampered = sign(search_envelope(p, by_code("x")), key, p.sender_id)
    tampered["message"]["search_request"][0]["search_criteria"]["query"]["value"] = "y"
    _err(post(c, SEARCH, tampered), "err.signature.invalid", 401)
    other = sign(search_envelope(p, by_code("x")), Ed25519PrivateKey.generate(), p.sender_id)
    _err(post(c, SEARCH, other), "err.signature.invalid", 401)
    old = sign(
        search_envelope(p, by_code("x")),
        key,
        p.sender_id,
        created=1_600_000_000,
        expires=1_600_000_300,
    )
    _err(post(c, SEARCH, old), "err.signature.invalid", 401)
    garbled = search_envelope(p, by_code("x"))
    garbled["signature"] = 'Signature: algorithm="ed25519"'
    _err(post(c, SEARCH, garbled), "err.signature.invalid", 401)


def test_a_registered_key_checks_signatures_sent_even_when_not_required(ward):
    key = Ed25519PrivateKey.generate()
    p, secret = make_partner(communes=[ward], key=key, required=False)
    c = client(p, secret)
    assert post(c, SEARCH, search_envelope(p, by_code("x"))).status_code == 200
    wrong = sign(search_envelope(p, by_code("x")), Ed25519PrivateKey.generate(), p.sender_id)
    _err(post(c, SEARCH, wrong), "err.signature.invalid", 401)


def test_the_registry_signs_its_answers_with_the_key_it_gives_partners(partner, ward, registry_key):
    p, secret = partner
    household = f.household(ward)
    r = post(client(p, secret), SEARCH, search_envelope(p, by_code(household.code)))
    answer = r.json()
    validate(answer, "OnSearch")
    verify_ours(answer, registry_key)
    assert answer["message"]["search_response"][0]["data"]["reg_records"]
    # the signature covers the records: a partner sees any change made on the way
    answer["message"]["search_response"][0]["data"]["reg_records"][0]["@id"] = "urn:uuid:x"
    with pytest.raises(InvalidSignature):
        verify_ours(answer, registry_key)
    # and it is the registry's key: another one does not verify it
    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(InvalidSignature):
        verify_ours(r.json(), other.decode())


def test_without_a_key_answers_go_unsigned_and_the_checks_say_so(partner, settings, tmp_path):
    p, secret = partner
    settings.DCI_SIGNING_KEY_FILE = str(tmp_path / "none.pem")
    answer = post(client(p, secret), SEARCH, search_envelope(p, by_code("x"))).json()
    assert "signature" not in answer and answer["header"]["action"] == "on-search"
    with pytest.raises(SystemCheckError, match=r"dci\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=io.StringIO())
    broken = tmp_path / "broken.pem"
    broken.write_text("not a key")
    settings.DCI_SIGNING_KEY_FILE = str(broken)
    with pytest.raises(SystemCheckError, match=r"dci\.E001"):
        call_command("check", stdout=io.StringIO())  # at every start, not only --deploy


def test_the_signing_key_command_creates_a_key_once_and_never_replaces_it(settings, tmp_path):
    settings.DCI_SIGNING_KEY_FILE = str(tmp_path / "keys" / "dci.pem")
    with pytest.raises(CommandError, match="--create"):
        call_command("dci_signing_key", stdout=io.StringIO())
    first, again = io.StringIO(), io.StringIO()
    call_command("dci_signing_key", "--create", stdout=first, stderr=io.StringIO())
    assert os.stat(settings.DCI_SIGNING_KEY_FILE).st_mode & 0o777 == 0o600
    call_command("dci_signing_key", "--create", stdout=again, stderr=io.StringIO())
    assert first.getvalue() == again.getvalue()  # the same key: not replaced
    kid, pem = first.getvalue().split("\n", 1)
    assert kid.startswith(f"kidId: {settings.DCI_REGISTRY_ID}|") and kid.endswith("|ed25519")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in first.getvalue()


# ---------------------------------------------------------------------------- the log


def test_every_call_is_logged_with_what_was_returned(partner, ward):
    p, secret = partner
    household = f.household(ward)
    c = client(p, secret)
    body = search_envelope(p, by_code(household.code))
    r = post(c, SEARCH, body)
    assert r.status_code == 200
    assert r.json()["message"]["transaction_id"] == body["message"]["transaction_id"]
    post(c, SEARCH, {"header": {}})
    logged = list(Transaction.objects.order_by("at"))
    assert [(t.action, t.status) for t in logged] == [("search", "succ"), ("search", "err")]
    first = logged[0]
    assert first.message_id == body["header"]["message_id"]
    assert first.transaction_id == body["message"]["transaction_id"]
    assert first.records == 1 and first.record_ids == [str(household.pk)]
    assert first.outcomes[0]["reference_id"] == "r1"
    assert r.json()["message"]["correlation_id"] == str(first.pk)
    assert logged[1].error_code == "err.request.bad"
    read = PersonalDataRead.objects.get()
    assert (read.user, read.channel, read.records) == (p.user, "dci", 1)


# ---------------------------------------------------------------------------- partners


def test_partners_are_registered_by_officers_for_users_inside_their_area(ward, outside):
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    # a role whose rights the officer holds too (not the auditor's: audit_reads)
    inside = f.user(Role.REGISTRY_SYSTEM, communes=[ward])
    far = f.user(Role.REGISTRY_SYSTEM, communes=[outside])
    values = {"scopes": ["registry.search"], "callback_uris": ["https://sp.example.org/cb"]}
    partner, secret = services.partner_register(
        actor=officer, user=inside, name="OpenSPP", sender_id="openspp", **values
    )
    assert secret.startswith("dcs_") and partner.secret_digest != secret
    with pytest.raises(NotAllowed):
        services.partner_register(actor=officer, user=far, name="B", sender_id="b", **values)
    commune_officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    with pytest.raises(NotAllowed):
        services.partner_register(
            actor=commune_officer,
            user=f.user(Role.REGISTRY_SYSTEM, communes=[ward]),
            name="C",
            sender_id="c",
            **values,
        )


def secret_works(partner, secret: str) -> bool:
    body = {"grant_type": "client_credentials", "client_id": partner.client_id}
    r = APIClient().post("/dci/oauth2/client/token", {**body, "client_secret": secret})
    return r.status_code == 200


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMMUNE_LEADER])
def test_a_partners_secret_is_renewed_only_by_those_who_could_register_it(ward, role):
    """A new client secret is a way in as the partner's service user: an officer renews it,
    or changes the partner, only for a user they could have bound one to (inside the area,
    a role that can do nothing theirs cannot), as for API tokens. The old secret goes on
    working, and the refusal says nothing of the user."""
    p, secret = make_partner(communes=[ward], role=role)
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    with pytest.raises(NotAllowed) as refused:
        services.partner_new_secret(actor=officer, partner=p)
    assert p.user.username not in refused.value.detail
    with pytest.raises(NotAllowed):
        services.partner_update(actor=officer, partner=p, scopes=["registry.search"])
    p.refresh_from_db()
    assert secret_works(p, secret) and p.scopes == ["registry.search", "registry.subscribe"]
    # one they could register: renewed, the old secret stops working
    mine, old = make_partner(communes=[ward], role=Role.REGISTRY_SYSTEM)
    new = services.partner_new_secret(actor=officer, partner=mine)
    assert secret_works(mine, new) and not secret_works(mine, old)


def test_the_partner_admin_lists_and_renews_only_the_officers_partners(ward, client):
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    theirs, secret = make_partner(communes=[ward], role=Role.AUDITOR)
    mine, _mine_secret = make_partner(communes=[ward], role=Role.REGISTRY_SYSTEM)
    r = client.get("/admin/dci/partner/")
    assert [p.pk for p in r.context["cl"].result_list] == [mine.pk]
    assert theirs.client_id not in r.content.decode()
    r = client.get(f"/admin/dci/partner/{theirs.pk}/change/", follow=True)
    assert "doesn’t exist" in " ".join(str(m) for m in r.context["messages"])
    assert theirs.client_id not in r.content.decode()
    r = client.post(
        "/admin/dci/partner/",
        {"action": "new_secret", "_selected_action": [theirs.pk]},
        follow=True,
    )
    shown = " ".join(str(m) for m in r.context["messages"])
    assert "dcs_" not in shown and theirs.client_id not in shown
    theirs.refresh_from_db()
    assert secret_works(theirs, secret)
    r = client.post(
        "/admin/dci/partner/", {"action": "new_secret", "_selected_action": [mine.pk]}, follow=True
    )
    assert "dcs_" in " ".join(str(m) for m in r.context["messages"])


@pytest.mark.parametrize(
    "values",
    [
        {"scopes": []},
        {"scopes": ["registry.everything"]},
        {"callback_uris": ["ftp://x.example.org/"]},
        {"callback_uris": ["https://user:pw@x.example.org/"]},
        {"callback_uris": ["/relative"]},
        {"public_key": "not a key"},
        {"signature_required": True},
    ],
)
def test_partner_values_are_checked(ward, values):
    user = f.user(Role.AUDITOR, communes=[ward])
    base = {"scopes": ["registry.search"], "callback_uris": [], "public_key": ""}
    with pytest.raises(InvalidInput):
        services.partner_register(
            actor=f.user(None, superuser=True),
            user=user,
            name="X",
            sender_id="x",
            **{**base, **values},
        )


def test_the_partner_admin_issues_a_secret_once(ward, client):
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    user = f.user(Role.REGISTRY_SYSTEM, communes=[ward])
    r = client.post(
        "/admin/dci/partner/add/",
        {
            "user": user.pk,
            "name": "OpenSPP Quảng Ninh",
            "sender_id": "openspp-qn",
            "scopes": ["registry.search"],
            "callback_uris": "https://openspp.example.org/dci/on-search\n",
            "public_key": "",
            "active": "on",
        },
        follow=True,
    )
    assert r.status_code == 200
    shown = [str(m) for m in r.context["messages"]]
    assert any("dcs_" in m for m in shown), shown
    partner = user.dci_partner
    assert partner.callback_uris == ["https://openspp.example.org/dci/on-search"]
    assert client.get("/admin/dci/partner/").status_code == 200
    assert client.get(f"/admin/dci/partner/{partner.pk}/change/").status_code == 200


def test_the_token_endpoint_takes_the_standards_form_body(partner):
    p, secret = partner
    r = APIClient().post(
        "/dci/oauth2/client/token",
        f"grant_type=client_credentials&client_id={p.client_id}&client_secret={secret}"
        "&scope=registry.search",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 200, r.content
    assert r.json()["scope"] == "registry.search"


def test_messages_are_vietnamese_by_default_and_codes_stay_the_standards(partner):
    p, secret = partner
    c = client(p, secret)
    body = search_envelope(p, by_code("x"))
    body["header"]["version"] = "2.0.0"
    r = c.post(
        f"/dci/{SEARCH}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    error = r.json()["message"]["error"]
    assert error["code"] == "err.version.not_supported"
    assert error["message"].startswith("Không hỗ trợ phiên bản 2.0.0")


def test_a_partner_token_opens_nothing_under_the_api(partner):
    p, secret = partner
    key = token(p, secret)
    for header_value in (f"Bearer {key}", f"Token {key}"):
        r = APIClient().get("/api/v1/households/", HTTP_AUTHORIZATION=header_value)
        assert r.status_code == 401


def test_a_partner_and_its_log_are_not_deleted_in_the_admin(partner):
    """Nothing is deleted in the admin (docs/security.md §2): a partner is deactivated, and
    it and its transaction log stay, even for a superuser."""
    p, secret = partner
    assert post(client(p, secret), SEARCH, search_envelope(p, by_code("x"))).status_code == 200
    logged = Transaction.objects.get()
    admin = APIClient()
    admin.force_login(f.user(None, superuser=True))
    for page, pk in (("/admin/dci/partner/", p.pk), ("/admin/dci/transaction/", logged.pk)):
        assert admin.post(f"{page}{pk}/delete/", {"post": "yes"}).status_code == 403
        assert "delete_selected" not in admin.get(page).content.decode()
    assert Transaction.objects.filter(pk=logged.pk, partner=p).exists()
