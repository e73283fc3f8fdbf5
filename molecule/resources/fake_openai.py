"""A small OpenAI-compatible chat provider for tests, on 127.0.0.1 of a test host.

POST /v1/chat/completions answers a chat completion whose message says
"fake-openai saw: <the last user message>"; GET /v1/models lists one model.
Every chat request's bearer key is appended to KEYS_FILE (one per line), so a
test can tell which provider key MLflow's AI gateway decrypted and sent.

Usage: fake_openai.py PORT KEYS_FILE [CERT KEY]   (with CERT and KEY: HTTPS)
"""

import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    keys_file = None

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": "fake-gpt", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):  # noqa: N802
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        with open(self.keys_file, "a", encoding="utf-8") as out:
            out.write(key + "\n")
        said = next((m.get("content") for m in reversed(request.get("messages", []))
                     if m.get("role") == "user"), "")
        self._send(200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", "fake-gpt"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": f"fake-openai saw: {said}"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        })

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-openai: " + fmt % args + "\n")


def main():
    Handler.keys_file = sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    if len(sys.argv) > 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
