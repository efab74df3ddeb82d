"""The browser explorer's state, without a browser, and the serve command over HTTP."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from explorer.app import KneeExplorerApp


@pytest.fixture
def app(atlas):
    app = KneeExplorerApp(atlas=atlas)
    yield app
    app.scene.close()


def test_choosing_a_structure_highlights_it_and_shows_its_text(app, atlas):
    app.chooser.value = "fibula"
    assert app.selected == "fibula"
    assert app.info.object.startswith("## Fibula")
    assert atlas["fibula"].summary.split(".")[0] in app.info.object
    assert "Apache-2.0" in app.info.object
    assert app.scene.actors["fibula"].prop.color.hex_rgb.lower() == "#ffd21f"
    app.selected = ""
    assert app.scene.selected is None
    assert app.scene.actors["fibula"].prop.color.hex_rgb.lower() == atlas["fibula"].colour


def test_unknown_structure_gives_a_notice_not_an_error(app):
    app.selected = "<script>alert(1)</script>"
    assert app.info.object.startswith("**Notice:**")
    assert "<script>" not in app.info.object


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def test_serve_prints_its_url_and_serves_the_page():
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "explorer.cli", "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout.readline().strip() == f"Knee explorer: http://localhost:{port}/"
        deadline, page = time.monotonic() + 120, None
        while page is None and time.monotonic() < deadline:
            try:
                page = urllib.request.urlopen(f"http://localhost:{port}/", timeout=30).read().decode()
            except OSError:
                time.sleep(0.5)
        assert page is not None and "<title>Knee explorer</title>" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
