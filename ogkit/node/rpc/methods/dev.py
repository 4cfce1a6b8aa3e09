"""Dev methods (`evm_*`, `anvil_*` and their `hardhat_*` aliases): snapshots, mining, time,
automine, state changes and impersonation."""

from __future__ import annotations

from typing import Any

from ogkit.chain.hexjson import q
from ogkit.node.rpc import params as p
from ogkit.node.rpc.methods.base import Handler, Methods


class DevMethods(Methods):
    def table(self) -> dict[str, Handler]:
        return {
            "evm_snapshot": self.evm_snapshot,
            "evm_revert": self.evm_revert,
            "evm_mine": self.evm_mine,
            "anvil_mine": self.anvil_mine,
            "hardhat_mine": self.anvil_mine,
            "evm_increaseTime": self.evm_increase_time,
            "evm_setNextBlockTimestamp": self.evm_set_next_block_timestamp,
            "evm_setAutomine": self.evm_set_automine,
            "anvil_setAutomine": self.evm_set_automine,
            "anvil_getAutomine": lambda params: self.node.automine,
            "hardhat_getAutomine": lambda params: self.node.automine,
            "anvil_setBalance": self.anvil_set_balance,
            "hardhat_setBalance": self.anvil_set_balance,
            "anvil_setNonce": self.anvil_set_nonce,
            "hardhat_setNonce": self.anvil_set_nonce,
            "anvil_setCode": self.anvil_set_code,
            "hardhat_setCode": self.anvil_set_code,
            "anvil_setStorageAt": self.anvil_set_storage_at,
            "hardhat_setStorageAt": self.anvil_set_storage_at,
            "anvil_impersonateAccount": self.impersonate,
            "hardhat_impersonateAccount": self.impersonate,
            "anvil_stopImpersonatingAccount": self.stop_impersonating,
            "hardhat_stopImpersonatingAccount": self.stop_impersonating,
        }

    def evm_snapshot(self, params: Any) -> str:
        p.Args(params, "evm_snapshot")
        return q(self.node.snapshot())

    def evm_revert(self, params: Any) -> bool:
        a = p.Args(params, "evm_revert", 1, 1)
        return self.node.revert(p.quantity(a[0], "snapshot id", maximum=2**63))

    def evm_mine(self, params: Any) -> str:
        a = p.Args(params, "evm_mine", 0, 1)
        option = a[0]
        blocks, timestamp = 1, None
        if isinstance(option, dict):
            if option.get("timestamp") is not None:
                timestamp = p.quantity(option["timestamp"], "timestamp", maximum=2**63)
            if option.get("blocks") is not None:
                blocks = p.quantity(option["blocks"], "blocks", maximum=10_000)
        elif option is not None:
            timestamp = p.quantity(option, "timestamp", maximum=2**63)
        self.node.mine(blocks, timestamp)
        return "0x0"

    def anvil_mine(self, params: Any) -> None:
        a = p.Args(params, "anvil_mine", 0, 2)
        blocks = p.quantity(a[0], "blocks", maximum=10_000) if a[0] is not None else 1
        interval = p.quantity(a[1], "interval", maximum=2**32) if a[1] is not None else 1
        self.node.mine(blocks, None, interval)
        return None

    def evm_increase_time(self, params: Any) -> str:
        a = p.Args(params, "evm_increaseTime", 1, 1)
        return q(self.node.increase_time(p.quantity(a[0], "seconds", maximum=2**40)))

    def evm_set_next_block_timestamp(self, params: Any) -> None:
        a = p.Args(params, "evm_setNextBlockTimestamp", 1, 1)
        self.node.set_next_block_timestamp(p.quantity(a[0], "timestamp", maximum=2**63))
        return None

    def evm_set_automine(self, params: Any) -> None:
        a = p.Args(params, "evm_setAutomine", 1, 1)
        self.node.set_automine(p.boolean(a[0], "enabled"))
        return None

    def anvil_set_balance(self, params: Any) -> None:
        a = p.Args(params, "anvil_setBalance", 2, 2)
        self.node.set_balance(p.address(a[0]), p.quantity(a[1], "balance"))
        return None

    def anvil_set_nonce(self, params: Any) -> None:
        a = p.Args(params, "anvil_setNonce", 2, 2)
        self.node.set_nonce(p.address(a[0]), p.quantity(a[1], "nonce", maximum=2**64 - 1))
        return None

    def anvil_set_code(self, params: Any) -> None:
        a = p.Args(params, "anvil_setCode", 2, 2)
        self.node.set_code(p.address(a[0]), p.data(a[1], "code"))
        return None

    def anvil_set_storage_at(self, params: Any) -> bool:
        a = p.Args(params, "anvil_setStorageAt", 3, 3)
        slot = p.quantity(a[1], "slot")
        value = int.from_bytes(p.hash32(a[2], "value"), "big")
        self.node.set_storage(p.address(a[0]), slot, value)
        return True

    def impersonate(self, params: Any) -> None:
        a = p.Args(params, "anvil_impersonateAccount", 1, 1)
        self.node.impersonate(p.address(a[0]), True)
        return None

    def stop_impersonating(self, params: Any) -> None:
        a = p.Args(params, "anvil_stopImpersonatingAccount", 1, 1)
        self.node.impersonate(p.address(a[0]), False)
        return None
