"""The remote plugin's gRPC transport against a scripted v2 gRPC server on 127.0.0.1 (grpcio, its
messages generated here from the plugin's own proto/grpc_service.proto by grpcio-tools): what
Triton never does on purpose. Answers without raw_output_contents (a server answering with typed
`contents`), raw contents that disagree with the declared shape or are missing, gRPC status codes
with the server's message, the host's headers as gRPC metadata, and grpcs with a CA made by openssl.

plugins/remote/run-tests.sh installs grpcio and grpcio-tools (tests/requirements-grpc.txt).
"""
from __future__ import annotations

import importlib
import pathlib
import sys
from concurrent import futures

import numpy as np
import pytest

from wasinn import errors

from test_protocol import compute, make_certs
from test_protocol import load

grpc = pytest.importorskip("grpc", reason="SKIPPED: grpcio is not installed (plugins/remote/run-tests.sh installs it)")
from grpc_tools import protoc  # noqa: E402

PROTO = pathlib.Path(__file__).resolve().parent.parent / "proto"


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    out = tmp_path_factory.mktemp("grpc-stubs")
    assert protoc.main(["protoc", f"-I{PROTO}", f"--python_out={out}", f"--grpc_python_out={out}",
                        str(PROTO / "grpc_service.proto")]) == 0
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("grpc_service_pb2"), importlib.import_module("grpc_service_pb2_grpc")
    finally:
        sys.path.remove(str(out))


class Script:
    """What the scripted server does next, and what it saw."""

    def __init__(self):
        self.mode = "ok"
        self.metadata: list[dict] = []


def make_servicer(pb2, pb2_grpc, script: Script):
    class Servicer(pb2_grpc.GRPCInferenceServiceServicer):
        def _seen(self, context):
            script.metadata.append(dict(context.invocation_metadata()))

        def ModelReady(self, request, context):
            self._seen(context)
            return pb2.ModelReadyResponse(ready=script.mode != "not_ready")

        def ModelMetadata(self, request, context):
            self._seen(context)
            if request.name != "m":
                context.abort(grpc.StatusCode.NOT_FOUND, f"no model named {request.name}")
            t = pb2.ModelMetadataResponse.TensorMetadata
            return pb2.ModelMetadataResponse(name="m", versions=["1"], platform="scripted",
                                             inputs=[t(name="x", datatype="FP32", shape=[-1])],
                                             outputs=[t(name="y", datatype="FP32", shape=[-1])])

        def ModelInfer(self, request, context):
            self._seen(context)
            mode = script.mode
            codes = {"invalid": grpc.StatusCode.INVALID_ARGUMENT, "exhausted": grpc.StatusCode.RESOURCE_EXHAUSTED,
                     "internal": grpc.StatusCode.INTERNAL, "unavailable": grpc.StatusCode.UNAVAILABLE}
            if mode in codes:
                context.abort(codes[mode], f"scripted {mode} failure")
            # Binary data only: the plugin never sends typed contents.
            assert [i.name for i in request.inputs] == ["x"] and len(request.raw_input_contents) == 1
            x = np.frombuffer(request.raw_input_contents[0], np.float32)
            assert list(request.inputs[0].shape) == [x.size]
            raw, shape = x.tobytes(), [x.size]
            if mode == "short":
                raw = raw[:-2]
            if mode == "shape":
                shape = [x.size + 1]
            out = pb2.ModelInferResponse.InferOutputTensor(name="y", datatype="FP32", shape=shape)
            if mode == "typed":  # a server answering with typed contents: no raw_output_contents
                return pb2.ModelInferResponse(model_name="m", outputs=[out])
            if mode == "extra_raw":
                return pb2.ModelInferResponse(model_name="m", outputs=[out], raw_output_contents=[raw, raw])
            if mode == "no_output":
                return pb2.ModelInferResponse(model_name="m")
            return pb2.ModelInferResponse(model_name="m", outputs=[out], raw_output_contents=[raw])

    return Servicer()


def serve(pb, script: Script, credentials=None):
    pb2, pb2_grpc = pb
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb2_grpc.add_GRPCInferenceServiceServicer_to_server(make_servicer(pb2, pb2_grpc, script), server)
    port = server.add_secure_port("127.0.0.1:0", credentials) if credentials else server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


@pytest.fixture()
def fake(pb):
    script = Script()
    server, port = serve(pb, script)
    yield f"grpc://127.0.0.1:{port}", script
    server.stop(0)


def test_good_answer_and_host_headers_as_metadata(fake, monkeypatch):
    url, script = fake
    monkeypatch.setenv("WASINN_REMOTE_HEADERS", "Authorization: Bearer host-secret\nX-Fleet: wasm")
    g = load(f"{url}/models/m")
    assert [(i.name, i.dtype, i.shape) for i in g.inputs] == [("x", np.float32, (None,))]
    assert np.array_equal(compute(g), np.arange(4, dtype=np.float32))
    assert len(script.metadata) == 3  # metadata, ready, infer
    assert all(m.get("authorization") == "Bearer host-secret" and m.get("x-fleet") == "wasm" for m in script.metadata)


@pytest.mark.parametrize("mode,error,text", [
    ("typed", errors.UnsupportedOperation, "raw_output_contents"),
    ("short", errors.RuntimeError_, "malformed"),
    ("shape", errors.RuntimeError_, "needs 20 bytes"),
    ("extra_raw", errors.RuntimeError_, "malformed"),
    ("no_output", errors.RuntimeError_, "malformed"),
    ("invalid", errors.InvalidArgument, "scripted invalid failure"),
    ("exhausted", errors.TooLarge, "scripted exhausted failure"),
    ("internal", errors.RuntimeError_, "scripted internal failure"),
])
def test_bad_answers_are_errors_without_output(fake, mode, error, text):
    url, script = fake
    g = load(f"{url}/models/m")
    ctx = g.create_execution_context()
    assert np.array_equal(compute(g, ctx), np.arange(4, dtype=np.float32))
    script.mode = mode
    with pytest.raises(error, match=text):
        compute(g, ctx)
    with pytest.raises(errors.WasinnError):
        ctx.get_output("y")  # the earlier compute's output is gone too: never stale, never partial


def test_not_found_and_not_ready(fake):
    url, script = fake
    with pytest.raises(errors.NotFound, match="no model named other"):
        load(f"{url}/models/other")
    script.mode = "not_ready"
    with pytest.raises(errors.Busy, match="not ready"):
        load(f"{url}/models/m")


def test_an_infer_that_reached_the_server_is_not_repeated(fake):
    url, script = fake
    g = load(f"{url}/models/m?retries=3")
    script.mode, script.metadata = "unavailable", []
    with pytest.raises(errors.RuntimeError_, match="scripted unavailable failure"):
        compute(g)
    assert len(script.metadata) == 1  # the server saw it once: never retried after it was sent


def test_grpcs_with_the_hosts_ca(pb, tmp_path):
    make_certs(tmp_path)
    creds = grpc.ssl_server_credentials([((tmp_path / "server.key").read_bytes(), (tmp_path / "server.pem").read_bytes())])
    script = Script()
    server, port = serve(pb, script, creds)
    try:
        url = f"grpcs://127.0.0.1:{port}/models/m"
        with pytest.raises(errors.RuntimeError_):  # the built-in web roots do not trust this CA
            load(f"{url}?retries=0")
        g = load(f"{url}?ca={tmp_path / 'ca.pem'}")
        assert np.array_equal(compute(g), np.arange(4, dtype=np.float32))
    finally:
        server.stop(0)
