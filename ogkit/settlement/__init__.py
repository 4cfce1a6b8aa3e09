"""The full-node role in HACA: check what inference nodes signed or proved, settle it on chain."""

from ogkit.settlement.service import SettlementService
from ogkit.settlement.tee import TeeSettlement

__all__ = ["SettlementService", "TeeSettlement"]
