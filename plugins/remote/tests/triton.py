"""The real Triton Inference Server (the binary in the PyPI wheel nvidia-pytriton) for the tests:
a model repository of python-backend models running ONNX files with onnxruntime, and a server
started on free loopback ports, stopped (or killed) by the tests.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import onnx

HERE = Path(__file__).resolve().parent

# ONNX element types -> Triton config data types.
CONFIG_TYPES = {
    onnx.TensorProto.BOOL: "TYPE_BOOL", onnx.TensorProto.UINT8: "TYPE_UINT8", onnx.TensorProto.UINT16: "TYPE_UINT16",
    onnx.TensorProto.UINT32: "TYPE_UINT32", onnx.TensorProto.UINT64: "TYPE_UINT64", onnx.TensorProto.INT8: "TYPE_INT8",
    onnx.TensorProto.INT16: "TYPE_INT16", onnx.TensorProto.INT32: "TYPE_INT32", onnx.TensorProto.INT64: "TYPE_INT64",
    onnx.TensorProto.FLOAT16: "TYPE_FP16", onnx.TensorProto.FLOAT: "TYPE_FP32", onnx.TensorProto.DOUBLE: "TYPE_FP64",
    onnx.TensorProto.STRING: "TYPE_STRING",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def triton_venv() -> Path:
    """The server's own virtualenv (plugins/remote/run-tests.sh makes it): nvidia-pytriton, and the
    numpy 1.x + onnxruntime the models run with. Its python-backend stub is built against numpy
    1.x: with numpy 2 it reads every tensor's element size as 0 (inputs come in as copies of their
    first element, outputs go out empty), hence a venv apart from the test venv's numpy 2."""
    v = os.environ.get("WASINN_TRITON_VENV")
    if not v:
        raise RuntimeError("WASINN_TRITON_VENV is not set (plugins/remote/run-tests.sh sets it)")
    return Path(v)


def triton_root() -> Path:
    found = sorted(triton_venv().glob("lib/python3*/site-packages/pytriton/tritonserver"))
    if not found:
        raise RuntimeError(f"no nvidia-pytriton in {triton_venv()} (plugins/remote/run-tests.sh installs it)")
    return found[0]


def _dims(value_info) -> list[int]:
    return [d.dim_value if d.HasField("dim_value") else -1 for d in value_info.type.tensor_type.shape.dim]


def add_model(repo: Path, name: str, model: onnx.ModelProto, delay_s: float = 0.0) -> None:
    """Writes `name` into the repository: config.pbtxt from the model's signature, 1/model.onnx,
    1/model.py (triton_model.py)."""
    d = repo / name
    (d / "1").mkdir(parents=True, exist_ok=True)
    onnx.save(model, d / "1" / "model.onnx")
    shutil.copy(HERE / "triton_model.py", d / "1" / "model.py")

    def io(kind, vi):
        t = CONFIG_TYPES[vi.type.tensor_type.elem_type]
        return f'{kind} {{ name: "{vi.name}" data_type: {t} dims: {json.dumps(_dims(vi))} }}'

    init_names = {i.name for i in model.graph.initializer}
    lines = [f'name: "{name}"', 'backend: "python"', "max_batch_size: 0"]
    lines += [io("input", vi) for vi in model.graph.input if vi.name not in init_names]
    lines += [io("output", vi) for vi in model.graph.output]
    if delay_s:
        lines.append(f'parameters: {{ key: "delay_s" value: {{ string_value: "{delay_s}" }} }}')
    (d / "config.pbtxt").write_text("\n".join(lines) + "\n")


class Triton:
    """One tritonserver process on free ports, models loaded explicitly (so the tests can unload)."""

    def __init__(self, repo: Path, workdir: Path, http_port: int | None = None):
        self.repo, self.workdir = repo, workdir
        self.http_port = http_port or free_port()
        self.grpc_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"triton-{self.http_port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _backends(self) -> Path:
        # The python backend with the stub for this interpreter, as Triton expects them side by side.
        root = triton_root()
        d = self.workdir / "backends" / "python"
        if not d.exists():
            d.mkdir(parents=True)
            for f in (root / "backends" / "python").iterdir():
                if f.is_file():
                    os.symlink(f, d / f.name)
            ver = root.parent.parent.parent.name.removeprefix("python")  # lib/python3.X/site-packages
            os.symlink(root / "python_backend_stubs" / ver / "triton_python_backend_stub", d / "triton_python_backend_stub")
        return d.parent

    def start(self, timeout_s: float = 90.0) -> "Triton":
        env = dict(os.environ)
        # The stub links the interpreter's libpython and runs the venv's python packages.
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [sysconfig.get_config_var("LIBDIR"), env.get("LD_LIBRARY_PATH")]))
        env["PATH"] = os.pathsep.join([str(triton_venv() / "bin"), env.get("PATH", "")])
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONPATH", None)
        cmd = [str(triton_root() / "bin" / "tritonserver"), f"--model-repository={self.repo}",
               f"--backend-directory={self._backends()}", "--http-address=127.0.0.1", f"--http-port={self.http_port}",
               "--grpc-address=127.0.0.1", f"--grpc-port={self.grpc_port}", "--allow-metrics=false",
               "--model-control-mode=explicit", "--load-model=*", "--exit-on-error=true", "--log-verbose=0",
               # The python backend's shared memory starts at 1 MiB and grows 1 MiB at a time:
               # a 64 MiB tensor would grow it 64 times per request.
               "--backend-config=python,shm-default-byte-size=4194304",
               "--backend-config=python,shm-growth-byte-size=67108864"]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tritonserver exited with {self.proc.returncode}; log: {self.log_path}\n" + self.log_path.read_text()[-3000:])
            if self.status("/v2/health/ready") == 200:
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"tritonserver not ready after {timeout_s}s; log: {self.log_path}")

    def status(self, path: str, method: str = "GET", body: bytes | None = None) -> int:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return 0

    def unload(self, model: str) -> None:
        assert self.status(f"/v2/repository/models/{model}/unload", "POST", b"{}") == 200
        deadline = time.monotonic() + 60
        while self.status(f"/v2/models/{model}/ready") == 200 and time.monotonic() < deadline:
            time.sleep(0.1)

    def load(self, model: str) -> None:
        assert self.status(f"/v2/repository/models/{model}/load", "POST", b"{}") == 200

    def kill(self) -> None:
        """SIGKILL, no goodbye: the server vanishes mid-run."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # Triton unloads its models (and their stubs), then exits
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        if self.proc:
            try:  # stray stub processes of the group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if getattr(self, "log", None):
            self.log.close()
