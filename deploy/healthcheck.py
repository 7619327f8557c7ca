"""Container health check: GET the bot's ops endpoint on this host; exit 0 if it answers 200.

    python healthcheck.py            # /readyz (the Docker HEALTHCHECK)
    python healthcheck.py /healthz   # liveness only
    python healthcheck.py /metrics --print

Reads OPS_PORT (default 9090) like the bot. Always asks 127.0.0.1 (the bot listens there
by default, and on every interface when OPS_HOST=0.0.0.0) and ignores HTTP(S)_PROXY.
Standard library only: it runs inside the image with nothing else.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    path = next((a for a in argv if a.startswith("/")), "/readyz")
    port = os.environ.get("OPS_PORT", "").strip() or "9090"
    url = f"http://127.0.0.1:{port}{path}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=4) as response:
            body = response.read()
            if "--print" in argv:
                sys.stdout.write(body.decode("utf-8", "replace"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as error:  # 503 from /readyz: not ready, and why
        detail = error.read().decode("utf-8", "replace")[:300].strip()
        print(f"{url}: {error.code} {detail}", file=sys.stderr)
    except (OSError, ValueError) as error:
        print(f"{url}: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
