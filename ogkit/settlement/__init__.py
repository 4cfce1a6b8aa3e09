"""The full-node role in HACA: check what inference nodes signed or proved, settle it on chain."""

from ogkit.settlement.service import SettlementService
from ogkit.settlement.tee import TeeSettlement
from ogkit.settlement.zk import ZkSettlement

__all__ = ["SettlementService", "TeeSettlement", "ZkSettlement"]
