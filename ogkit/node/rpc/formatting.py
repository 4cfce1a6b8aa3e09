"""py-evm objects to JSON-RPC objects (camelCase keys, hex quantities and data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import rlp
from eth.abc import BlockAPI, ReceiptAPI, SignedTransactionAPI
from eth_utils import keccak

from ogkit.chain.hexjson import addr, b, q, word

if TYPE_CHECKING:
    from ogkit.node.chain.mining import MinedTx

ZERO_ADDRESS = b"\x00" * 20
DYNAMIC_FEE_TYPE = 2


def tx_type(tx: SignedTransactionAPI) -> int:
    return tx.type_id or 0


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int | None) -> int:
    if tx_type(tx) >= DYNAMIC_FEE_TYPE:
        return min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + (base_fee or 0))
    return tx.gas_price


def contract_address(sender: bytes, nonce: int) -> bytes:
    return keccak(rlp.encode([sender, nonce]))[12:]


def format_transaction(
    tx: SignedTransactionAPI,
    sender: bytes,
    block: BlockAPI | None,
    index: int | None,
    base_fee: int | None,
) -> dict[str, Any]:
    """`block` None: a pending transaction (no block hash, number or index yet)."""
    kind = tx_type(tx)
    out: dict[str, Any] = {
        "type": q(kind),
        "hash": b(tx.hash),
        "nonce": q(tx.nonce),
        "blockHash": b(block.hash) if block is not None else None,
        "blockNumber": q(block.number) if block is not None else None,
        "transactionIndex": q(index) if block is not None and index is not None else None,
        "from": addr(sender),
        "to": addr(tx.to),
        "value": q(tx.value),
        "gas": q(tx.gas),
        "input": b(tx.data),
    }
    if kind >= DYNAMIC_FEE_TYPE:
        out["maxFeePerGas"] = q(tx.max_fee_per_gas)
        out["maxPriorityFeePerGas"] = q(tx.max_priority_fee_per_gas)
        out["gasPrice"] = q(
            effective_gas_price(tx, base_fee) if block is not None else tx.max_fee_per_gas
        )
    else:
        out["gasPrice"] = q(tx.gas_price)
    if kind == 0:
        v = tx.v
        if v >= 35:
            out["chainId"] = q((v - 35) // 2)
        out["v"] = q(v)
    else:
        out["chainId"] = q(tx.chain_id)
        out["accessList"] = [
            {"address": addr(a), "storageKeys": [word(k) for k in keys]}
            for a, keys in (tx.access_list or ())
        ]
        out["v"] = q(tx.y_parity)
        out["yParity"] = q(tx.y_parity)
    if kind == 3:
        out["maxFeePerBlobGas"] = q(tx.max_fee_per_blob_gas)
        out["blobVersionedHashes"] = [b(h) for h in tx.blob_versioned_hashes]
    if kind == 4:
        out["authorizationList"] = [
            {
                "chainId": q(a.chain_id),
                "address": addr(a.address),
                "nonce": q(a.nonce),
                "yParity": q(a.y_parity),
                "r": q(a.r),
                "s": q(a.s),
            }
            for a in tx.authorization_list
        ]
    out["r"] = q(tx.r)
    out["s"] = q(tx.s)
    return out


def format_block(
    block: BlockAPI,
    full: bool,
    sender_of: Callable[[SignedTransactionAPI], bytes],
    pending: bool = False,
) -> dict[str, Any]:
    header = block.header
    base_fee = getattr(header, "base_fee_per_gas", None)
    if full:
        txs: list[Any] = [
            format_transaction(tx, sender_of(tx), None if pending else block, i, base_fee)
            for i, tx in enumerate(block.transactions)
        ]
    else:
        txs = [b(tx.hash) for tx in block.transactions]
    out: dict[str, Any] = {
        "number": q(header.block_number),
        "hash": None if pending else b(header.hash),
        "parentHash": b(header.parent_hash),
        "nonce": None if pending else b(header.nonce),
        "mixHash": b(header.mix_hash),
        "sha3Uncles": b(header.uncles_hash),
        "logsBloom": b(header.bloom.to_bytes(256, "big")),
        "transactionsRoot": b(header.transaction_root),
        "stateRoot": b(header.state_root),
        "receiptsRoot": b(header.receipt_root),
        "miner": addr(header.coinbase) or addr(ZERO_ADDRESS),
        "difficulty": q(header.difficulty),
        "totalDifficulty": q(header.difficulty),
        "extraData": b(header.extra_data),
        "size": q(len(rlp.encode(block))),
        "gasLimit": q(header.gas_limit),
        "gasUsed": q(header.gas_used),
        "timestamp": q(header.timestamp),
        "transactions": txs,
        "uncles": [b(u.hash) for u in block.uncles],
    }
    if base_fee is not None:
        out["baseFeePerGas"] = q(base_fee)
    if hasattr(header, "withdrawals_root"):
        out["withdrawalsRoot"] = b(header.withdrawals_root)
        out["withdrawals"] = [
            {
                "index": q(w.index),
                "validatorIndex": q(w.validator_index),
                "address": addr(w.address),
                "amount": q(w.amount),
            }
            for w in (getattr(block, "withdrawals", None) or ())
        ]
    if hasattr(header, "blob_gas_used"):
        out["blobGasUsed"] = q(header.blob_gas_used)
        out["excessBlobGas"] = q(header.excess_blob_gas)
        out["parentBeaconBlockRoot"] = b(header.parent_beacon_block_root)
    if hasattr(header, "requests_hash"):
        out["requestsHash"] = b(header.requests_hash)
    return out


def format_log(
    log: Any,
    block: BlockAPI,
    tx: SignedTransactionAPI,
    tx_index: int,
    log_index: int,
) -> dict[str, Any]:
    return {
        "address": addr(log.address),
        "topics": [word(t) for t in log.topics],
        "data": b(log.data),
        "blockNumber": q(block.number),
        "blockHash": b(block.hash),
        "blockTimestamp": q(block.header.timestamp),
        "transactionHash": b(tx.hash),
        "transactionIndex": q(tx_index),
        "logIndex": q(log_index),
        "removed": False,
    }


def first_log_index(receipts: Sequence[ReceiptAPI], tx_index: int) -> int:
    """Log indexes count through the whole block."""
    return sum(len(r.logs) for r in receipts[:tx_index])


def receipt_status(receipt: ReceiptAPI) -> int:
    return 1 if receipt.state_root == b"\x01" else 0


def format_receipt(
    block: BlockAPI,
    receipts: Sequence[ReceiptAPI],
    tx: SignedTransactionAPI,
    tx_index: int,
    sender: bytes,
    inferences: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """geth's receipt, plus `inferences`: the transaction's 0xF4 calls (see
    `ogkit.inference.receipts`), empty for a transaction that made none."""
    receipt = receipts[tx_index]
    previous = receipts[tx_index - 1].gas_used if tx_index else 0
    base_fee = getattr(block.header, "base_fee_per_gas", None)
    start = first_log_index(receipts, tx_index)
    out: dict[str, Any] = {
        "transactionHash": b(tx.hash),
        "transactionIndex": q(tx_index),
        "blockHash": b(block.hash),
        "blockNumber": q(block.number),
        "from": addr(sender),
        "to": addr(tx.to),
        "cumulativeGasUsed": q(receipt.gas_used),
        "gasUsed": q(receipt.gas_used - previous),
        "contractAddress": addr(contract_address(sender, tx.nonce)) if not tx.to else None,
        "logs": [
            format_log(log, block, tx, tx_index, start + i) for i, log in enumerate(receipt.logs)
        ],
        "logsBloom": b(receipt.bloom.to_bytes(256, "big")),
        "status": q(receipt_status(receipt)),
        "effectiveGasPrice": q(effective_gas_price(tx, base_fee)),
        "type": q(tx_type(tx)),
        "inferences": inferences or [],
    }
    return out


def describe_mined(block_number: int, block_hash: bytes, tx: MinedTx) -> str:
    """One anvil-like log line per sealed transaction."""
    parts = [
        f"  tx 0x{tx.tx_hash.hex()}",
        f"block {block_number}",
        f"gas {tx.gas_used:,}",
        "ok" if tx.status else "REVERTED",
    ]
    if tx.contract:
        parts.append(f"created 0x{tx.contract.hex()}")
    for event in tx.inferences:
        parts.append(f"inference model={event.model_id} id=0x{event.inference_id}")
    return "  ".join(parts)
