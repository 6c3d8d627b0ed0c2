"""Entry point of the bounded verification child: `python -m egov.signing.verify_worker`."""

from __future__ import annotations

import sys

from egov.signing.verify import worker_main

if __name__ == "__main__":
    sys.exit(worker_main())
