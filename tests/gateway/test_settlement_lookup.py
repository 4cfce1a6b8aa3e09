"""The signature index behind `GET /v1/settlements?tee_signature=`: bounded (the oldest
forgotten first), keyed by the exact signature, and lenient only about a `+` that a query
string turned into a space."""

from __future__ import annotations

import base64

import pytest

from ogkit.gateway.lookup import BadSignature, SignatureIndex, signature_bytes


def test_the_index_keeps_at_most_its_bound_oldest_out_first():
    index = SignatureIndex(max_entries=2)
    signatures = [bytes([n]) * 256 for n in range(3)]
    for n, signature in enumerate(signatures):
        index.add(signature, f"job{n}")
    assert len(index) == 2
    assert [index.job(s) for s in signatures] == [None, "job1", "job2"]
    assert index.job(bytes(255) + b"\x01") is None


def test_a_signature_is_read_from_base64_even_with_its_plus_unescaped():
    raw = bytes([0xFB]) * 256  # base64 of 0xFB bytes is full of `+`
    text = base64.b64encode(raw).decode()
    assert "+" in text
    assert signature_bytes(text) == raw
    assert signature_bytes(text.replace("+", " ")) == raw


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not base64!", "tee_signature must be the answer's base64 signature"),
        ("AAAA", "tee_signature is 3 bytes: an RSA signature is 256 to 512"),
        ("", "tee_signature is 0 bytes: an RSA signature is 256 to 512"),
    ],
)
def test_what_is_no_rsa_signature_is_refused_with_why(text, reason):
    with pytest.raises(BadSignature) as refused:
        signature_bytes(text)
    assert str(refused.value) == reason
