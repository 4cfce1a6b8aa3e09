"""The "Where the node's time goes" section of bench/RESULTS-node.md: the HTTP round trip,
the in-process timing and the cProfile tables measured by node_profile.py, and what the node
does per automined transaction."""

from __future__ import annotations

from node_setup import PROFILE_TXS, RTT_CALLS
from stats import Summary

WHAT_THE_NODE_DOES = (
    "What the node does per automined transaction, and what it no longer does: over "
    "HTTP it answers `eth_sendRawTransaction` once the transaction has run, and seals "
    "the block (state root, storage, next pending block) right after writing the "
    "answer, while the client reads it; any later request, from any client, waits for "
    "that seal, so none sees the chain without the block (in-process, as profiled "
    "above, it seals before returning). The next pending header is not made at the "
    "seal: the first request that needs it makes it, or the server after its next "
    "answer (usually the receipt's, while the client reads it), with the VM, state and "
    "empty block the next transaction will run in. One VM "
    "and one state for the transaction and its block (py-evm's `MiningChain` makes a "
    "second VM to seal, decodes the pending block back from the database and persists "
    "the state twice); the state root once per block; the sealed header checked "
    "against its parent in memory (`VM.validate_header`), not `VM.validate_block`, "
    "which read the parent back from the database twice and rebuilt the transaction "
    "root the block was just built from; no eager "
    "formatting of py-evm's per-block debug line; the canonical head and the receipts "
    "of the block just sealed kept in memory; py-trie's nodes decoded once per "
    "encoding (each reader gets its own copy), RLP encoded without pyrlp's ABC checks, "
    "nibbles made in C (ogkit/node/chain/trienodes.py, held to py-trie's and pyrlp's "
    "answers by tests/node/test_node_trienodes.py); over HTTP, the request head read "
    "in one piece and the response head written as one string. What remains is "
    "py-evm's own work: executing the transaction, the Merkle-Patricia tries (state "
    "root, transaction and receipt roots), RLP and keccak. Answering before executing, "
    "as anvil does, was measured and not taken: the node already seals after its "
    "answer, and the client's receipt request arrives while it is still sealing (a node"
    " instrumented per request sat idle 0.02 - 0.05 ms, median, between the seal and "
    "that request), so executing after the answer too would only lengthen the seal the "
    "receipt waits for."
)
"""The closing paragraph: the node's per-transaction work, as the node now does it."""


def profile_section(rtt: dict, prof: dict) -> list[str]:
    """The section's lines, ending with a blank line."""
    L: list[str] = []
    add = L.append
    add("## Where the node's time goes")
    add("")
    rtt_ours, rtt_anvil = (Summary.of([x * 1e3 for x in rtt[k]]) for k in ("ours", "anvil"))
    send, receipt = Summary.of(prof["send_ms"]), Summary.of(prof["receipt_ms"])
    add(
        f"* HTTP round trip of a trivial request (`eth_chainId`) through the same client: "
        f"ogkit node {rtt_ours.median:.3f} ms, anvil {rtt_anvil.median:.3f} ms (median of "
        f"{RTT_CALLS}). Most of it is the client (web3.py + requests); the difference is "
        "the node's HTTP server and JSON-RPC layer."
    )
    add(
        f"* In-process, without HTTP or client, the node handles a (b) transaction in "
        f"{send.median:.3f} ms (`eth_sendRawTransaction`: decode, execute, seal the block, "
        f"store it) plus {receipt.median:.3f} ms (`eth_getTransactionReceipt`), median of "
        f"{PROFILE_TXS}: at most {1e3 / (send.median + receipt.median):,.0f} tx/s before any "
        "transport."
    )
    add(
        f"* cProfile of {PROFILE_TXS} more, cumulative ms per transaction (profiling "
        f"inflates everything; {prof['profiled_ms_per_tx']:.2f} ms per transaction under "
        "the profiler):"
    )
    add("")
    add("| phase | ms per tx (profiled) |")
    add("|---|---:|")
    for label, value in prof["phases"]:
        add(f"| {label} | {value:.3f} |")
    add("")
    add("Hottest functions by own time (ms per transaction, profiled; calls per transaction):")
    add("")
    add("| function | own ms | calls |")
    add("|---|---:|---:|")
    for label, own, calls in prof["hot"]:
        add(f"| {label} | {own:.3f} | {calls:,.0f} |")
    add("")
    add(WHAT_THE_NODE_DOES)
    add("")
    return L
