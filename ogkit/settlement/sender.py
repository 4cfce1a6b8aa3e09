"""Sends the settlement service's transactions and turns a revert into its reason.

The relayer is a local key (signed here, works against any node) or an address the node
unlocks. A transaction is dry-run first, so a refusal comes back as the contract's own
reason instead of a bare status 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from web3 import Web3
from web3.exceptions import ContractLogicError


class SettlementRejected(RuntimeError):
    """The chain refused a settlement transaction; `str()` is its reason."""


@dataclass
class TxSender:
    w3: Web3
    account: LocalAccount | str
    receipt_timeout: float = 120.0
    """An auto-mining in-process chain answers at once; a short wait there means a snapshot
    revert took the transaction away, and the pass is retried instead of hanging."""

    @property
    def address(self) -> str:
        if isinstance(self.account, str):
            return Web3.to_checksum_address(self.account)
        return self.account.address

    def send(self, to: str | None, data: bytes, gas: int | None = None) -> Any:
        """Mine one transaction and return its receipt; `SettlementRejected` if it reverts.

        Without `gas` the estimate (padded 20%) is the dry run; with it an `eth_call` is, for
        calls whose estimate would be costly (a pairing check bisected a dozen times)."""
        tx: dict[str, Any] = {"from": self.address, "data": data}
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        try:
            if gas is None:
                gas = self.w3.eth.estimate_gas(tx) * 6 // 5 + 10_000
            else:
                self.w3.eth.call(tx)
        except (ContractLogicError, TransactionFailed, ValueError) as exc:
            reason = str(getattr(exc, "message", None) or exc)
            raise SettlementRejected(reason.removeprefix("execution reverted: ")) from None
        tx["gas"] = gas
        if isinstance(self.account, str):
            tx_hash = self.w3.eth.send_transaction(tx)
        else:
            tx["nonce"] = self.w3.eth.get_transaction_count(self.address, "pending")
            tx["chainId"] = self.w3.eth.chain_id
            tx["gasPrice"] = self.w3.eth.gas_price
            signed = self.account.sign_transaction(tx)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(
            tx_hash, timeout=self.receipt_timeout, poll_latency=0.05
        )
        if receipt["status"] != 1:
            raise SettlementRejected("settlement transaction reverted")
        return receipt
