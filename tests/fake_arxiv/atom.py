"""A local stand-in for arXiv's query API serving real Atom entries (../shared/data/arxiv-atom-cs-ds).

The entries come wrapped in an `<articles>` root where only the first entry declares its
namespaces; they are read once with the namespaces supplied, sorted by `published`, and each
request gets a real `<feed>` with the opensearch header and the slice `start:start+max_results`
of the entries whose submission time falls in the query's `submittedDate:[A TO B]` window (the
category part of the query is accepted and not filtered: every entry is cs.DS-like).
Every request's arrival time is logged, so a test can check the client's spacing.
"""

from __future__ import annotations

import gzip
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
_WINDOW = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")


@dataclass
class FakeArxivApi:
    entries_file: Path
    faults: dict[int, str] = field(default_factory=dict)  # request number -> "503"
    log: list[tuple[float, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        text = gzip.decompress(self.entries_file.read_bytes()).decode()
        text = text.replace("<articles>", f'<articles xmlns="{ATOM}" xmlns:arxiv="{ARXIV}">', 1)
        root = etree.fromstring(text.encode(), etree.XMLParser(huge_tree=True))
        entries = []
        for entry in root.iter(f"{{{ATOM}}}entry"):
            published = datetime.fromisoformat(entry.findtext(f"{{{ATOM}}}published").replace("Z", "+00:00"))
            entry.attrib.pop("id", None)
            entries.append((published, etree.tostring(entry, encoding="unicode")))
        entries.sort(key=lambda item: item[0])
        self.entries = entries
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/query"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def window(self, query: str) -> list[str]:
        match = _WINDOW.search(query)
        if not match:
            return [xml for _, xml in self.entries]
        low, high = (datetime.strptime(v, "%Y%m%d%H%M").replace(tzinfo=UTC) for v in match.groups())
        return [xml for published, xml in self.entries if low <= published.replace(second=0) <= high]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        params = {key: values[0] for key, values in parse_qs(urlsplit(handler.path).query).items()}
        with self._lock:
            self.log.append((time.monotonic(), params))
            number = len(self.log)
        if self.faults.get(number) == "503":
            handler.send_response(503)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        matching = self.window(params.get("search_query", ""))
        start, size = int(params.get("start", 0)), int(params.get("max_results", 10))
        page = matching[start : start + size]
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="{ATOM}" xmlns:arxiv="{ARXIV}" '
            f'xmlns:opensearch="{OPENSEARCH}"><title>ArXiv Query</title>'
            f"<opensearch:totalResults>{len(matching)}</opensearch:totalResults>"
            f"<opensearch:startIndex>{start}</opensearch:startIndex>"
            f"<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>{''.join(page)}</feed>"
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/atom+xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
