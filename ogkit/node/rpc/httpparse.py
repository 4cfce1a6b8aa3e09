"""An HTTP/1.1 request head parsed without the email package.

`BaseHTTPRequestHandler.parse_request` reads the header lines with `http.client`, then
hands them to `email.parser`, a general MIME parser: ~18 us of the node's ~70 us per
request. `parse_request` here is the standard library's (Python 3.11, the same answers to
the same bad input: 400, 431, 505, HTTP/0.9) with `read_headers` for that step: plain
`Name: value` lines go straight into the `HTTPMessage` (what the email parser makes of
them: the name as sent, the value without its leading blanks and line end); anything
else (a folded continuation line, a line without a colon) goes to the email parser as
before.
"""

from __future__ import annotations

import email.parser
import http.client
import re
from http import HTTPStatus
from typing import IO, Any

MAX_LINE = 65536  # http.client's _MAXLINE
MAX_HEADERS = 100  # http.client's _MAXHEADERS

_PLAIN_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]*(.*)", re.DOTALL)
"""A header line `_plain_name` accepts: printable ASCII without blank or colon, a colon,
the value without its leading blanks (the line end already split off)."""


class HeaderIndex(http.client.HTTPMessage):
    """An `HTTPMessage` whose `get` is a dict lookup (the first value of a name, as the
    email package's scan finds it); only made of plain lines, whose values the email
    package hands back unchanged. Read-only: the server never changes a request's headers."""

    _index: dict[str, str]

    def get(self, name: str, failobj=None):  # noqa: ANN001, ANN201 - Message.get's signature
        return self._index.get(name.lower(), failobj)


def _buffered_head(fp: IO[bytes]) -> HeaderIndex | None:
    """The head in one piece if it is all buffered and every line is a plain CRLF-ended
    `Name: value`; None (nothing consumed) for anything else, left to `read_headers`' loop."""
    peek = getattr(fp, "peek", None)
    if peek is None:
        return None
    buffered = peek(MAX_LINE)
    if buffered.startswith(b"\r\n"):
        lines: list[bytes] = []
        size = 2
    else:
        end = buffered.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = buffered[:end]
        size = end + 4
        crlf = head.count(b"\r\n")
        if head.count(b"\n") != crlf or head.count(b"\r") != crlf:
            return None  # a bare CR or LF in a line: the loop decides
        lines = head.split(b"\r\n")
        if len(lines) >= MAX_HEADERS:  # with the blank line, over the limit: the loop raises
            return None
    message = HeaderIndex()
    index: dict[str, str] = {}
    for line in lines:
        match = _PLAIN_LINE.fullmatch(line)
        if match is None or len(line) + 2 > MAX_LINE:
            return None
        name = match[1].decode("ascii")
        value = match[2].decode("iso-8859-1")
        message.set_raw(name, value)
        index.setdefault(name.lower(), value)
    message._index = index
    message.set_payload("")
    fp.read(size)
    return message


def read_headers(fp: IO[bytes]) -> http.client.HTTPMessage:
    """`http.client.parse_headers(fp)`, same limits and errors, without `email.parser`
    for plain header lines."""
    fast = _buffered_head(fp)
    if fast is not None:
        return fast
    lines: list[bytes] = []
    while True:
        line = fp.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            break
    message = http.client.HTTPMessage()
    fields = []
    ended = lines[-1] in (b"\r\n", b"\n")
    for line in lines[:-1] if ended else lines:
        text = line.decode("iso-8859-1")
        name, colon, value = text.partition(":")
        if not colon or not _plain_name(name):
            return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(
                b"".join(lines).decode("iso-8859-1")
            )
        fields.append((name, value.lstrip(" \t").rstrip("\r\n")))
    for name, value in fields:
        message.set_raw(name, value)
    if ended:
        message.set_payload("")  # as the email parser leaves it after the blank line
    return message


def _plain_name(name: str) -> bool:
    """A name the email parser takes as one (printable ASCII, no blank), so the fast
    path and it agree on which lines are headers."""
    return bool(name) and name.isascii() and name.isprintable() and " " not in name


def parse_request(handler: Any) -> bool:
    """`BaseHTTPRequestHandler.parse_request` with `read_headers` (see the module doc)."""
    handler.command = None
    handler.request_version = version = handler.default_request_version
    handler.close_connection = True
    requestline = str(handler.raw_requestline, "iso-8859-1").rstrip("\r\n")
    handler.requestline = requestline
    words = requestline.split()
    if len(words) == 0:
        return False
    if len(words) >= 3:
        version = words[-1]
        try:
            if not version.startswith("HTTP/"):
                raise ValueError
            base_version_number = version.split("/", 1)[1]
            version_number = base_version_number.split(".")
            if len(version_number) != 2:
                raise ValueError
            if any(not part.isdigit() or len(part) > 10 for part in version_number):
                raise ValueError
            major, minor = int(version_number[0]), int(version_number[1])
        except (ValueError, IndexError):
            handler.send_error(HTTPStatus.BAD_REQUEST, f"Bad request version ({version!r})")
            return False
        if (major, minor) >= (1, 1) and handler.protocol_version >= "HTTP/1.1":
            handler.close_connection = False
        if (major, minor) >= (2, 0):
            handler.send_error(
                HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                f"Invalid HTTP version ({base_version_number})",
            )
            return False
        handler.request_version = version
    if not 2 <= len(words) <= 3:
        handler.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({requestline!r})")
        return False
    command, path = words[:2]
    if len(words) == 2:
        handler.close_connection = True
        if command != "GET":
            handler.send_error(HTTPStatus.BAD_REQUEST, f"Bad HTTP/0.9 request type ({command!r})")
            return False
    handler.command, handler.path = command, path
    if handler.path.startswith("//"):
        handler.path = "/" + handler.path.lstrip("/")
    return _headers(handler)


def _headers(handler: Any) -> bool:
    try:
        handler.headers = read_headers(handler.rfile)
    except http.client.LineTooLong as err:
        handler.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", str(err))
        return False
    except http.client.HTTPException as err:
        handler.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers", str(err))
        return False
    conntype = handler.headers.get("Connection", "").lower()
    if conntype == "close":
        handler.close_connection = True
    elif conntype == "keep-alive" and handler.protocol_version >= "HTTP/1.1":
        handler.close_connection = False
    expect = handler.headers.get("Expect", "")
    if (
        expect.lower() == "100-continue"
        and handler.protocol_version >= "HTTP/1.1"
        and handler.request_version >= "HTTP/1.1"
    ):
        return bool(handler.handle_expect_100())
    return True
