"""``python -m wasinn run guest.wasm ...``: see :mod:`wasinn.wasmtime_host`."""

import sys

from .wasmtime_host import main

sys.exit(main())
