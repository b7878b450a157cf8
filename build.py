"""Command-line entry point: `python build.py [build|check|serve|new|import] …`."""
from __future__ import annotations

import gc
import os
import signal
import sys
from pathlib import Path

# A build allocates a few hundred thousand objects (the cache index, the site model) and makes
# hardly any reference cycles: a larger youngest generation spares the collector dozens of
# passes over them (~15 ms of a one-entry rebuild of 1,000 entries). It still collects.
gc.set_threshold(20_000, 10, 10)

if __name__ == "__main__":
    status = None
    try:  # main() reports a Ctrl-C itself; this catches one while the modules load
        from bitext.cli import flush_streams, main

        status = main(root=Path(__file__).resolve().parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # done: a late Ctrl-C must not break the exit
    except KeyboardInterrupt:
        if status is None:
            sys.stderr.write("interrupted\n")
            os._exit(130)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    status = flush_streams(status)
    # Every file is written and closed and every pool joined by now: leave without the
    # interpreter's teardown, which frees the site model object by object (~30 ms of a
    # one-entry rebuild of a 1,000-entry site).
    os._exit(status)
