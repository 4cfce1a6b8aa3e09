"""`eth_simulateV1` (ogkit/node/chain/simulate.py does the work): geth's answer, one
simulated block per entry, each with its calls' results.

A block reads as `eth_getBlockByNumber` shows one (its transactions unsigned: zero
signature), plus `calls`: `returnData`, `logs` (placed in the block: its hash, number and
timestamp, the call's transaction hash and index, an index counting through the block),
`gasUsed`, `maxUsedGas` (the gas used before the refund, as geth's newest answers),
`status`, and for a failed call `error` (code 3 with the revert data for a revert, -32015
with the VM's words otherwise), as geth answers.
"""

from __future__ import annotations

from typing import Any

from ogkit.chain.hexjson import addr, b, q, word
from ogkit.node.chain.simulate import SimulatedBlock, Simulator
from ogkit.node.rpc import params as p
from ogkit.node.rpc.formatting import format_block
from ogkit.node.rpc.methods.base import Handler, Methods
from ogkit.node.rpc.simparams import sim_request


class SimulateMethods(Methods):
    _simulator: Simulator | None = None

    def table(self) -> dict[str, Handler]:
        return {"eth_simulateV1": self.eth_simulate_v1}

    @property
    def simulator(self) -> Simulator:
        if self._simulator is None:
            node = self.node
            self._simulator = Simulator(node.blocks, node.chain_id, node.executor.budget)
        return self._simulator

    def eth_simulate_v1(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "eth_simulateV1", 1, 2)
        request = sim_request(a[0])
        ref = p.block_ref(a[1])
        simulated = self.simulator.simulate(request, ref, self.node.pipe)
        return [simulated_block(s, request.full_transactions) for s in simulated]


def simulated_block(sim: SimulatedBlock, full: bool) -> dict[str, Any]:
    block = sim.block
    out = format_block(block, full, lambda tx: sim.senders[tx.hash])
    placed = {
        "blockNumber": q(block.number),
        "blockHash": b(block.hash),
        "blockTimestamp": q(block.header.timestamp),
    }
    calls, index = [], 0
    for position, (tx, call) in enumerate(zip(block.transactions, sim.calls, strict=True)):
        logs = []
        for address, topics, data in call.logs:
            logs.append(
                {
                    "address": addr(address),
                    "topics": [word(t) for t in topics],
                    "data": b(data),
                    **placed,
                    "transactionHash": b(tx.hash),
                    "transactionIndex": q(position),
                    "logIndex": q(index),
                    "removed": False,
                }
            )
            index += 1
        result: dict[str, Any] = {
            "returnData": b(call.return_data),
            "logs": logs,
            "gasUsed": q(call.gas_used),
            "maxUsedGas": q(call.max_used_gas),
            "status": q(call.status),
        }
        if call.error is not None:
            result["error"] = call.error
        calls.append(result)
    out["calls"] = calls
    return out
