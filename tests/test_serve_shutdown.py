"""`python app.py serve` stops promptly on SIGTERM while a browser tab is connected.

A Chromium tab (Playwright) holds the page's long-lived Gradio connections open; the server gets
SIGTERM and must exit within `EXIT_SECONDS` (it bounds its graceful shutdown to 3 s; without that
bound it was still running 15 s later). Real subprocess, 127.0.0.1, free port, temporary store,
hash embedder, the features reader."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, serve_env, start_serve

CHROMIUM = Path("/usr/bin/chromium")
EXIT_SECONDS = 10.0
START_SECONDS = 120.0


@pytest.mark.integration
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make browser)")
def test_serve_exits_promptly_on_sigterm_with_a_tab_connected(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    proc = start_serve(tmp_path, port, serve_env(tmp_path, NEWSDESK_EMBEDDER="hash", NEWSDESK_READER="features"),
                       log, timeout=START_SECONDS)
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                        args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                              "--disable-background-networking", "--disable-component-update"])
            try:
                page = browser.new_context().new_page()
                page.goto(url)
                page.wait_for_selector("#nd-question textarea", timeout=60_000)  # the page is up and connected
                assert proc.poll() is None
                sent = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=EXIT_SECONDS)
                except subprocess.TimeoutExpired:
                    pytest.fail(f"serve still running {EXIT_SECONDS:.0f} s after SIGTERM with a tab open:\n"
                                + log.read_text(errors="replace")[-3000:])
                took = time.monotonic() - sent
            finally:
                browser.close()
        assert took < EXIT_SECONDS, took
        print(f"serve exited {took:.1f} s after SIGTERM (code {proc.returncode})")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
