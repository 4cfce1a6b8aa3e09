"""The node's request-head parser (ogkit/node/rpc/httpparse.py) makes of header lines
exactly what `http.client.parse_headers` (the email parser) makes of them."""

from __future__ import annotations

import http.client
import io

import pytest

from ogkit.node.rpc.httpparse import read_headers

HEADS = [
    b"Host: 127.0.0.1:8545\r\nContent-Type: application/json\r\nContent-Length: 61\r\n\r\nbody",
    b"Host: x\nContent-Length: 2\n\n{}",  # bare LF line ends
    b"\r\n",  # no headers at all
    b"",  # the client left
    b"A:\r\nB:   spaced value  \r\nC:\tx\r\nc: second\r\nC: third\r\n\r\n",
    b"X-Folded: one\r\n two\r\n\tthree\r\nNext: 1\r\n\r\n",  # obsolete line folding
    b"Bad Name: v\r\nHost: h\r\n\r\n",  # a blank in the name: not a header line
    b"Host: h\r\nNo colon here\r\nContent-Length: 5\r\n\r\n",
    b"Host : h\r\nContent-Length: 5\r\n\r\n",
    b"Caf\xe9: latin-1\r\nHost: h\r\n\r\n",
    b"Host: h\r\nX: caf\xe9 \xff\r\n\r\n",
    b": no name\r\nHost: h\r\n\r\n",
]


@pytest.mark.parametrize("head", HEADS)
def test_same_headers_as_the_standard_library(head):
    ours, theirs = read_headers(io.BytesIO(head)), http.client.parse_headers(io.BytesIO(head))
    assert ours.items() == theirs.items()
    assert ours.get_payload() == theirs.get_payload()
    for name in ("host", "Content-Length", "C", "x-folded", "Missing"):
        assert ours.get(name) == theirs.get(name)
        assert ours.get_all(name) == theirs.get_all(name)


def test_the_same_limits_as_the_standard_library():
    long_line = b"X-Long: " + b"a" * 70_000 + b"\r\n\r\n"
    with pytest.raises(http.client.LineTooLong):
        read_headers(io.BytesIO(long_line))
    many = b"".join(b"H%d: v\r\n" % i for i in range(101)) + b"\r\n"
    with pytest.raises(http.client.HTTPException, match="got more than 100 headers"):
        read_headers(io.BytesIO(many))
    hundred = b"".join(b"H%d: v\r\n" % i for i in range(99)) + b"\r\n"
    assert len(read_headers(io.BytesIO(hundred))) == len(
        http.client.parse_headers(io.BytesIO(hundred))
    )
