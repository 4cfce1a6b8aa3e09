"""Helpers of the struct-log tests (no tests here): Leaf and Probe (calls, a caught revert, a
CREATE, a failing require) deployed by a dev key with fixed gas limits, so the same
transactions on `ogkit node` and on anvil give the same addresses, and a JSON-RPC call that
raises the node's error."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from node_support import DEV_KEYS, RpcFailure, compile_solidity
from web3 import Web3

OWNER = Account.from_key(DEV_KEYS[0])
MEMORY = {"enableMemory": True, "enableReturnData": True}

PROBE = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

contract Leaf {
    uint256 public x;
    event Set(uint256 v);
    function set(uint256 v) external returns (uint256) { x = v; emit Set(v); return v * 2; }
    function boom() external pure { revert("leaf says no"); }
}

contract Probe {
    uint256 public total;
    mapping(uint256 => uint256) public m;
    function work(address leaf, uint256 n) external returns (uint256 r) {
        for (uint256 i = 0; i < n; i++) { m[i] = i * 3; total += i; }
        delete m[0];
        r = Leaf(leaf).set(n);
        try Leaf(leaf).boom() {} catch {}
        bytes memory b = abi.encode(keccak256(abi.encode(n)), r);
        r += b.length;
        new Leaf();
    }
    function fail() external { total = 1; require(false, "nope"); }
}
"""

TARGET = "0x" + "99" * 20


def send(w3: Web3, call: Any = None, gas: int = 600_000, wait: bool = True, **fields: Any) -> bytes:
    """A signed transaction with a fixed gas limit (estimates differ between nodes)."""
    nonce = w3.eth.get_transaction_count(OWNER.address, "pending")
    base = {"from": OWNER.address, "gas": gas, "nonce": nonce}
    tx = call.build_transaction(base) if call is not None else {**base, **fields}
    if call is None:
        tx.setdefault("gasPrice", w3.eth.gas_price)
        tx["chainId"] = w3.eth.chain_id
    tx_hash = w3.eth.send_raw_transaction(OWNER.sign_transaction(tx).raw_transaction)
    if wait:
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    return tx_hash


def run_probe(w3: Web3) -> dict[str, Any]:
    """Deploy Leaf and Probe, then `work` (calls, a caught revert, a CREATE) and `fail`."""
    contracts = compile_solidity(PROBE)
    hashes = {}
    addresses = {}
    for name in ("Leaf", "Probe"):
        abi, bytecode = contracts[name]
        tx_hash = send(w3, w3.eth.contract(abi=abi, bytecode=bytecode).constructor())
        hashes[name] = tx_hash
        addresses[name] = w3.eth.get_transaction_receipt(tx_hash).contractAddress
    probe = w3.eth.contract(address=addresses["Probe"], abi=contracts["Probe"][0])
    hashes["work"] = send(w3, probe.functions.work(addresses["Leaf"], 3))
    hashes["fail"] = send(w3, probe.functions.fail(), gas=100_000)
    return {"hashes": hashes, "addresses": addresses, "probe": probe}


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    reply = w3.provider.make_request(method, list(params))
    if "error" in reply:
        raise RpcFailure(reply["error"])
    return reply["result"]
