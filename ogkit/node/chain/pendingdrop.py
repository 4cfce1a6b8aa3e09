"""`anvil_dropTransaction` of a transaction already in the pending block (automine off, or
`--block-time`): the pending block is made again without it, as anvil's pool would mine it.

The pending block is replaced the way `evm_revert` replaces it (head.py `move_head`: the
inference and price-feed records of the old one are forgotten), on the state its first
transaction ran on, and the others run again in their order. The dropped one's sender's
later transactions then have a nonce gap: they wait in the pool, queued, as in anvil. Dev
state changes (`anvil_setBalance`, ...) made before the first transaction are kept; those
made between the pending block's transactions are lost with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ogkit.node.chain.blocks import SENDER_KEY

if TYPE_CHECKING:
    from ogkit.node.chain.node_chain import NodeChain


def drop_from_pending(node: NodeChain, tx_hash: bytes) -> None:
    """Called with the lock held, for a transaction in the pending block."""
    miner, blocks, clock = node.miner, node.blocks, node.clock
    txs = list(blocks.chain.get_block().transactions)
    root = miner.prestate_root(txs[0].hash)
    overrides = {tx.hash: blocks.db.get(SENDER_KEY + tx.hash) for tx in txs}
    next_timestamp = clock.next_timestamp
    miner.keep_stored()  # they run again below
    node.heads.move_head(blocks.head, root)
    if next_timestamp is not None:  # evm_setNextBlockTimestamp still holds
        clock.next_timestamp = next_timestamp
        clock.freshen_pending()
    miner.pool.unstore([tx_hash])
    for tx in txs:
        if tx.hash != tx_hash:
            miner.run_again(tx, overrides[tx.hash])
