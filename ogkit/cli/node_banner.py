"""What `ogkit node` prints at start: anvil's banner (accounts, keys, chain id, settings)
and the warning for a port other machines can reach."""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from pathlib import Path

import click

from ogkit.cli.node_budget import describe_budget


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def warn_exposed(host: str) -> None:
    """Loud, on stderr, even with --quiet: this is how a dev node gets robbed."""
    lines = [
        f"WARNING: listening on {host}, reachable from other machines.",
        "WARNING: the dev accounts are unlocked and their private keys are public: anyone who",
        "WARNING: can reach this port can spend their funds, and anvil_setCode, debug_setHead",
        "WARNING: and evm_revert let them rewrite the chain. Use --host 127.0.0.1 unless every",
        "WARNING: machine on this network is yours.",
    ]
    click.secho("\n".join(lines), fg="red", bold=True, err=True)


def banner(running) -> None:
    """anvil's start-up text, with the AI chain's own settings."""
    chain = running.chain
    echo = running.say
    echo("")
    if chain.config.profile is None:  # else its own lines came first (ogkit/cli/node_payments.py)
        echo("ogkit node: the OpenGradient-compatible AI chain (OGInference precompile at 0x…F4)")
        echo("")
    echo("Available Accounts")
    echo("==================")
    for i, key in enumerate(chain.keys):
        address = key.public_key.to_checksum_address()
        echo(f"({i}) {address} ({Decimal(chain.balance) / 10**18:f} ETH at genesis)")
    echo("")
    _secrets(running)
    echo("")
    echo("Chain ID")
    echo("==================")
    echo(str(chain.chain_id))
    echo("")
    head = chain.head
    echo(f"Gas limit:         {head.gas_limit}")
    echo(f"Base fee:          {chain.next_base_fee()}")
    mining = "automine" if chain.block_time is None else f"every {chain.block_time:g} s"
    echo(f"Mining:            {mining}")
    models = chain.model_store.list()
    echo(f"Model store:       {chain.model_store.root} ({len(models)} models)")
    if chain.config.data_dir is None:
        echo("Storage:           in memory (use --data-dir to keep the chain)")
    else:
        state = f"resumed at block {head.block_number}" if chain.resumed else "new chain"
        echo(f"Storage:           {Path(chain.config.data_dir).resolve()} (LevelDB, {state})")
    limits = running.limits
    if limits.allow_origins:
        echo(f"CORS:              allowed from {', '.join(limits.allow_origins)}")
    else:
        echo("CORS:              off (--allow-origin to let web pages call the node)")
    echo(f"Connections:       up to {limits.max_connections}")
    echo(f"Call budget:       {describe_budget(chain.config)}")
    echo(f"TEE root (0x900):  {_tee_root_line(chain.services.tee_root_pem)}")
    signer = chain.price_feed.address
    dev = " (the public DEV key)" if signer == _dev_price_feed_address() else ""
    echo(f"Price feed signer: {signer}{dev}")
    echo("")
    echo(f"Listening on {running.url}")


def _secrets(running) -> None:
    """The dev accounts' keys and mnemonic, as anvil prints them; not those of a mnemonic of
    your own on a non-dev chain id, where stdout may well end up in a log."""
    from ogkit.chain.genesis import DEFAULT_MNEMONIC
    from ogkit.node.chain.devkeys import DEV_CHAIN_IDS

    chain, echo = running.chain, running.say
    if chain.chain_id not in DEV_CHAIN_IDS and chain.mnemonic.strip() != DEFAULT_MNEMONIC:
        echo(f"Private keys and mnemonic: not printed (chain id {chain.chain_id} is not a dev")
        echo("chain id; they derive from the --mnemonic you gave)")
        echo(f"Derivation path:   {chain.hd_path}/")
        return
    echo("Private Keys (DEV ONLY: publicly known, never use them on a real network)")
    echo("==================")
    for i, key in enumerate(chain.keys):
        echo(f"({i}) 0x{key.to_bytes().hex()}")
    echo("")
    echo("Wallet (DEV ONLY: the well-known test mnemonic unless you chose one)")
    echo("==================")
    echo(f"Mnemonic:          {chain.mnemonic}")
    echo(f"Derivation path:   {chain.hd_path}/")


def _tee_root_line(root_pem: bytes | None) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from ogkit.tee.trust import is_dev_root

    if is_dev_root(root_pem):
        return "the DEV root (its key is public: it trusts anyone; --tee-root to replace)"
    cert = x509.load_pem_x509_certificates(bytes(root_pem or b""))[0]
    return f"{cert.subject.rfc4514_string()} (SHA-256 {cert.fingerprint(hashes.SHA256()).hex()})"


def _dev_price_feed_address() -> str:
    from eth_account import Account

    from ogkit.pricefeed import DEV_SIGNING_KEY

    return Account.from_key(DEV_SIGNING_KEY).address
