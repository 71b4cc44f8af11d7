"""Token checks: only an unexpired access token of this pool and this app client, signed
by one of the pool's keys with RS256, names a caller. Each bad token is refused the same
way (`Unauthorized`, 401 `unauthorized`). The pool's JWKS is served over HTTP on
loopback, as Cognito and moto's server publish it, so PyJWT fetches it for real."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import identity
from chalicelib.errors import Unauthorized
from dev.stack import free_port

POOL = "us-east-1_Pool0001"
ISSUER = identity.issuer_of("us-east-1", POOL)
CLIENT = "client-0001"
KID = "key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


POOL_KEY = new_key()


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(POOL_KEY.public_key()))
    body = json.dumps({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}).encode()

    class Keys(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/{POOL}/.well-known/jwks.json"
    server.shutdown()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "3f1c-ann",
        "client_id": CLIENT,
        "token_use": "access",
        "username": "ann",
        "iat": now,
        "exp": now + 3600,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def token(payload: dict[str, Any], key: Any = POOL_KEY, kid: str = KID, alg: str = "RS256") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def unsigned(payload: dict[str, Any]) -> str:
    """`alg: none`: a header and a payload, and no signature at all."""
    return jwt.encode(payload, "", algorithm="none", headers={"kid": KID})


def public_pem() -> bytes:
    return POOL_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_a_good_access_token_names_the_caller(jwks_url):
    caller = identity.Verifier(ISSUER, CLIENT, jwks_url).verify(token(claims()))
    assert caller == identity.Caller(sub="3f1c-ann", username="ann")


BAD_TOKENS = [
    pytest.param(lambda: unsigned(claims()), id="alg-none"),
    pytest.param(lambda: token(claims(), key=new_key()), id="another-key-same-kid"),
    pytest.param(lambda: token(claims(), kid="key-9"), id="unknown-key-id"),
    pytest.param(
        lambda: token(claims(iss=identity.issuer_of("us-east-1", "us-east-1_Other"))),
        id="another-pool",
    ),
    pytest.param(lambda: token(claims(client_id="client-9")), id="another-app-client"),
    pytest.param(
        lambda: token(claims(token_use="id", client_id=None, aud=CLIENT)), id="an-id-token"
    ),
    pytest.param(lambda: token(claims(exp=int(time.time()) - identity.LEEWAY - 5)), id="expired"),
    pytest.param(lambda: token(claims(sub=None)), id="no-subject"),
    pytest.param(lambda: token(claims(exp=None)), id="no-expiry"),
    pytest.param(lambda: "not.a.token", id="malformed"),
    pytest.param(lambda: "", id="empty"),
    pytest.param(
        lambda: jwt.encode(claims(), "x" * 32, algorithm="HS256", headers={"kid": KID}),
        id="hs256-with-a-guessed-secret",
    ),
]


@pytest.mark.parametrize("make", BAD_TOKENS)
def test_every_bad_token_is_refused(jwks_url, make):
    with pytest.raises(Unauthorized) as refused:
        identity.Verifier(ISSUER, CLIENT, jwks_url).verify(make())
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")


def test_the_public_key_used_as_an_hmac_secret_is_refused(jwks_url):
    """The classic confusion: HS256 "signed" with the pool's public key. PyJWT refuses to
    even make one with a PEM key, so forge it by hand."""
    import base64
    import hashlib
    import hmac

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'kid': KID})}.{part(claims())}"
    mac = hmac.new(public_pem(), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(Unauthorized):
        identity.Verifier(ISSUER, CLIENT, jwks_url).verify(forged)


def test_unreachable_keys_refuse_rather_than_admit():
    url = f"http://127.0.0.1:{free_port()}/{POOL}/.well-known/jwks.json"  # nothing listens
    with pytest.raises(Unauthorized):
        identity.Verifier(ISSUER, CLIENT, url).verify(token(claims()))


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        pytest.param("Bearer abc.def.ghi", True, id="bearer"),
        pytest.param("bearer abc.def.ghi", True, id="scheme-is-case-insensitive"),
        pytest.param("Basic abc", False, id="basic"),
        pytest.param("Bearer ", False, id="empty-token"),
        pytest.param("", False, id="missing"),
    ],
)
def test_bearer_header(header, ok):
    if ok:
        assert identity.bearer_token({"authorization": header}) == "abc.def.ghi"
    else:
        with pytest.raises(Unauthorized):
            identity.bearer_token({"authorization": header})


def test_jwks_url_is_the_pools_own_or_the_emulators():
    assert identity.jwks_url("eu-west-1", "eu-west-1_X", None) == (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X/.well-known/jwks.json"
    )
    assert identity.jwks_url("us-east-1", "P", "http://127.0.0.1:9001/") == (
        "http://127.0.0.1:9001/P/.well-known/jwks.json"
    )
