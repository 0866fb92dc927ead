"""Benchmark, not a test: the cost per request of a model on Triton over loopback (the remote
plugin, REST, binary tensor data) against the same model on local backends, through libwasinn's
C API (the ctypes binding; the same call overhead on both sides). Rounds are interleaved (the
machine is shared: load drifts) and medians reported, with the ratio to each local backend.

usage: python overhead.py [ITERATIONS [ROUNDS]]   (environment as for plugins/remote/tests)
"""
from __future__ import annotations

import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np
import onnx

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
import triton  # noqa: E402
import wasinn  # noqa: E402
from test_remote import add_model, magika_model_path  # noqa: E402


def per_request(ctx, feeds, n: int) -> float:
    for k, v in feeds.items():
        ctx.set_input(k, v)
    ctx.compute()  # warm-up (connections, allocations)
    t0 = time.perf_counter()
    for _ in range(n):
        for k, v in feeds.items():
            ctx.set_input(k, v)
        ctx.compute()
        ctx.get_output_bytes(0)
    return (time.perf_counter() - t0) / n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    work = pathlib.Path(tempfile.mkdtemp(prefix="remote-bench-"))
    repo = work / "models"
    triton.add_model(repo, "add", add_model())
    triton.add_model(repo, "magika", onnx.load(str(magika_model_path())))
    server = triton.Triton(repo, work).start()
    try:
        one = np.ones(1, np.float32)
        x = np.random.default_rng(0).integers(0, 257, size=(1, 2048), dtype=np.int32)
        cases = {
            "add (1 element)": (add_model().SerializeToString(), "add", {"a": one, "b": one}),
            "magika (1 x 2048 int32)": (magika_model_path().read_bytes(), "magika", {"bytes": x}),
        }
        for label, (model, name, feeds) in cases.items():
            wasinn.registry_preload(f"{name}-rest:remote:cpu:{server.url}/models/{name}")
            wasinn.registry_preload(f"{name}-grpc:remote:cpu:grpc://127.0.0.1:{server.grpc_port}/models/{name}")
            graphs = {"rest": wasinn.Graph.load_by_name(f"{name}-rest"), "grpc": wasinn.Graph.load_by_name(f"{name}-grpc")}
            for b in ("tract", "onnxruntime"):
                graphs[b] = wasinn.Graph.load(model, backend=b)
            ctxs = {k: g.create_execution_context() for k, g in graphs.items()}
            times: dict[str, list[float]] = {k: [] for k in graphs}
            for _ in range(rounds):
                for k, ctx in ctxs.items():
                    times[k].append(per_request(ctx, feeds, n))
            med = {k: statistics.median(v) for k, v in times.items()}
            def vs(t: str) -> str:
                return ", ".join(f"x{med[t] / med[k]:.1f} {k}" for k in ("tract", "onnxruntime"))
            print(f"remote overhead: {label}: Triton over loopback REST {med['rest'] * 1e6:.0f} us ({vs('rest')}), "
                  f"gRPC {med['grpc'] * 1e6:.0f} us ({vs('grpc')}) per request; local tract {med['tract'] * 1e6:.0f} us, "
                  f"onnxruntime {med['onnxruntime'] * 1e6:.0f} us; medians of {rounds} interleaved rounds of {n}")
            for c in ctxs.values():
                c.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
