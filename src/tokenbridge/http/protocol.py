"""The HTTP/1.1 connection protocol: uvicorn's httptools protocol, answering in Plaid's format.

A request that is not valid HTTP (garbage bytes, a control character in a header, a negative
Content-Length, broken chunking) never reaches the app: the parser refuses it. uvicorn then
answers with a text/plain 400; a client of a Plaid-compatible API gets a PlaidError instead.
"""

from __future__ import annotations

import secrets

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from tokenbridge.domain import errors
from tokenbridge.http.errors import render


class PlaidHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        status, body = render(
            errors.InvalidBody("request could not be parsed as HTTP/1.1"),
            secrets.token_urlsafe(11),
        )
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend(
            [
                b"content-type: application/json; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(head))
        self.transport.close()
