"""What the server turns away before any page is made.

Every request passes :class:`Gate` first. It refuses a ``Host`` header the server was not told to
answer to (so a hostile page cannot reach it through DNS rebinding), a foreign or ``null``
``Origin``, and a websocket without any ``Origin`` (browsers always send one). A page link too
long or too odd to read is answered with a redirect to the default view, which then says so
(see :data:`explorer.app.state.REFUSED_LINKS`), so the hostile query leaves the address bar.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from panel.util import parse_query
from tornado.routing import Matcher
from tornado.web import RequestHandler

#: Longest page query the explorer reads; the longest link the app itself writes is about 4 KB.
MAX_LINK_CHARS = 16_000
#: Headers up to this size reach the gate, so that an overlong link gets a notice instead of a dropped connection.
MAX_HEADER_BYTES = 3 * 1024 * 1024
_PAGES = ("/", "/credits")
_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")


def parse_origin(text: str) -> tuple[str, int | None]:
    """``(host, port)`` from what ``--allow-origin`` takes: ``host``, ``host:port`` or ``scheme://host[:port]``.

    Examples
    --------
    >>> parse_origin("https://Knee.School.EDU")
    ('knee.school.edu', None)
    >>> parse_origin("192.168.1.20:5006")
    ('192.168.1.20', 5006)
    >>> parse_origin("classroom.local")
    ('classroom.local', None)
    """
    if not text or any(c.isspace() for c in text) or text.count("://") > 1:
        raise ValueError(f"--allow-origin {text!r} is not a host name, host:port or URL")
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"--allow-origin {text!r} has no valid port (1-65535)") from None
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"--allow-origin {text!r} is not a host name, host:port or URL")
    if has_scheme and parts.scheme not in ("http", "https"):
        raise ValueError(f"--allow-origin {text!r}: only http:// and https:// origins are served")
    return _bracketed(parts.hostname), port


def is_loopback(address: str) -> bool:
    """Whether listening on ``address`` keeps the server to this machine.

    Examples
    --------
    >>> is_loopback("localhost"), is_loopback("127.0.0.1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Audience:
    """Who may reach the server: the port it listens on and the hosts its pages may be opened from.

    This machine's own names (localhost, 127.0.0.1, [::1]) at the port are always allowed; an origin
    given without a port allows that host at the port and at 80 and 443 (behind a proxy).

    Examples
    --------
    >>> audience = Audience(port=5006, origins=(parse_origin("classroom.local"),))
    >>> audience.allows_host("classroom.local:5006"), audience.allows_host("evil.example:5006")
    (True, False)
    >>> audience.allows_origin("http://localhost:5006"), audience.allows_origin("null")
    (True, False)
    """

    port: int
    origins: tuple[tuple[str, int | None], ...] = ()

    @cached_property
    def hosts(self) -> frozenset[str]:
        """Every ``host:port`` allowed, in Bokeh's allow-list form (worked out once: every request asks)."""
        allowed = {f"{name}:{self.port}" for name in _LOCAL_NAMES}
        for host, port in self.origins:
            ports = (port,) if port is not None else (self.port, 80, 443)
            allowed |= {f"{host}:{p}" for p in ports}
        return frozenset(allowed)

    def allows_host(self, host: str, default_ports: tuple[int, ...] = (80, 443)) -> bool:
        """Whether a ``Host`` header (``host[:port]``; without a port, behind a proxy of either scheme)
        names this server."""
        try:
            parts = urlsplit(f"//{host}")
            ports = (parts.port,) if parts.port else default_ports
        except ValueError:
            return False
        if not parts.hostname or parts.path or parts.query or parts.username or parts.password is not None:
            return False
        allowed = self.hosts
        return any(f"{_bracketed(parts.hostname)}:{port}" in allowed for port in ports)

    def allows_origin(self, origin: str) -> bool:
        """Whether an ``Origin`` header (``scheme://host[:port]``) is one of this server's pages."""
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest:
            return False
        return self.allows_host(rest, default_ports=(443,) if scheme == "https" else (80,))


class Gate(Matcher):
    """A Tornado routing rule, placed first, that matches the requests to turn away."""

    def __init__(self, audience: Audience):
        self.audience = audience

    def match(self, request) -> dict | None:
        return {} if refusal(request, self.audience) else None


def refusal(request, audience: Audience) -> tuple[int, str] | None:
    """Why a request is turned away, as ``(HTTP status, reason)``; ``None`` lets it through.

    A page link that cannot be read gets status 303 and, as reason, the link to go to instead.
    """
    host = request.headers.get("Host", "")
    if not audience.allows_host(host):
        return 403, f"this server does not answer to the host {host[:80]!r}"
    origin = request.headers.get("Origin")
    websocket = request.headers.get("Upgrade", "").lower() == "websocket"
    if origin is None and websocket:
        return 403, "a websocket must come from a page (no Origin)"
    if origin is not None and not audience.allows_origin(origin):
        return 403, f"pages from {origin[:80]!r} may not use this server"
    if request.path in _PAGES and request.query:
        refused = _unreadable_link(request.query)
        if refused:
            return 303, f".{request.path}?refused={refused}"
    return None


def _unreadable_link(query: str) -> str:
    if len(query) > MAX_LINK_CHARS:
        return "long"
    try:
        parse_query("?" + query)  # what the page's location handling will do with it
    except Exception:  # noqa: BLE001 - any failure there would end the session with a traceback
        return "unreadable"
    return ""


class RefusedHandler(RequestHandler):
    """Answers what :class:`Gate` turned away: a short plain-text refusal, or a redirect for a bad link."""

    def initialize(self, audience: Audience) -> None:
        self.audience = audience

    def prepare(self) -> None:
        status, reason = refusal(self.request, self.audience) or (403, "refused")
        if status == 303:
            self.redirect(reason, status=303)
            return
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"Refused: {reason}.\n")


def _bracketed(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname.lower()
