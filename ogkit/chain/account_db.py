"""py-evm's account database without trie deletions of accounts that are not there (issue 13).

Every transaction touches the block's coinbase (the zero address on the local chains); when
it ends up empty, EIP-161 deletes it, and py-evm applies that deletion to the account trie at
the state root: a walk down the trie that takes apart and rebuilds (and re-hashes) every node
on the key's path, to arrive at the trie it started from, since the account was never in it.
`AIAccountDB` applies py-evm's own diff, in py-evm's order and with its error handling, but a
deletion only where the trie holds the key: the same trie, the same root, the same stored
nodes; the absent key costs one lookup instead.
"""

from __future__ import annotations

from typing import Any

from eth.db.account import AccountDB


class AIAccountDB(AccountDB):
    """py-evm's `AccountDB`; deleting a key the account trie does not hold is skipped."""

    def _apply_account_diff_without_proof(self, diff: Any, trie: Any) -> None:
        super()._apply_account_diff_without_proof(diff, PresentKeysOnly(trie))


class PresentKeysOnly:
    """The account trie as `_apply_account_diff_without_proof` uses it (set and delete
    items), with deletions of absent keys left out. A missing trie node found by the lookup
    raises where the deletion would have raised, inside py-evm's handling of it."""

    __slots__ = ("trie",)

    def __init__(self, trie: Any) -> None:
        self.trie = trie

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.trie[key] = value

    def __delitem__(self, key: bytes) -> None:
        if key in self.trie:
            del self.trie[key]


__all__ = ["AIAccountDB", "PresentKeysOnly"]
