"""The node's request-head parser (ogkit/node/rpc/httpparse.py) makes of header lines
exactly what `http.client.parse_headers` (the email parser) makes of them."""

from __future__ import annotations

import http.client
import io

import pytest

from ogkit.node.rpc.httpparse import HeaderIndex, read_headers

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


class _Buffered(io.BufferedReader):
    """What the server reads from: a buffered stream, so the one-read fast path runs."""


BUFFERED_HEADS = [
    *HEADS,
    b"Host: h\r\nX: a\rb\r\nY: c\r\r\n\r\n",  # a bare CR inside a value and before the CRLF
    b"Host: h\r\nX: a\nb\r\n\r\n",  # a bare LF inside the head
    b"Host: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",  # the first one counts
    b"".join(b"H%d: v\r\n" % i for i in range(98)) + b"\r\n",
    b"Host: h\r\n",  # the head not all there: the loop reads on
]


@pytest.mark.parametrize("head", BUFFERED_HEADS)
def test_the_buffered_fast_path_agrees_and_leaves_the_body(head):
    """`read_headers` on a buffered stream (one read, a dict index) makes what it makes line
    by line (an unbuffered stream: the loop the test above holds to the standard library's),
    and leaves exactly the body in the stream."""
    ours_fp, theirs_fp = _Buffered(io.BytesIO(head)), io.BytesIO(head)
    ours, theirs = read_headers(ours_fp), read_headers(theirs_fp)
    assert ours.items() == theirs.items()
    assert ours.get_payload() == theirs.get_payload()
    for name in ("host", "Content-Length", "x", "Y", "h97", "Missing"):
        assert ours.get(name) == theirs.get(name)
        assert ours.get(name, "-") == theirs.get(name, "-")
        assert ours.get_all(name) == theirs.get_all(name)
    assert ours_fp.read() == theirs_fp.read()


def test_the_buffered_fast_path_keeps_the_limits():
    many = b"".join(b"H%d: v\r\n" % i for i in range(100)) + b"\r\n"
    with pytest.raises(http.client.HTTPException, match="got more than 100 headers"):
        read_headers(_Buffered(io.BytesIO(many)))
    hundred = b"".join(b"H%d: v\r\n" % i for i in range(99)) + b"\r\n"
    assert len(read_headers(_Buffered(io.BytesIO(hundred)))) == 99


def test_a_plain_buffered_head_takes_the_fast_path():
    """A client's ordinary head is read in one piece and indexed (else the fast path never
    runs and the tests above prove nothing about it)."""
    plain = _Buffered(io.BytesIO(HEADS[0]))
    assert type(read_headers(plain)) is HeaderIndex
    assert plain.read() == b"body"
    assert type(read_headers(_Buffered(io.BytesIO(BUFFERED_HEADS[-1])))) is not HeaderIndex
