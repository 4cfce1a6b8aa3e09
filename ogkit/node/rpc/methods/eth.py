"""`eth_*` for the chain, accounts and state: reads, calls, sending, fees and signing.
Blocks and transactions are in blocks.py, logs and filters in logs.py."""

from __future__ import annotations

from typing import Any

from ogkit.chain.hexjson import addr, b, q, word
from ogkit.node.rpc import params as p
from ogkit.node.rpc.codec import loads
from ogkit.node.rpc.errors import InvalidParams
from ogkit.node.rpc.methods.base import Handler, Methods
from ogkit.node.rpc.overrides import state_overrides


class EthMethods(Methods):
    def table(self) -> dict[str, Handler]:
        return {
            "eth_chainId": self.eth_chain_id,
            "eth_blockNumber": self.eth_block_number,
            "eth_accounts": self.eth_accounts,
            "eth_coinbase": lambda params: self._none(params, "eth_coinbase") or addr(b"\x00" * 20),
            "eth_mining": lambda params: self._none(params, "eth_mining") or self.node.automine,
            "eth_hashrate": lambda params: self._none(params, "eth_hashrate") or "0x0",
            "eth_syncing": lambda params: self._none(params, "eth_syncing") or False,
            "eth_protocolVersion": lambda params: (
                self._none(params, "eth_protocolVersion") or "0x41"
            ),
            "eth_getBalance": self.eth_get_balance,
            "eth_getTransactionCount": self.eth_get_transaction_count,
            "eth_getCode": self.eth_get_code,
            "eth_getStorageAt": self.eth_get_storage_at,
            "eth_call": self.eth_call,
            "eth_estimateGas": self.eth_estimate_gas,
            "eth_sendRawTransaction": self.eth_send_raw_transaction,
            "eth_sendTransaction": self.eth_send_transaction,
            "eth_gasPrice": lambda params: (
                self._none(params, "eth_gasPrice") or q(self.node.gas_price())
            ),
            "eth_maxPriorityFeePerGas": lambda params: (
                self._none(params, "eth_maxPriorityFeePerGas") or q(10**9)
            ),
            "eth_blobBaseFee": lambda params: self._none(params, "eth_blobBaseFee") or "0x1",
            "eth_feeHistory": self.eth_fee_history,
            "eth_sign": self.eth_sign,
            "personal_sign": self.personal_sign,
            "eth_signTypedData_v4": self.eth_sign_typed_data_v4,
            "eth_signTypedData": self.eth_sign_typed_data_v4,
        }

    # ------------------------------------------------------------------ chain

    def eth_chain_id(self, params: Any) -> str:
        p.Args(params, "eth_chainId")
        return q(self.node.chain_id)

    def eth_block_number(self, params: Any) -> str:
        p.Args(params, "eth_blockNumber")
        return q(self.node.block_number())

    def eth_accounts(self, params: Any) -> list[str]:
        p.Args(params, "eth_accounts")
        return [addr(a) for a in self.node.accounts]

    # ------------------------------------------------------------------ state

    def eth_get_balance(self, params: Any) -> str:
        a = p.Args(params, "eth_getBalance", 1, 2)
        return q(self.node.balance_of(p.address(a[0]), p.block_ref(a[1])))

    def eth_get_transaction_count(self, params: Any) -> str:
        a = p.Args(params, "eth_getTransactionCount", 1, 2)
        return q(self.node.nonce_of(p.address(a[0]), p.block_ref(a[1])))

    def eth_get_code(self, params: Any) -> str:
        a = p.Args(params, "eth_getCode", 1, 2)
        return b(self.node.code_of(p.address(a[0]), p.block_ref(a[1])))

    def eth_get_storage_at(self, params: Any) -> str:
        a = p.Args(params, "eth_getStorageAt", 2, 3)
        slot = p.quantity(a[1], "slot")
        return word(self.node.storage_of(p.address(a[0]), slot, p.block_ref(a[2])))

    # ------------------------------------------------------------------ execution

    def eth_call(self, params: Any) -> str:
        a = p.Args(params, "eth_call", 1, 3)
        overrides = state_overrides(a[2])
        return b(self.node.call(p.tx_params(a[0]), p.block_ref(a[1]), overrides))

    def eth_estimate_gas(self, params: Any) -> str:
        a = p.Args(params, "eth_estimateGas", 1, 3)
        overrides = state_overrides(a[2])
        return q(self.node.estimate_gas(p.tx_params(a[0]), p.block_ref(a[1]), overrides))

    def eth_send_raw_transaction(self, params: Any) -> str:
        a = p.Args(params, "eth_sendRawTransaction", 1, 1)
        return b(self.node.send_raw(p.data(a[0], "transaction")))

    def eth_send_transaction(self, params: Any) -> str:
        a = p.Args(params, "eth_sendTransaction", 1, 1)
        return b(self.node.send_transaction(p.tx_params(a[0])))

    # ------------------------------------------------------------------ fees

    def eth_fee_history(self, params: Any) -> dict[str, Any]:
        a = p.Args(params, "eth_feeHistory", 2, 3)
        count = p.quantity(a[0], "blockCount", maximum=2**63)
        newest = p.block_ref(a[1], "newestBlock", allow_hash=False)
        percentiles = a[2] or []
        if not isinstance(percentiles, list) or len(percentiles) > 100:
            raise InvalidParams("rewardPercentiles: expected an array of at most 100 numbers")
        previous = -1.0
        for value in percentiles:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidParams("rewardPercentiles: expected numbers")
            if not 0 <= value <= 100 or value < previous:
                raise InvalidParams("rewardPercentiles: must rise monotonically within 0-100")
            previous = value
        history = self.node.fee_history(count, newest, [float(x) for x in percentiles])
        out: dict[str, Any] = {
            "oldestBlock": q(history["oldestBlock"]),
            "baseFeePerGas": [q(x) for x in history["baseFeePerGas"]],
            "gasUsedRatio": history["gasUsedRatio"],
            "baseFeePerBlobGas": [q(x) for x in history["baseFeePerBlobGas"]],
            "blobGasUsedRatio": history["blobGasUsedRatio"],
        }
        if "reward" in history:
            out["reward"] = [[q(x) for x in row] for row in history["reward"]]
        return out

    # ------------------------------------------------------------------ signing

    def eth_sign(self, params: Any) -> str:
        a = p.Args(params, "eth_sign", 2, 2)
        return b(self.node.sign_message(p.address(a[0]), p.data(a[1], "message")))

    def personal_sign(self, params: Any) -> str:
        a = p.Args(params, "personal_sign", 2, 3)
        return b(self.node.sign_message(p.address(a[1]), p.data(a[0], "message")))

    def eth_sign_typed_data_v4(self, params: Any) -> str:
        a = p.Args(params, "eth_signTypedData_v4", 2, 2)
        typed = a[1]
        if isinstance(typed, str):
            try:
                typed = loads(typed)
            except (ValueError, RecursionError):
                raise InvalidParams("typed data: not valid JSON") from None
        if not isinstance(typed, dict):
            raise InvalidParams("typed data: expected an object or a JSON string of one")
        return b(self.node.sign_typed_data(p.address(a[0]), typed))
