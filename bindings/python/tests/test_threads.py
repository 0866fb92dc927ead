"""One graph, several threads with their own contexts (ctypes releases the GIL during calls)."""

import threading

import numpy as np

import wasinn
from conftest import add_model

N_THREADS = 4
N_ITERS = 100


def test_threads_share_a_graph():
    errors = []
    with wasinn.Graph.load(add_model()) as g:
        def work(tid):
            try:
                with g.create_execution_context() as ctx:
                    b = np.arange(6, dtype=np.float32).reshape(2, 3)
                    for i in range(N_ITERS):
                        a = np.full((2, 3), tid * 1000 + i, np.float32)
                        if i % 2:
                            ctx.set_input(0, a)
                            ctx.set_input("b", b)
                            ctx.compute()
                            out = ctx.get_output("sum")
                        else:
                            out = ctx.compute_named({"a": a, "b": b})["sum"]
                        if not np.array_equal(out, a + b):
                            errors.append("thread %d iteration %d: %r" % (tid, i, out))
                            return
            except Exception as e:  # reported below, with the thread
                errors.append("thread %d: %r" % (tid, e))

        threads = [threading.Thread(target=work, args=(t,)) for t in range(N_THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def test_last_error_is_per_thread():
    try:
        wasinn.Graph.load_by_name("no-model-here")
    except wasinn.NotFound:
        pass
    seen = {}
    t = threading.Thread(target=lambda: seen.update(status=wasinn.last_error_status(),
                                                    message=wasinn.last_error_message()))
    t.start()
    t.join()
    assert seen == {"status": wasinn.Status.SUCCESS, "message": ""}
    assert wasinn.last_error_status() == wasinn.Status.NOT_FOUND
