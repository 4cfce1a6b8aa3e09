"""Inference ids: the same for every replay of a block, different for every call site."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from precompiles.host import CallContext


def call_site_id(context: CallContext, model_hash: bytes, request_args: bytes) -> str:
    """keccak(block, origin, sender, model hash, keccak(calldata)) as hex.

    Hashes the request's calldata as sent (mode, model id and input are all in it) rather
    than re-encoding the decoded request: same id, a fraction of the cost.
    """
    payload = encode(
        ["uint256", "address", "address", "bytes32", "bytes32"],
        [context.block_number, context.origin, context.sender, model_hash, keccak(request_args)],
    )
    return keccak(payload).hex()
