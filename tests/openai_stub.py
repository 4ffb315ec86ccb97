"""A small OpenAI-compatible chat server on loopback, for tests and the LLM benchmark.

It implements POST /v1/chat/completions (plain JSON and `stream: true` SSE chunks) and
GET /v1/models, records every request, and answers with a canned reply built from the
sources it was sent: by default the first sentence of source [1], cited as [1]. A real HTTP
round trip through `langchain_openai.ChatOpenAI` exercises our whole generative path.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from visapath.text import split_sentences

Reply = Callable[[dict[str, Any]], str]
_SOURCE = re.compile(r'<source id="(\d+)"[^>]*>\n?(.*?)\n?</source>', re.S)


def sources_in(request: dict[str, Any]) -> dict[int, str]:
    """The numbered source passages a chat request carried (from the user message)."""
    text = "\n".join(str(m.get("content", "")) for m in request.get("messages", []) if m.get("role") == "user")
    return {int(n): body for n, body in _SOURCE.findall(text)}


def cite_first_sentence(request: dict[str, Any]) -> str:
    """The default canned answer: source [1]'s first real sentence, cited."""
    sources = sources_in(request)
    if not sources:
        return "The sources I have do not cover this question."
    sentences = [s.text for s in split_sentences(sources[min(sources)]) if len(s.text) > 30] or [sources[min(sources)]]
    return f"{sentences[0].rstrip('.')} [{min(sources)}]."


@dataclass
class StubServer:
    reply: Reply = cite_first_sentence
    chunk_chars: int = 12  # size of each streamed delta
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "StubServer":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # small SSE writes must not wait for delayed ACKs

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._json(400, {"error": {"message": "bad json"}})
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                stub.requests.append(body)
                text = stub.reply(body)
                if body.get("stream"):
                    self._stream(body, text)
                else:
                    self._json(200, _completion(body, text))

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = [text[i:i + stub.chunk_chars] for i in range(0, len(text), stub.chunk_chars)]
                deltas = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces]
                for delta in deltas:
                    self._event(_chunk(body, delta, None))
                self._event(_chunk(body, {}, "stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "StubServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
