"""Serving a class: who may connect, what the server turns away, and what a session survives.

A server runs in a thread on 127.0.0.1; requests are made over HTTP and over the websocket with
:mod:`session_client`, which speaks to a session as a page does, or as no page would.
"""

from __future__ import annotations

import asyncio
import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
from urllib.parse import parse_qs

import pytest
from bokeh.io import curdoc
from tornado.httpclient import HTTPClientError

from explorer.app.server import BackgroundServer, ServeOptions
from explorer.app.state import decode
from session_client import _INFO_NAME, SessionClient

CLASSROOM = "classroom.example"


@pytest.fixture(scope="module")
def served(atlas):
    running = BackgroundServer(atlas, ServeOptions(port=0, allow_origins=(CLASSROOM,)))
    running.local_url = f"http://localhost:{running.server.port}/"  # the classroom name does not resolve here
    yield running
    running.stop()


def _get(port: int, path: str, headers: dict | None = None,
         host: str | None = "localhost:{port}") -> tuple[int, dict, bytes]:
    """GET ``path`` from 127.0.0.1 with these Host and other headers (``{port}`` in them is the server's)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("GET", path, skip_host=True)
    if host is not None:
        connection.putheader("Host", host.format(port=port))
    for name, value in (headers or {}).items():
        connection.putheader(name, value.format(port=port))
    connection.endheaders()
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


@pytest.mark.parametrize("host, headers", [
    ("localhost:{port}", {}), ("127.0.0.1:{port}", {}), (CLASSROOM + ":{port}", {}),
    ("localhost:{port}", {"Origin": "http://localhost:{port}"}),
    (CLASSROOM + ":{port}", {"Origin": f"http://{CLASSROOM}:{{port}}"}),
    (CLASSROOM, {"Origin": f"https://{CLASSROOM}"}),  # behind a TLS proxy that passes the Host on
])
def test_the_page_is_served_to_the_hosts_and_origins_allowed(served, host, headers):
    status, _, body = _get(served.server.port, "/", headers, host=host)
    assert status == 200 and b"<title>Knee explorer</title>" in body


@pytest.mark.parametrize("host, headers, status, reason", [
    ("evil.example:{port}", {}, 403, b"does not answer to the host"),
    ("evil.example", {"Origin": "https://evil.example"}, 403, b"does not answer to the host"),
    (None, {}, 400, b""),  # HTTP/1.1 without Host: refused by Tornado itself
    ("localhost:{port}", {"Origin": "http://evil.example"}, 403, b"may not use this server"),
    ("localhost:{port}", {"Origin": "null"}, 403, b"may not use this server"),
    ("localhost:{port}", {"Origin": "http://localhost:1"}, 403, b"may not use this server"),
])
def test_foreign_hosts_and_origins_are_refused_over_http(served, host, headers, status, reason):
    for path in ("/", "/credits", "/knee-meshes.bin"):
        answer, _, body = _get(served.server.port, path, headers, host=host)
        assert answer == status and reason in body, path


@pytest.mark.parametrize("origin, host", [
    ("http://evil.example", None),
    ("null", None),
    (None, None),
    ("http://evil.example:{port}", "evil.example:{port}"),  # a rebound DNS name: Origin and Host agree
])
def test_foreign_hosts_and_origins_are_refused_on_the_websocket(served, origin, host):
    port = served.server.port
    url = f"http://localhost:{port}/"
    fill = (lambda text: text if text is None else text.format(port=port))
    with pytest.raises(HTTPClientError) as refused:
        asyncio.run(SessionClient.open(url, origin=fill(origin), host=fill(host)))
    assert refused.value.code == 403


@pytest.mark.parametrize("origin, host", [("", None), (f"https://{CLASSROOM}", CLASSROOM)])
def test_a_session_from_an_allowed_origin_picks_and_reads(served, atlas, origin, host):
    async def session() -> None:
        client = await SessionClient.open(served.local_url, origin=origin, host=host)
        await client.pick("tibia", atlas["tibia"].name)
        client.close()

    asyncio.run(session())


def test_a_session_whose_websocket_reaches_another_process_gets_this_servers_stylesheets(served, atlas):
    """With --processes, a page and its websocket may reach different processes; the second builds the
    session without writing its page, and Panel's widget styles must still come from this server."""
    other = BackgroundServer(atlas, ServeOptions(port=0))

    async def session() -> list[str]:
        # Both processes of a real server share its port, hence its origin: here the other one's is used.
        client = await SessionClient.open(served.local_url, socket_at=other.url, origin=other.url.rstrip("/"))
        await client.pick("tibia", atlas["tibia"].name)
        client.close()
        return [model["attributes"]["url"] for model in client.models.values()
                if model["name"].endswith("ImportedStyleSheet")]

    try:
        urls = asyncio.run(session())
    finally:
        other.stop()
    assert urls and all(url.startswith("static/") for url in urls), urls


def test_component_resources_are_not_served_and_no_module_is_imported(served):
    assert "this" not in sys.modules
    status, _, _ = _get(served.server.port, "/components/this/x/_css/a")
    assert status == 404
    assert "this" not in sys.modules


@pytest.mark.parametrize("path, target", [
    ("/?sel=" + "1" * 4301, "./?refused=unreadable"),
    ("/?cam=" + "1" * 5000, "./?refused=unreadable"),
    ("/?sel=" + "a" * 70_000, "./?refused=long"),
    ("/credits?x=" + "1" * 5000, "./credits?refused=unreadable"),
])
def test_a_link_the_page_cannot_read_is_sent_to_the_default_view(served, path, target):
    status, headers, _ = _get(served.server.port, path)
    assert (status, headers["Location"]) == (303, target)
    status, _, body = _get(served.server.port, target[1:])
    assert status == 200 and b"<title>Knee explorer</title>" in body


def test_what_the_page_sends_is_checked_and_the_session_keeps_answering(served, atlas):
    async def session() -> None:
        client = await SessionClient.open(served.local_url)
        tree, canvas = client.model_id("StructureTree"), client.model_id("KneeCanvas")
        for shown in (["not_a_structure"], [{}], "femur"):
            await client.change(tree, "shown", shown)
        await client.change(tree, "selected", {"type": "map", "entries": []})
        bad_cameras = ([1e308, 0, 0], [0, 0, 0], "far away")
        for position in bad_cameras:
            camera = {"position": position, "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]}
            await client.change(canvas, "camera", {"type": "map", "entries": list(camera.items())})
        await client.pick("tibia", atlas["tibia"].name)
        client.close()

    asyncio.run(session())
    assert curdoc().session_context is None  # no session's document is left as every thread's current one


def test_texts_and_links_written_after_hostile_input_are_ones_the_app_reads(served, atlas):
    async def session() -> tuple[list[str], list[str]]:
        client = await SessionClient.open(served.local_url)
        tree, canvas = client.model_id("StructureTree"), client.model_id("KneeCanvas")
        await client.change(tree, "shown", ["femur", "not_a_structure"])
        camera = {"position": [0, 0, 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]}
        await client.change(canvas, "camera", {"type": "map", "entries": list(camera.items())})
        camera = {"position": [1e308, 0, 0], "focalPoint": [0, 0, 0], "viewUp": [0, 0, 1]}
        await client.change(canvas, "camera", {"type": "map", "entries": list(camera.items())})
        await client.send_event(client.component_id("KneeCanvas"), {"picked": "femur"})
        texts, searches = [], []
        while not any("sel=femur" in search for search in searches):
            header, content = await asyncio.wait_for(client.receive(), 60)
            for event in content.get("events", []):
                if event.get("attr") == "text":
                    texts.append(event["new"])
                if event.get("attr") == "search":
                    searches.append(event["new"])
        client.close()
        return texts, searches

    texts, searches = asyncio.run(session())
    shown = [html.unescape(html.unescape(text)) for text in texts]  # as the page shows the pane's HTML
    assert any("There is no structure with the id 'not_a_structure' to show." in text for text in shown), shown
    assert searches and all("e+308" not in s and "cam=0,0,0,0,0,0" not in s for s in searches), searches
    assert searches[-1] == "?show=femur&sel=femur"


def test_a_flood_of_clicks_is_drawn_coalesced_and_other_sessions_keep_answering(served, atlas):
    drawable = [sid for sid, s in atlas.structures.items() if s.mesh is not None]
    clicks = [drawable[i % len(drawable)] for i in range(500)]

    async def flood() -> int:
        flooding, other = await SessionClient.open(served.local_url), await SessionClient.open(served.local_url)
        canvas = flooding.component_id("KneeCanvas")

        async def click_all() -> None:
            for structure_id in clicks:
                await flooding.send_event(canvas, {"picked": structure_id})

        sending = asyncio.create_task(click_all())
        await other.pick("tibia", atlas["tibia"].name)
        await other.pick("femur", atlas["femur"].name)
        await sending
        updates, last = 0, atlas[clicks[-1]].name
        while True:
            header, content = await asyncio.wait_for(flooding.receive(), 120)
            names = [_INFO_NAME.search(e["new"]) for e in content.get("events", [])
                     if e.get("attr") == "text" and isinstance(e.get("new"), str)]
            updates += sum(1 for name in names if name)
            if any(name and name.group(1) == last for name in names):
                break
        flooding.close()
        other.close()
        return updates

    assert asyncio.run(flood()) < len(clicks) // 2


def _run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["--address", "0.0.0.0"], "knee-explorer serve: --address 0.0.0.0 opens the explorer to the network"),
    (["--port", "70000"], "knee-explorer serve: --port 70000 is not a port number (0-65535)"),
    (["--port", "-1"], "knee-explorer serve: --port -1 is not a port number (0-65535)"),
    (["--processes", "0"], "knee-explorer serve: --processes 0 is not a number of processes"),
    (["--allow-origin", "ftp://x"], "knee-explorer serve: --allow-origin 'ftp://x': only http:// and https://"),
])
def test_serve_refuses_bad_options_in_one_line(args, message):
    result = _run_cli("serve", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


def test_serve_on_a_port_in_use_says_so_in_one_line_without_a_url():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_cli("serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr == f"knee-explorer serve: port {port} on localhost is in use; choose another with --port\n"
    assert result.stdout == ""


def _start_cli_server(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "explorer.cli", "serve", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    return process, process.stdout.readline().strip()


def _stop_cli_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def test_serve_on_port_0_prints_the_port_it_listens_on_and_processes_share_it(atlas):
    process, line = _start_cli_server("--port", "0", "--processes", "2")
    try:
        assert line.startswith("Knee explorer: http://localhost:") and not line.endswith(":0/")
        url = line.removeprefix("Knee explorer: ")

        async def sessions() -> None:
            clients = [await SessionClient.open(url) for _ in range(4)]
            for client, structure_id in zip(clients, ("tibia", "femur", "fibula", "patella")):
                await client.pick(structure_id, atlas[structure_id].name)
                client.close()

        asyncio.run(sessions())
    finally:
        _stop_cli_server(process)
    assert "Knee explorer:" not in process.stdout.read()  # one URL, not one per process


#: What a hostile page might send in place of each widget's value.
JUNK = (1e308, -1e308, float("nan"), -5, "x" * 100_000, None, [], {"type": "map", "entries": []})
WIDGET_VALUES = {"Slider": ("value", "value_throttled"), "Checkbox": ("active",), "CustomSelect": ("value",),
                 "TextInput": ("value", "value_input"), "NativeControl": ("value", "checked"), "Tabs": ("active",)}


def test_junk_in_every_widget_leaves_a_session_that_answers_and_writes_links_it_reads(served, atlas):
    async def session() -> list[str]:
        client = await SessionClient.open(served.local_url)
        widgets = [(model_id, attr) for model_id, model in client.models.items()
                   for kind, attrs in WIDGET_VALUES.items() if re.fullmatch(rf"(.*\.)?{kind}\d*", model["name"])
                   for attr in attrs]
        assert len(widgets) >= 10, widgets
        for model_id, attr in widgets:
            for value in JUNK:
                await client.change(model_id, attr, value)
        # A click on the femur from behind: it selects, or, where the junk turned a learning mode on that takes
        # clicks (the pain map), it marks a point; either way the session answers with a new link.
        await client.send_event(client.component_id("KneeCanvas"), {"picked": "femur", "ray": [0, -540.9, 60, 0, 1, 0]})
        return await _links_until(client, lambda search: "sel=femur" in search or "hurt=" in search)

    searches = asyncio.run(session())
    assert all(not decode(parse_qs(search.lstrip("?")), atlas).notices for search in searches), searches


JUNK_MESSAGES = [{"action": action, "kind": kind, "qset": qset, "id": structure}
                 for action in ("start", "answer", "next", "show", "again", "stop", "new", None, 5)
                 for kind, qset, structure in (("find", "all", "femur"), (None, [], {}), (1e308, "x" * 10_000, -5))]


def test_junk_messages_to_the_quiz_and_the_canvas_leave_a_session_that_answers(served, atlas):
    async def session() -> list[str]:
        client = await SessionClient.open(served.local_url)
        for message in JUNK_MESSAGES:
            await client.send_event(client.component_id("QuizPanel"), message)
        for junk in ({"picked": None}, {"picked": 5}, {}, {"picked": []}, {"picked": "femur", "ray": ["x"] * 6},
                     {"picked": "x" * 10_000}):
            await client.send_event(client.component_id("KneeCanvas"), junk)
        await client.send_event(client.component_id("QuizPanel"), {"action": "stop"})
        await client.send_event(client.component_id("KneeCanvas"), {"picked": "tibia", "ray": [0, 540.9, 0, 0, -1, 0]})
        return await _links_until(client, lambda search: "sel=tibia" in search)

    searches = asyncio.run(session())
    assert all(not decode(parse_qs(search.lstrip("?")), atlas).notices for search in searches), searches


async def _links_until(client: SessionClient, done) -> list[str]:
    """The links the session writes (its page's ``search``) until one is ``done``; the client is closed then."""
    searches: list[str] = []
    while not any(done(search) for search in searches):
        header, content = await asyncio.wait_for(client.receive(), 60)
        searches += [event["new"] for event in content.get("events", []) if event.get("attr") == "search"]
    client.close()
    return searches
