"""Who is calling: Cognito user-pool access tokens, verified the same way everywhere.

`chalice local`, the tests and AWS all verify a token exactly alike, with PyJWT (no
hand-written crypto): its signature against the pool's JWKS (fetched once and cached),
then issuer, expiry, token use and the app client. The only difference between
environments is where the JWKS comes from: AWS's published URL, or the emulator's copy.

`sign_in` trades a username and password for tokens with the pool's USER_PASSWORD_AUTH
flow, so the API's `POST /api/session` and the CLI get the same tokens a person does.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import jwt

from .errors import RequestError, Unauthorized

log = logging.getLogger("picset.identity")

#: Cognito signs with RS256 only. Naming it, and nothing else, is what refuses `alg: none`
#: and the HS256-with-the-public-key trick.
ALGORITHMS = ["RS256"]
#: Seconds of clock difference tolerated on `exp` and `iat`.
LEEWAY = 30
#: How long fetched signing keys are trusted before the JWKS is fetched again.
JWKS_LIFESPAN = 3600
#: A Cognito `sub` is a UUID. Refusing anything else also keeps an owner from ever
#: colliding with the records table's other partitions (`quota#...`).
SUB_PATTERN = re.compile(r"[A-Za-z0-9-]{1,128}")


@dataclass(frozen=True)
class Caller:
    """A verified caller: the token's `sub` (the owner id kept with images) and name."""

    sub: str
    username: str


class SignInRefused(RequestError):
    status = 401

    def __init__(self) -> None:
        super().__init__("unauthorized", "Wrong user name or password.")


class SignInUnavailable(RequestError):
    status = 503

    def __init__(self) -> None:
        super().__init__("sign_in_unavailable", "Sign-in is not configured on this server.")


def issuer_of(region: str, pool_id: str) -> str:
    """The `iss` every token of the pool carries (also the emulator's)."""
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def jwks_url(region: str, pool_id: str, endpoint_url: str | None) -> str:
    """Where the pool publishes its signing keys: AWS's URL, or the emulator's copy."""
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"
    return f"{issuer_of(region, pool_id)}/.well-known/jwks.json"


def bearer_token(headers: Any) -> str:
    """The token of an `Authorization: Bearer <token>` header; Unauthorized otherwise."""
    raw = str(headers.get("authorization") or "")
    scheme, _, token = raw.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


class Verifier:
    """Checks access tokens of one pool and app client."""

    def __init__(self, issuer: str, client_id: str, keys_url: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._keys = jwt.PyJWKClient(keys_url, cache_keys=True, lifespan=JWKS_LIFESPAN)

    def verify(self, token: str) -> Caller:
        """The caller a valid access token names; `Unauthorized` for anything else."""
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "sub", "token_use", "client_id"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            # The keys could not be fetched: nobody can be verified, which is not the
            # caller's fault, but it must still never let a token through.
            log.error("cannot fetch the pool's signing keys: %s", exc)
            raise Unauthorized() from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized() from exc
        # An ID token (token_use "id") or one issued to another app client is refused:
        # only this client's access tokens say "this app may act for this person".
        if claims.get("token_use") != "access" or claims.get("client_id") != self.client_id:
            raise Unauthorized()
        if SUB_PATTERN.fullmatch(str(claims["sub"])) is None:
            raise Unauthorized()
        return Caller(sub=str(claims["sub"]), username=str(claims.get("username") or ""))


def sign_in(cognito: Any, client_id: str, username: str, password: str) -> dict[str, Any]:
    """Tokens for a username and password: `{"token", "expires_in", "refresh_token"}`."""
    try:
        answer = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except cognito.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"NotAuthorizedException", "UserNotFoundException", "InvalidParameterException"}:
            raise SignInRefused() from exc
        raise
    result = answer.get("AuthenticationResult")
    if not result:  # a challenge (e.g. a new password required) is not a session
        raise SignInRefused()
    return {
        "token": result["AccessToken"],
        "expires_in": int(result.get("ExpiresIn", 3600)),
        "refresh_token": result.get("RefreshToken"),
    }


def parse_credentials(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise RequestError("bad_request", "Send a JSON object with username and password.")
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not username.strip():
        raise RequestError("bad_request", "username must be a non-empty string.")
    if not isinstance(password, str) or not password:
        raise RequestError("bad_request", "password must be a non-empty string.")
    return username.strip(), password
