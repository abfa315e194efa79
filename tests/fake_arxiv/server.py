"""A local stand-in for arXiv's OAI-PMH endpoint that serves arXiv's *real* responses.

The pages are `ListRecords` responses exactly as arXiv served them (gzipped files). Each page's
own resumption token is read at start-up and mapped to the next file in the list, so the token
chain the harvester follows is arXiv's (`1122234|1001`, `1122234|2001`, ...). A subset of pages
chains as long as its last page carries an empty token (e.g. pages 001-003 then 103).

Faults are scheduled per request number (1-based, counting every request to the endpoint), so a
test says exactly which request fails and how:

- `"503"`: 503 with `Retry-After: retry_after_s`
- `"truncate"`: a 200 whose body is the page cut in half (a broken page)
- `"drop"`: the connection is closed without any response
- `"drop-mid-body"`: headers and part of the body, then the connection is closed
- `"slow"`: the response starts only after `slow_s` seconds
- `"repeat-token"`: the page is served with the token that was used to request it

`delay_s` delays every response (0 for throughput runs).
"""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_TOKEN = re.compile(rb"(<resumptionToken[^>]*>)([^<]*)(</resumptionToken>)")
_BAD_TOKEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2016-03-09T00:00:00Z</responseDate>
<request verb="ListRecords">http://127.0.0.1/oai</request>
<error code="badResumptionToken">unknown resumption token</error></OAI-PMH>
"""


@dataclass
class Served:
    number: int
    at: float
    params: dict[str, str]
    outcome: str


@dataclass
class FakeArxivServer:
    pages: list[Path]
    delay_s: float = 0.0
    retry_after_s: int = 1
    slow_s: float = 2.0
    faults: dict[int, str] = field(default_factory=dict)
    log: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._bodies = [path.read_bytes() for path in self.pages]  # gzipped, as stored
        self._next_page: dict[str, int] = {}
        for index, body in enumerate(self._bodies):
            match = _TOKEN.search(gzip.decompress(body))
            token = match.group(2).decode().strip() if match else ""
            if token and index + 1 < len(self._bodies):
                self._next_page[token] = index + 1
        self._lock = threading.Lock()
        self._count = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_dir(cls, directory: Path, names: list[str] | None = None, **kwargs) -> FakeArxivServer:
        paths = [directory / name for name in names] if names else sorted(directory.glob("page-*.xml.gz"))
        return cls(pages=paths, **kwargs)

    # lifecycle ---------------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/oai"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeArxivServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # serving -----------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        with self._lock:
            self._count += 1
            number = self._count
        fault = self.faults.get(number, "")
        self.log.append(Served(number, time.monotonic(), params, fault or "ok"))
        if self.delay_s:
            time.sleep(self.delay_s)
        if parts.path != "/oai" or params.get("verb") != "ListRecords":
            self._send(handler, 400, b"only verb=ListRecords is served here", "text/plain")
            return
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "503":
            handler.send_response(503)
            handler.send_header("Retry-After", str(self.retry_after_s))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault == "slow":
            time.sleep(self.slow_s)
        index = self._page_index(params)
        if index is None:
            self._send(handler, 200, _BAD_TOKEN, "text/xml")
            return
        body = self._bodies[index]
        if fault == "repeat-token":
            text = _TOKEN.sub(lambda m: m.group(1) + params["resumptionToken"].encode() + m.group(3), gzip.decompress(body))
            body = gzip.compress(text, compresslevel=1)
        if fault == "truncate":
            text = gzip.decompress(body)
            body = gzip.compress(text[: len(text) // 2], compresslevel=1)
        if fault == "drop-mid-body":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/xml; charset=utf-8")
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(handler, 200, body, "text/xml; charset=utf-8", gzipped=True)

    def _page_index(self, params: dict[str, str]) -> int | None:
        token = params.get("resumptionToken")
        if token is None:
            return 0 if params.get("metadataPrefix") == "arXiv" else None
        return self._next_page.get(token)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str, gzipped: bool = False) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        if gzipped:
            handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
