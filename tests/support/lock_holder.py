"""Hold a warehouse's lock from another process: `python -m tests.support.lock_holder WAREHOUSE [SECONDS]`.

Prints `held` once the lock is taken, then holds it for SECONDS (default: until killed or stdin closes).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipeline.warehouse import lock


def main() -> None:
    warehouse = Path(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else None
    with lock.hold(warehouse, "lock_holder (a test)"):
        print("held", flush=True)
        if seconds is None:
            sys.stdin.read()
        else:
            time.sleep(seconds)


if __name__ == "__main__":
    main()
