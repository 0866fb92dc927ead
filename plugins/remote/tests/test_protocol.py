"""The remote plugin against a scripted v2 server on 127.0.0.1 (Python's http.server): what Triton
never does on purpose. Answers without the binary data extension (as MLServer's REST does),
truncated and inconsistent responses, non-JSON metadata, 503, the host's headers on the wire, and
TLS with a certificate authority made here with openssl.
"""
from __future__ import annotations

import http.server
import json
import os
import ssl
import subprocess
import threading

import numpy as np
import pytest

import wasinn
from wasinn import errors

META = {"name": "m", "versions": ["1"], "platform": "fake",
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1]}],
        "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1]}]}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "ok"
    seen_headers: list[dict] = []

    def log_message(self, *args):  # quiet
        pass

    def reply(self, code: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        type(self).seen_headers.append({k.lower(): v for k, v in self.headers.items()})
        if self.path == "/v2/models/m":
            body = b"<html>not json</html>" if self.mode == "garbage_meta" else json.dumps(META).encode()
            self.reply(200, body)
        elif self.path == "/v2/models/m/ready":
            self.reply(200, b"")
        else:
            self.reply(404, json.dumps({"error": f"no model at {self.path}"}).encode())

    def do_POST(self):
        type(self).seen_headers.append({k.lower(): v for k, v in self.headers.items()})
        body = self.rfile.read(int(self.headers["Content-Length"]))
        n = int(self.headers["Inference-Header-Content-Length"])
        req = json.loads(body[:n])
        x = np.frombuffer(body[n:], np.float32)
        assert req["inputs"][0]["parameters"]["binary_data_size"] == x.nbytes
        if self.mode == "busy":
            return self.reply(503, json.dumps({"error": "overloaded, try later"}).encode())
        if self.mode == "json":  # no binary data extension: tensors as JSON arrays
            out = {"outputs": [{"name": "y", "datatype": "FP32", "shape": list(x.shape), "data": x.tolist()}]}
            return self.reply(200, json.dumps(out).encode(), {"Content-Type": "application/json"})
        blob = x.tobytes()
        shape = list(x.shape)
        if self.mode == "short":
            blob = blob[:-2]
        if self.mode == "shape":
            shape = [x.shape[0] + 1]
        size = len(blob) if self.mode != "short" else x.nbytes
        header = json.dumps({"outputs": [{"name": "y", "datatype": "FP32", "shape": shape,
                                          "parameters": {"binary_data_size": size}}]}).encode()
        self.reply(200, header + blob, {"Inference-Header-Content-Length": str(len(header)),
                                        "Content-Type": "application/octet-stream"})


def serve(context: ssl.SSLContext | None = None):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if context:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture()
def fake():
    httpd = serve()
    Handler.mode, Handler.seen_headers = "ok", []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


_names = iter(range(1_000_000))


def load(url: str) -> wasinn.Graph:
    name = f"fake-{next(_names)}"
    wasinn.registry_preload(f"{name}:remote:cpu:{url}")
    return wasinn.Graph.load_by_name(name)


def compute(g: wasinn.Graph, ctx=None):
    ctx = ctx or g.create_execution_context()
    return ctx.compute_named({"x": np.arange(4, dtype=np.float32)})["y"]


def test_good_answer_and_host_headers(fake, monkeypatch):
    monkeypatch.setenv("WASINN_REMOTE_HEADERS", "Authorization: Bearer host-secret\nX-Fleet: wasm")
    g = load(f"{fake}/models/m")
    assert np.array_equal(compute(g), np.arange(4, dtype=np.float32))
    assert all(h.get("authorization") == "Bearer host-secret" and h.get("x-fleet") == "wasm" for h in Handler.seen_headers)
    assert len(Handler.seen_headers) == 3  # metadata, ready, infer


@pytest.mark.parametrize("mode,error,text", [
    ("json", errors.UnsupportedOperation, "binary data extension"),
    ("short", errors.RuntimeError_, "malformed"),
    ("shape", errors.RuntimeError_, "needs 20 bytes"),
    ("busy", errors.Busy, "overloaded, try later"),
])
def test_bad_answers_are_errors_without_output(fake, mode, error, text):
    g = load(f"{fake}/models/m")
    ctx = g.create_execution_context()
    assert np.array_equal(compute(g, ctx), np.arange(4, dtype=np.float32))
    Handler.mode = mode
    with pytest.raises(error, match=text):
        compute(g, ctx)
    with pytest.raises(errors.WasinnError):
        ctx.get_output("y")  # the earlier compute's output is gone too: never stale, never partial


def test_metadata_that_is_not_json(fake):
    Handler.mode = "garbage_meta"
    with pytest.raises(errors.RuntimeError_, match="not JSON"):
        load(f"{fake}/models/m")


def make_certs(tmp_path) -> None:
    """A CA (ca.pem) and a server certificate for 127.0.0.1 and localhost signed by it
    (server.pem, server.key), made with openssl in tmp_path."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=wasinn test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (tmp_path / "ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext")


def test_tls_with_the_hosts_ca(tmp_path):
    make_certs(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    httpd = serve(context)
    Handler.mode = "ok"
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}/models/m"
        with pytest.raises(errors.RuntimeError_):  # the built-in web roots do not trust this CA
            load(url)
        g = load(f"{url}?ca={tmp_path / 'ca.pem'}")
        assert np.array_equal(compute(g), np.arange(4, dtype=np.float32))
    finally:
        httpd.shutdown()
