"""The image's HEALTHCHECK: `python -m starter.healthcheck` exits 0 when the process answers.

One image runs every process, so what to probe comes from TIDINGS_HEALTHCHECK_URL: the ingress's
/healthz (the default), or a worker's Prometheus endpoint, which its Temporal runtime serves."""

from __future__ import annotations

import os
import sys
import urllib.request

DEFAULT = "http://127.0.0.1:8000/healthz"


def main() -> int:
    url = os.environ.get("TIDINGS_HEALTHCHECK_URL", DEFAULT)
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return 0 if answer.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
