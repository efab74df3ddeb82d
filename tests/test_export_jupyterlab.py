"""The interactive view inline in JupyterLab, offline: JupyterLab in headless Chromium, outside requests blocked."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CELL = ('from explorer import export\n'
        'export.inline({"show": ["femur", "patella", "tibia", "fibula"], "labels": True}, height=500)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (it is in the project's test extras)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (`make test` installs the Debian chromium package)")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": CELL}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "knee.ipynb").write_text(json.dumps(notebook))
    port, token = _free_port(), "knee-test-token"
    env = dict(os.environ, HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / ".runtime"), JUPYTER_DATA_DIR=str(tmp_path / ".data"),
               IPYTHONDIR=str(tmp_path / ".ipython"))
    if not env.get("DISPLAY"):
        env.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={tmp_path}", "--ServerApp.allow_root=True",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start")
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_inline_view_works_in_jupyterlab_offline(lab):
    from playwright.sync_api import sync_playwright

    base, token = lab
    outside: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith((base, "file:", "data:", "about:", "blob:")):
            return request_route.continue_()
        outside.append(url)
        return request_route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", route)
            page.goto(f"{base}/lab/tree/knee.ipynb?token={token}")
            editor = page.locator(".jp-Cell .jp-InputArea-editor").first
            editor.wait_for(timeout=120_000)
            select = page.locator(".jp-Dialog button", has_text="Select")
            try:  # JupyterLab may ask which kernel to start
                select.wait_for(timeout=20_000)
                select.click()
            except Exception:
                pass
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            editor.click()
            page.keyboard.press("Shift+Enter")
            frame_element = page.wait_for_selector("iframe[title='Interactive 3D knee']", timeout=180_000)
            frame = frame_element.content_frame()
            frame.wait_for_function("window.kneeExplorer !== undefined", timeout=60_000)
            frame_element.scroll_into_view_if_needed()
            box = frame.locator("#canvas").bounding_box()
            x, y = frame.evaluate("kneeExplorer.screenPoint('patella')")
            page.mouse.click(box["x"] + x, box["y"] + y)
            frame.wait_for_function("kneeExplorer.selected === 'patella'", timeout=30_000)
            assert frame.locator("#info h2.info-name").inner_text() == "Patella"
            assert outside == []
        finally:
            browser.close()
