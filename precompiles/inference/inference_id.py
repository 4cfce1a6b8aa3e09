"""Inference ids: the same for every replay of a block, different for every call.

OpenGradient's events and settlement key results by id, so no two calls may share one: two
identical calls in one transaction differ by their place in it (`CallContext.call_index`),
two identical transactions of one sender in one block by the sender's nonce
(`CallContext.origin_nonce`). Nothing here reads a transaction hash, so an eth_call or a
gas estimate, which has none, names a call as the mined transaction will when it runs on
the same state (the pending block's, for the transaction about to be sent).
"""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from precompiles.host import CallContext

ID_TYPES = ("uint256", "address", "uint256", "address", "uint256", "bytes32", "bytes32")


def call_site_id(context: CallContext, model_hash: bytes, request_args: bytes) -> str:
    """keccak(abi.encode(block, origin, origin nonce, sender, call index, model hash,
    keccak(calldata))) as hex.

    Hashes the request's calldata as sent (mode, model id and input are all in it) rather
    than re-encoding the decoded request: same id, a fraction of the cost.
    """
    payload = encode(
        ID_TYPES,
        [
            context.block_number,
            context.origin,
            context.origin_nonce,
            context.sender,
            context.call_index,
            model_hash,
            keccak(request_args),
        ],
    )
    return keccak(payload).hex()
