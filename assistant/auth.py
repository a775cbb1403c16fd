"""One lock for every door of the combined FastAPI + Gradio app, and its host/origin checks.

`secure_app(app, settings)` wraps the whole ASGI app (API routes and the Gradio app mounted on it)
in these middlewares, outermost first:

* `SecurityHeaders`: `X-Frame-Options: DENY`, `nosniff`, `Referrer-Policy: same-origin` on
  every response (no framing by a hostile page, no URLs leaked to other sites).
* Starlette's `TrustedHostMiddleware`: a `Host` header outside `settings.allowed_hosts()` gets
  400 (DNS rebinding: a hostile name resolving to 127.0.0.1 reaches nothing).
* Starlette's `CORSMiddleware` with `settings.cors_origins` (default none) and credentials only
  when `cors_allow_credentials`; its presence also turns off Gradio's own CORS handling, which
  would answer any `http://localhost:*` origin with credentials.
* `AuthGate` (only when an API token is configured): nothing but `/healthz` and `/readyz` answers
  without credentials, whatever the route (UI page, `/config`, every `/gradio_api/*`, `/docs`,
  `/openapi.json`, `/api`, `/v1`, websockets). Programs send `Authorization: Bearer <token>`;
  browsers get a login page (`/login`) that sets a session cookie (a random session id, never the
  token; HttpOnly, SameSite=Strict, Secure on https). Tokens are compared in constant time, never
  put in URLs or logs; repeated wrong tokens from one address are throttled (429).

Hand-written because no maintained library does this for an ASGI app that mixes FastAPI routes
with a mounted Gradio app: FastAPI dependencies only cover FastAPI's own routes, Gradio's
`auth_dependency` only the Gradio routes that declare `login_check` (not `/gradio_api/upload`'s
neighbours such as `/gradio_api/cancel`, `/reset`, `/stream`, `/heartbeat`), and starlette's
`SessionMiddleware` keeps its data in the (signed, readable) cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from assistant.settings import Settings

log = logging.getLogger("newsdesk.auth")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
COOKIE = "newsdesk_session"
SECURE_COOKIE = "__Host-newsdesk_session"  # the prefix makes browsers insist on Secure, Path=/, no Domain
SCOPE_KEY = "newsdesk.auth"  # set on the ASGI scope of an authenticated request: "bearer" | "session"
MAX_LOGIN_BODY = 8192
MAX_SESSIONS = 10_000
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_SECURITY_HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                     (b"referrer-policy", b"same-origin")]
_LOGIN_CSP = (b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
              b"frame-ancestors 'none'; base-uri 'none'")


def authenticated(scope: Scope) -> str | None:
    """How the gate authenticated this request ("bearer" or "session"), None if it did not."""
    value = scope.get(SCOPE_KEY)
    return value if isinstance(value, str) else None


def secure_app(app: Any, settings: Settings) -> None:
    """Install the host, origin, header and (with a token) authentication middlewares on `app`."""
    token = settings.resolved_api_token()
    if token:
        throttle = Throttle(settings.auth_failures_per_minute) if settings.auth_failures_per_minute > 0 else None
        app.add_middleware(AuthGate, token=token, session_seconds=settings.session_hours * 3600,
                           cookie_secure=settings.cookie_secure, allowed_origins=list(settings.cors_origins),
                           throttle=throttle)
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                       allow_credentials=settings.cors_allow_credentials,
                       allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts(), www_redirect=False)
    app.add_middleware(SecurityHeaders)


class SecurityHeaders:
    """ASGI middleware: adds `_SECURITY_HEADERS` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                msg["headers"] = headers
            await send(msg)

        await self.app(scope, receive, with_headers)


class Sessions:
    """Browser sessions: random ids (only their SHA-256 is kept) with an expiry; the oldest go
    first beyond `MAX_SESSIONS`. Lost on restart (the user logs in again)."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()

    def new(self) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[self._key(session_id)] = time.monotonic() + self.lifetime
            while len(self._expiry) > MAX_SESSIONS:
                self._expiry.popitem(last=False)
        return session_id

    def valid(self, session_id: str) -> bool:
        key = self._key(session_id)
        with self._lock:
            until = self._expiry.get(key)
            if until is None:
                return False
            if until < time.monotonic():
                del self._expiry[key]
                return False
            return True

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._expiry.pop(self._key(session_id), None)


class Throttle:
    """At most `limit` failed attempts per client address within `window` seconds (behind a reverse
    proxy all clients share its address: raise the limit or set it to 0 there)."""

    def __init__(self, limit: int = 20, window: float = 60.0, max_clients: int = 10_000) -> None:
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._fails: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        q = self._fails.get(client)
        if q is None:
            return deque()
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def blocked(self, client: str) -> float:
        """Seconds until `client` may try again (0 when it may now)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(client, now)
            return max(0.0, q[0] + self.window - now) if len(q) >= self.limit else 0.0

    def fail(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            q = self._recent(client, now)
            q.append(now)
            self._fails[client] = q
            self._fails.move_to_end(client)
            while len(self._fails) > self.max_clients:
                self._fails.popitem(last=False)


class AuthGate:
    """ASGI middleware: every request but `PUBLIC_PATHS` needs the token (Bearer) or a session.

    Cookie-authenticated requests are also refused (403) when a browser says they come from
    another site (`Sec-Fetch-Site: cross-site|same-site`, e.g. a page on another localhost port,
    which SameSite cookies do not stop) or, for unsafe methods, from another `Origin` than the
    server's own or a configured CORS origin. Top-level navigation (a link) still works.
    """

    def __init__(self, app: ASGIApp, token: str, session_seconds: float = 12 * 3600, cookie_secure: bool = False,
                 allowed_origins: list[str] | None = None, throttle: Throttle | None = None) -> None:
        if not token:
            raise ValueError("AuthGate needs a non-empty token")
        self.app = app
        self._token = token.encode("utf-8")
        self.sessions = Sessions(session_seconds)
        self.cookie_secure = cookie_secure
        self.allowed_origins = {o.rstrip("/").lower() for o in allowed_origins or []}
        self.throttle = throttle

    # -- the gate ------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        method = str(scope.get("method", "GET")).upper()
        if scope["type"] == "http" and path in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and path == LOGIN_PATH:
            await self._login(scope, receive, send, method)
            return
        if scope["type"] == "http" and path == LOGOUT_PATH:
            await self._logout(scope, send)
            return
        headers = _headers(scope)
        client = _client(scope)
        wait = self.throttle.blocked(client) if self.throttle else 0.0
        if wait:
            await self._deny(scope, send, 429, "rate_limited", "Too many wrong tokens; try again later.",
                             {"retry-after": str(int(wait) + 1)})
            return
        how = self._credentials(headers)
        if how == "wrong":
            if self.throttle:
                self.throttle.fail(client)
            log.warning("wrong API token from %s for %s %s", client, method, path)
            await self._deny(scope, send, 401, "unauthorized",
                             "Missing or wrong API token: send 'Authorization: Bearer <token>'.")
            return
        if how is None:
            if scope["type"] == "http" and method in ("GET", "HEAD") and _wants_html(headers):
                await _send_login_page(send, 401, next_path=_next_of(scope), cookie_secure=self._secure(scope))
                return
            await self._deny(scope, send, 401, "unauthorized",
                             "Authentication required: send 'Authorization: Bearer <token>' "
                             f"or log in at {LOGIN_PATH}.")
            return
        if how == "session" and not self._same_site(scope, headers, method):
            log.warning("refused a cross-site request with a session cookie: %s %s", method, path)
            await self._deny(scope, send, 403, "forbidden", "Cross-site requests are not allowed.")
            return
        scope[SCOPE_KEY] = how
        await self.app(scope, receive, send)

    def _credentials(self, headers: dict[str, str]) -> str | None:
        """"bearer" / "session" when valid, "wrong" for a wrong Bearer token, None when absent."""
        auth = headers.get("authorization")
        if auth is not None:
            scheme, _, given = auth.strip().partition(" ")
            if scheme.lower() == "bearer" and self._token_ok(given.strip()):
                return "bearer"
            return "wrong"
        session_id = _cookie(headers, COOKIE) or _cookie(headers, SECURE_COOKIE)
        if session_id and self.sessions.valid(session_id):
            return "session"
        return None

    def _token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8", "replace"), self._token)

    def _same_site(self, scope: Scope, headers: dict[str, str], method: str) -> bool:
        """Whether a cookie-carrying request may come from where it comes from. Browsers say so in
        `Sec-Fetch-Site` (a header pages cannot set); without it (older browsers) an unsafe method or
        a websocket must bring this server's own `Origin`."""
        site = headers.get("sec-fetch-site")
        origin = headers.get("origin", "").rstrip("/").lower()
        if origin and origin in self.allowed_origins:
            return True
        if site is not None:
            if site in ("same-origin", "none"):
                return True
            return method in ("GET", "HEAD") and headers.get("sec-fetch-mode") == "navigate"
        if origin and (method in UNSAFE_METHODS or scope["type"] == "websocket"):
            return origin != "null" and urlsplit(origin).netloc == headers.get("host", "").lower()
        return True

    def _secure(self, scope: Scope) -> bool:
        return self.cookie_secure or scope.get("scheme") in ("https", "wss")

    async def _deny(self, scope: Scope, send: Send, status: int, type_: str, message: str,
                    extra: dict[str, str] | None = None) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = {"content-type": "application/json", "cache-control": "no-store", **(extra or {})}
        if status == 401:
            headers["www-authenticate"] = "Bearer"
        body = json.dumps({"error": {"type": type_, "message": message}}).encode()
        await _send(send, status, headers, body)

    # -- login / logout ------------------------------------------------------------------------
    async def _login(self, scope: Scope, receive: Receive, send: Send, method: str) -> None:
        secure = self._secure(scope)
        if method in ("GET", "HEAD"):
            await _send_login_page(send, 200, next_path=_safe_next(_query(scope).get("next", "/")),
                                   cookie_secure=secure)
            return
        if method != "POST":
            await _send(send, 405, {"allow": "GET, POST", "content-type": "text/plain"}, b"Method not allowed")
            return
        client = _client(scope)
        headers = _headers(scope)
        if not self._same_site(scope, headers, method):
            await _send_login_page(send, 403, next_path="/", cookie_secure=secure,
                                   error="Log in from this server's own page.")
            return
        wait = self.throttle.blocked(client) if self.throttle else 0.0
        if wait:
            await _send_login_page(send, 429, next_path="/", cookie_secure=secure,
                                   error="Too many wrong tokens; wait a minute and try again.",
                                   extra={"retry-after": str(int(wait) + 1)})
            return
        body = await _read_body(receive, MAX_LOGIN_BODY)
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=8) if body is not None else {}
        next_path = _safe_next((form.get("next") or ["/"])[0])
        given = (form.get("token") or [""])[0]
        if not given or not self._token_ok(given):
            if self.throttle:
                self.throttle.fail(client)
            log.warning("failed login from %s", client)
            await _send_login_page(send, 401, next_path=next_path, cookie_secure=secure, error="Wrong token.")
            return
        session_id = self.sessions.new()
        name = SECURE_COOKIE if secure else COOKIE
        cookie = (f"{name}={session_id}; Path=/; HttpOnly; SameSite=Strict; "
                  f"Max-Age={int(self.sessions.lifetime)}" + ("; Secure" if secure else ""))
        await _send(send, 303, {"location": next_path, "set-cookie": cookie, "cache-control": "no-store",
                                "content-type": "text/plain"}, b"")

    async def _logout(self, scope: Scope, send: Send) -> None:
        headers = _headers(scope)
        for name in (COOKIE, SECURE_COOKIE):
            session_id = _cookie(headers, name)
            if session_id:
                self.sessions.drop(session_id)
        clear = [(b"set-cookie", f"{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict".encode()
                  + (b"; Secure" if name == SECURE_COOKIE else b"")) for name in (COOKIE, SECURE_COOKIE)]
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", LOGIN_PATH.encode()), (b"cache-control", b"no-store"), *clear]})
        await send({"type": "http.response.body", "body": b""})


# -- helpers -------------------------------------------------------------------------------------


def _route_path(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", "") or "")
    return path[len(root):] or "/" if root and path.startswith(root) else path


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        key = k.decode("latin-1").lower()
        # A repeated credential header is ambiguous: keep the first, never let a second one win.
        out.setdefault(key, v.decode("latin-1"))
    return out


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _cookie(headers: dict[str, str], name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _query(scope: Scope) -> dict[str, str]:
    qs = scope.get("query_string", b"").decode("latin-1")
    return {k: v[0] for k, v in parse_qs(qs, max_num_fields=16).items()}


def _wants_html(headers: dict[str, str]) -> bool:
    return "text/html" in headers.get("accept", "")


def _next_of(scope: Scope) -> str:
    path = _route_path(scope)
    qs = scope.get("query_string", b"").decode("latin-1")
    return _safe_next(path + ("?" + qs if qs else ""))


def _safe_next(value: str) -> str:
    """A local path to return to after login; anything else (other hosts, `//x`, `\\x`,
    schemes, control characters) becomes "/"."""
    v = value.strip()
    if not v.startswith("/") or v.startswith(("//", "/\\")) or any(ord(c) < 32 or c in "\\" for c in v):
        return "/"
    parts = urlsplit(v)
    if parts.scheme or parts.netloc or parts.path in (LOGIN_PATH, LOGOUT_PATH):
        return "/"
    return v[:2000]


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        body = msg.get("body", b"")
        size += len(body)
        if size > limit:
            return None
        chunks.append(body)
        if not msg.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


_LOGIN_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Newsdesk: log in</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f5f5f4; color: #1c1917;
       display: flex; min-height: 100vh; align-items: center; justify-content: center; margin: 0; }}
form {{ background: #fff; padding: 28px 32px; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08);
        width: min(360px, 90vw); }}
h1 {{ font-size: 1.3em; margin: 0 0 6px 0; }} p {{ margin: 0 0 16px 0; font-size: .92em; color: #57534e; }}
label {{ display: block; font-weight: 600; margin-bottom: 6px; }}
input[type=password] {{ width: 100%; box-sizing: border-box; padding: 9px 10px; font: inherit;
                        border: 1px solid #a8a29e; border-radius: 8px; }}
button {{ margin-top: 14px; width: 100%; padding: 9px; font: inherit; font-weight: 600; border: 0;
          border-radius: 8px; background: #ea580c; color: #fff; cursor: pointer; }}
.error {{ color: #b91c1c; font-weight: 600; }}
</style></head>
<body><form method="post" action="{action}" id="nd-login">
<h1>Newsdesk</h1><p>This server needs its access token (API_TOKEN).</p>
{error}<label for="nd-token">Token</label>
<input type="password" id="nd-token" name="token" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit" id="nd-login-submit">Log in</button>
</form></body></html>
"""


async def _send_login_page(send: Send, status: int, next_path: str, cookie_secure: bool, error: str = "",
                           extra: dict[str, str] | None = None) -> None:
    del cookie_secure  # the page is the same either way; the cookie is set by the POST
    page = _LOGIN_HTML.format(action=LOGIN_PATH, next=html.escape(next_path, quote=True),
                              error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "")
    headers = {"content-type": "text/html; charset=utf-8", "cache-control": "no-store",
               "content-security-policy": _LOGIN_CSP.decode(), **(extra or {})}
    await _send(send, status, headers, page.encode("utf-8"))


# -- uploads ------------------------------------------------------------------------------------


def uploaded_files(paths: list[str], upload_dir: str | Path, max_files: int, max_bytes: int
                   ) -> tuple[list[Path], list[tuple[str, str]]]:
    """Which of `paths` (from a UI upload event) may be read: regular files inside Gradio's upload
    folder `upload_dir` (after resolving links), at most `max_files`, each at most `max_bytes`.
    Returns (accepted paths, [(display name, reason)] for the refused). Any other path, e.g. a
    FileData payload naming a server file, is refused and never opened."""
    root = Path(upload_dir).resolve()
    ok: list[Path] = []
    refused: list[tuple[str, str]] = []
    for i, raw in enumerate(paths):
        name = Path(str(raw)).name or "upload"
        if i >= max_files:
            refused.append((name, f"not indexed: at most {max_files} files per upload"))
            continue
        try:
            p = Path(str(raw)).resolve(strict=True)
            inside = p.is_relative_to(root) and p.is_file()
            size = p.stat().st_size if inside else 0
        except (OSError, ValueError):
            inside, size = False, 0
        if not inside:
            log.warning("upload event named a file outside the upload folder; refused")
            refused.append((name, "not indexed: not a file uploaded with this request"))
        elif size > max_bytes:
            refused.append((name, f"not indexed: file is {size:,} bytes, over the limit of {max_bytes:,}"))
        else:
            ok.append(p)
    return ok, refused


def blocked_paths(settings: Settings) -> list[str]:
    """Server paths the UI must never serve or accept in an event: the store, the token file, the
    model cache, the project folder (its `.env` included). Absolute, existing or not."""
    root = Path(__file__).resolve().parent.parent
    paths = [settings.store, root / ".env", Path.cwd() / ".env", root]
    if settings.api_token_file is not None:
        paths.append(settings.api_token_file)
    if settings.model_cache is not None:
        paths.append(settings.model_cache)
    return list(dict.fromkeys(str(Path(p).resolve()) for p in paths))


def gradio_user(request: Any) -> str | None:
    """Gradio's `auth_dependency`: the user the gate let in (a second lock on Gradio's own routes)."""
    return "newsdesk" if authenticated(request.scope) else None
