"""A light client of the served explorer: it opens a session as a page does, picks, and reads the info.

It speaks Bokeh's websocket protocol directly (a page's HTTP request for the session token, then
ACK, PULL-DOC, the page's "document ready" event and PATCH-DOC messages), so a test or the load benchmark can hold hundreds of
sessions without a browser, or send what no page would.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

_TOKEN = re.compile(r'"token":"([^"]+)"')
_INFO_NAME = re.compile(r'info-name&quot;&gt;(.*?)&lt;/h2')


class SessionClient:
    """One explorer session over a websocket.

    Use :meth:`open`; then :meth:`pick` reports how long the structure's name took to come back
    in the information panel.
    """

    def __init__(self, connection, document: dict):
        self.connection = connection
        self.document = document
        self.models = {model["id"]: model for model in _models(document)}

    @classmethod
    async def open(cls, page_url: str, origin: str | None = "", host: str | None = None,
                   socket_at: str | None = None, timeout: float = 60.0) -> "SessionClient":
        """Open a session at ``page_url`` (with its query) as a browser would.

        ``origin`` is the Origin header sent with the websocket ("" for the page's own, None for none);
        ``host`` replaces the websocket's Host header (as a rebound DNS name would); ``socket_at`` is
        another server's URL for the websocket (as another server process may take it).
        """
        parts = urlsplit(page_url)
        page = await AsyncHTTPClient().fetch(page_url, request_timeout=timeout)
        token = _TOKEN.search(page.body.decode("utf-8")).group(1)
        headers = {} if origin is None else {"Origin": origin or f"{parts.scheme}://{parts.netloc}"}
        if host is not None:
            headers["Host"] = host
        socket_url = f"ws://{urlsplit(socket_at).netloc if socket_at else parts.netloc}{parts.path.rstrip('/')}/ws"
        connection = await websocket_connect(HTTPRequest(socket_url, headers=headers, request_timeout=timeout),
                                             subprotocols=["bokeh", token], max_message_size=64 * 1024 * 1024)
        connection.protocol.set_nodelay(True)  # as browsers do
        client = cls(connection, {})
        header, _ = await client.receive()
        if header["msgtype"] != "ACK":
            raise ConnectionError(f"expected ACK, got {header['msgtype']}")
        await client.send("PULL-DOC-REQ", {})
        while True:
            header, content = await client.receive()
            if header["msgtype"] == "PULL-DOC-REPLY":
                break
        client.document = content["doc"]
        client.models = {model["id"]: model for model in _models(client.document)}
        # What a page sends once it has drawn the document; the server then sends it every change at once.
        await client.send("PATCH-DOC", {"events": [{"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": {
            "type": "event", "name": "document_ready", "values": {"type": "map"}}}]})
        return client

    def model_id(self, type_name: str) -> str:
        """The id of the first model of a type (e.g. ``"KneeCanvas"``, or a Panel class as ``"Location"``)."""
        for model_id, model in self.models.items():
            if re.fullmatch(rf"(.*\.)?{type_name}\d*", model.get("name", "")):
                return model_id
        raise KeyError(type_name)

    def component_id(self, type_name: str) -> str:
        """The id of the model a custom component's page code sends its messages from (e.g. ``"KneeCanvas"``)."""
        data_id = self.model_id(type_name)
        for model_id, model in self.models.items():
            if model.get("attributes", {}).get("data", {}).get("id") == data_id:
                return model_id
        raise KeyError(type_name)

    async def send(self, msgtype: str, content: dict) -> None:
        """Send one protocol message (header, metadata, content)."""
        await self.connection.write_message(json.dumps({"msgid": uuid.uuid4().hex, "msgtype": msgtype}))
        await self.connection.write_message("{}")
        await self.connection.write_message(json.dumps(content))

    async def receive(self) -> tuple[dict, dict]:
        """The next whole message: ``(header, content)``; buffers are read and dropped."""
        header = json.loads(await self._frame())
        await self._frame()
        content = json.loads(await self._frame())
        for _ in range(header.get("num_buffers", 0)):
            await self._frame()
            await self._frame()
        return header, content

    async def _frame(self):
        frame = await self.connection.read_message()
        if frame is None:
            raise ConnectionError("the server closed the session")
        return frame

    async def send_event(self, model_id: str, data: dict) -> None:
        """Send what a component's ``model.send_msg(data)`` sends from the page."""
        entries = [[key, value] for key, value in data.items()]
        event = {"kind": "MessageSent", "msg_type": "bokeh_event",
                 "msg_data": {"type": "event", "name": "data_event",
                              "values": {"type": "map", "entries": [["model", {"id": model_id}],
                                                                     ["data", {"type": "map", "entries": entries}]]}}}
        await self.send("PATCH-DOC", {"events": [event]})

    async def change(self, model_id: str, attr: str, value) -> None:
        """Send a change of a model's property, as the page does when a widget moves."""
        await self.send("PATCH-DOC", {"events": [{"kind": "ModelChanged", "model": {"id": model_id}, "attr": attr,
                                                  "new": value}]})

    async def pick(self, structure_id: str, expected_name: str, timeout: float = 60.0) -> float:
        """Click ``structure_id`` on the canvas; seconds until the info panel names ``expected_name``."""
        start = time.perf_counter()
        await self.send_event(self.component_id("KneeCanvas"), {"picked": structure_id})
        await self.wait_for_info(expected_name, timeout)
        return time.perf_counter() - start

    async def wait_for_info(self, expected_name: str, timeout: float = 60.0) -> None:
        """Read messages until the information panel's heading is ``expected_name``."""
        async def until_named() -> None:
            while True:
                header, content = await self.receive()
                for event in content.get("events", []) if header["msgtype"] == "PATCH-DOC" else []:
                    if event.get("attr") == "text" and isinstance(event.get("new"), str):
                        found = _INFO_NAME.search(event["new"])
                        if found and found.group(1) == expected_name:
                            return

        await asyncio.wait_for(until_named(), timeout)

    def close(self) -> None:
        """Close the websocket."""
        self.connection.close()


def _models(node):
    """Every model object in a serialized document."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "id" in node:
            yield node
        for value in node.values():
            yield from _models(value)
    elif isinstance(node, list):
        for value in node:
            yield from _models(value)
