"""A Triton python-backend model that runs the ONNX file beside it with onnxruntime.

Copied by the tests into each model's version directory as model.py, next to model.onnx (the
pytriton wheel's Triton has the Python backend only). The model's config.pbtxt may set the
parameter `delay_s`: seconds to sleep before each inference (the timeout tests' slow model).
"""
import json
import os
import time

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        here = os.path.join(args["model_repository"], args["model_version"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(os.path.join(here, "model.onnx"), options,
                                            providers=["CPUExecutionProvider"])
        self.inputs = [(i.name, i.type == "tensor(string)") for i in self.session.get_inputs()]
        self.outputs = [o.name for o in self.session.get_outputs()]
        delay = config.get("parameters", {}).get("delay_s", {}).get("string_value", "0")
        self.delay = float(delay)

    def execute(self, requests):
        responses = []
        for request in requests:
            try:
                feeds = {}
                for name, is_string in self.inputs:
                    a = pb_utils.get_input_tensor_by_name(request, name).as_numpy()
                    if is_string:
                        a = np.array([b.decode("utf-8") for b in a.reshape(-1)], dtype=object).reshape(a.shape)
                    feeds[name] = a
                if self.delay:
                    time.sleep(self.delay)
                tensors = []
                for name, r in zip(self.outputs, self.session.run(self.outputs, feeds)):
                    if r.dtype == object:
                        r = np.array([s.encode("utf-8") for s in r.reshape(-1)], dtype=object).reshape(r.shape)
                    tensors.append(pb_utils.Tensor(name, r))
                responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
            except Exception as e:  # the error goes back to the client as the response's error
                responses.append(pb_utils.InferenceResponse(error=pb_utils.TritonError(f"{type(e).__name__}: {e}")))
        return responses
