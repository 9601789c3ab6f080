"""Cold start: from `streamlit run app.py` to the first page rendered in a real browser.

    python -m bench.cold_start [--page training_lab] [--chromium /usr/bin/chromium]

Starts the server on a free local port with the weights offline, opens the page in headless
Chromium (Playwright), and reports when the server answered its health check and when the
page's first heading appeared, both from the server's launch; then the same for a second,
warm visit. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from deploy.processes import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CNNLAB_OFFLINE": "1"}
    start = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(url, timeout_s=start + 60 - time.monotonic(), proc=server)
        healthy = time.monotonic() - start
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            times = []
            for _ in range(2):  # cold, then warm
                page = browser.new_page()
                t0 = time.monotonic()
                page.goto(f"{url}/{args.page}")
                page.wait_for_selector("h1", timeout=60_000)
                times.append((time.monotonic() - t0, time.monotonic() - start))
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps({
        "benchmark": "cold_start", "machine": f"{platform.machine()} · {os.cpu_count()} cores",
        "page": args.page or "home",
        "server_healthy_s": round(healthy, 2),
        "first_page_rendered_s_since_launch": round(times[0][1], 2),
        "first_page_load_s": round(times[0][0], 2),
        "warm_page_load_s": round(times[1][0], 2),
    }, indent=1))


if __name__ == "__main__":
    main()
