"""What a crash (`kill -9`) left half done, finished when the node starts again.

Over HTTP an automined block is sealed just after its `eth_sendRawTransaction` answer is
written (mining.py, ogkit/chain/locking.py). The transaction is stored under
`OWED_TX_KEY` before that answer, and the key goes once its block is in the database; a key
left at start names a transaction whose hash was returned but whose block was not sealed,
so it is applied again, in a block of its own, before the node serves anything.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import rlp

from ogkit.node.chain.mining import OWED_TX_KEY
from ogkit.node.chain.transactions import decode_raw

if TYPE_CHECKING:
    from ogkit.node.chain.node_chain import NodeChain


def seal_owed_transaction(node: NodeChain) -> bytes | None:
    """Seal the transaction a crash left answered but unsealed; its hash, or None."""
    db = node.db
    try:
        stored = db[OWED_TX_KEY]
    except KeyError:
        return None
    raw, sender = rlp.decode(stored)
    tx = decode_raw(node.chain, raw)
    try:
        with node.lock:
            if node.find_transaction(tx.hash) is None:  # else: sealed before the crash
                node.miner.submit(tx, sender=bytes(sender) or None)
                return tx.hash
            return None
    except Exception as exc:  # noqa: BLE001 - say so, and start anyway
        print(f"a transaction answered before a crash could not be sealed: {exc}", file=sys.stderr)
        return None
    finally:
        if OWED_TX_KEY in db:
            del db[OWED_TX_KEY]
