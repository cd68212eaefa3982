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
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import urlsplit

from . import security_headers
from .errors import HarnessError
from .target import Target

LOCAL_HOSTS = {"localhost", "127.0.0.1"}
PAGES = ("hosted-ui-verify.html", "auth-and-token-verify.html")


def is_local_callback(url: str) -> bool:
    """An http://localhost:<port>/... callback: the harness can serve the page there."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and parts.port is not None


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, *args, site_config: bytes, folder: str, **kwargs):
        self.site_config = site_config
        self.folder = folder
        super().__init__(*args, **kwargs)

    def log_message(self, *args) -> None:  # request lines carry codes and states
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = urlsplit(self.path).path
        name = path[len(self.folder):] if path.startswith(self.folder) else ""
        if name == "config.json":
            body, ctype = self.site_config, "application/json"
        elif name in PAGES:
            body, ctype = resources.files("cognito_harness.web").joinpath(name).read_bytes(), "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        # no CSP here: on a real pool the pages call the pool's own origins
        for name, value in security_headers.common():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


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
        handler = partial(_Handler, site_config=json.dumps(config).encode(), folder=self.folder)
        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as err:
            raise HarnessError(f"cannot serve the callback page on port {port} ({err}); free the port or "
                               "register another localhost callback URL") from None
        host = f"{url.hostname}:{url.port}" if local else f"127.0.0.1:{self.server.server_address[1]}"
        self.base = f"http://{host}{self.folder}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page_url(self, name: str) -> str:
        return self.base + name

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
