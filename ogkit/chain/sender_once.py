"""A legacy transaction's signature check that keeps the sender it recovers (issue 13).

py-evm validates a legacy (type 0) transaction by recovering the public key from its
signature (`validate_transaction_signature`) and, a moment later, asks for its sender, which
recovers the same public key from the same message and signature again
(`extract_transaction_sender`); typed transactions recover once. `keep_checked_sender` makes
one transaction's check py-evm's own steps, in its order, with its errors, plus one: the
recovered key's address is kept as the transaction's `sender` (py-evm's cached property on
that very object), so the second recovery does not happen. Nothing is skipped: the check
(recovery and `verify_msg`) still runs in full, where and when py-evm runs it.
"""

from __future__ import annotations

from typing import Any

from eth.typing import Address
from eth.vm.forks.frontier.transactions import FrontierTransaction
from eth_keys import keys
from eth_keys.exceptions import BadSignature
from eth_utils import ValidationError

_CHECK = FrontierTransaction.check_signature_validity
_SENDER = FrontierTransaction.get_sender


def keep_checked_sender(tx: Any) -> None:
    """Make `tx`'s signature check keep its sender, if `tx` checks and recovers as py-evm's
    legacy transactions do (else leave it as it is)."""
    cls = type(tx)
    if getattr(cls, "check_signature_validity", None) is not _CHECK:
        return
    if getattr(cls, "get_sender", None) is not _SENDER:
        return
    # an instance attribute shadows the class's method for this object only (rlp objects
    # refuse setattr; py-evm's cached `sender` is written to __dict__ the same way)
    tx.__dict__["check_signature_validity"] = _CheckKeepingSender(tx)


class _CheckKeepingSender:
    """`validate_transaction_signature(tx)` (what `check_signature_validity` calls), step for
    step, then the recovered key's address as `tx.sender` (`extract_transaction_sender`'s
    result: the same message, the same (y_parity, r, s), the same recovery)."""

    __slots__ = ("tx",)

    def __init__(self, tx: Any) -> None:
        self.tx = tx

    def __call__(self) -> None:
        tx = self.tx
        del tx.__dict__["check_signature_validity"]  # once (and no reference cycle left)
        message = tx.get_message_for_signing()
        vrs = (tx.y_parity, tx.r, tx.s)
        try:
            signature = keys.Signature(vrs=vrs)
            public_key = signature.recover_public_key_from_msg(message)
        except BadSignature as e:
            raise ValidationError(f"Bad Signature: {str(e)}")  # noqa: B904 - py-evm's, as is
        if not signature.verify_msg(message, public_key):
            raise ValidationError("Invalid Signature")
        tx.__dict__.setdefault("sender", Address(public_key.to_canonical_address()))


__all__ = ["keep_checked_sender"]
