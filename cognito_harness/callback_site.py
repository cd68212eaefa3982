"""The narrative's verification pages, served locally for a real pool.

On the embedded target the pages are served by the embedded server itself. On a real pool
the app client's callback URL is the user's own; when it points at this machine
(`http://localhost:<port>/...`), the harness serves hosted-ui-verify.html and
auth-and-token-verify.html there, with a config.json describing the real pool, so the
browser specs run the same pages on both targets. Otherwise the pages are served on a free
local port (for the in-app page) and the harness itself is the callback
(captured_callback.py).
"""

from __future__ import annotations

import json
import socket
import threading
from importlib import resources
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import security_headers
from .errors import HarnessError
from .target import Target

LOCAL_HOSTS = {"localhost", "127.0.0.1"}
PAGES = ("hosted-ui-verify.html", "auth-and-token-verify.html")


def is_local_callback(url: str) -> bool:
    """An http://localhost:<port>/... callback: the harness can serve the page there."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and parts.port is not None


class _Pages:
    """The WSGI app: the two pages and config.json under `folder`, nothing else."""

    def __init__(self, site_config: bytes, folder: str):
        self.site_config = site_config
        self.folder = folder

    def __call__(self, environ, start_response):
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, req: Request) -> Response:
        if req.method not in ("GET", "HEAD"):
            return _plain("method not allowed", 405, [("Allow", "GET, HEAD")])
        name = req.path[len(self.folder):] if req.path.startswith(self.folder) else ""
        if name == "config.json":
            body, ctype = self.site_config, "application/json"
        elif name in PAGES:
            body, ctype = resources.files("cognito_harness.web").joinpath(name).read_bytes(), "text/html; charset=utf-8"
        else:
            return _plain("not found", 404)
        # no CSP here: on a real pool the pages call the pool's own origins
        return Response(body, status=200, headers=[("Content-Type", ctype), *security_headers.common()])


def _plain(text: str, status: int, extra: list[tuple[str, str]] | None = None) -> Response:
    return Response(text, status=status, headers=[("Content-Type", "text/plain; charset=utf-8"),
                                                  *security_headers.common(), *(extra or [])])


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines carry codes and states in query strings."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def _listening_socket(port: int) -> socket.socket:
    """Bound here, not by werkzeug: werkzeug's make_server exits the process when it cannot
    bind; the harness says which port and what to do instead."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise HarnessError(f"cannot serve the callback page on port {port} ({err}); free the port or "
                           "register another localhost callback URL") from None
    return sock


class CallbackSite:
    """Serves the pages at the callback URL's origin and folder while it runs."""

    def __init__(self, target: Target):
        url = urlsplit(target.callback_url)
        local = is_local_callback(target.callback_url)
        self.folder = url.path.rsplit("/", 1)[0] + "/" if local else "/"
        port = url.port if local else 0
        config = {
            "endpoint_url": target.endpoint_url or "", "region": target.region,
            "user_pool_id": target.user_pool_id, "client_id": target.client_id,
            "identity_pool_id": target.identity_pool_id, "managed_login_url": target.managed_login_url,
            "callback_url": target.callback_url,
        }
        app = _Pages(json.dumps(config).encode(), self.folder)
        sock = _listening_socket(port)
        try:
            self.server = make_server("127.0.0.1", sock.getsockname()[1], app, threaded=True,
                                      request_handler=_QuietHandler, fd=sock.fileno())
        finally:
            sock.close()  # werkzeug serves on its own duplicate of the socket
        host = f"{url.hostname}:{url.port}" if local else f"127.0.0.1:{self.server.server_address[1]}"
        self.base = f"http://{host}{self.folder}"
        # a short poll: stop() returns within 0.05 s (serve_forever checks for shutdown that often)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def page_url(self, name: str) -> str:
        return self.base + name

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
