"""`ogkit node`: run the AI chain as a JSON-RPC node (like `anvil`)."""

from __future__ import annotations

import gc
import signal
import sys
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from ogkit.cli.node_banner import banner, is_loopback, warn_exposed
from ogkit.cli.node_budget import budget_options
from ogkit.cli.node_payments import apply_payments, banner_for, payments_option
from ogkit.project import STORE_OPTION_HELP

SWITCH_INTERVAL_S = 0.001
"""How often Python hands the GIL to another thread (default 5 ms): a long eth_call runs
Python bytecode flat out, and at 5 ms a turn the accept loop and the connection threads
answered a probe in 2.1 s at p99 with 1,000 idle connections held (1 ms: 0.38 s; a
transfer's latency is the same either way: bench/RESULTS-reliability.md)."""


def _ether(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number of ETH") from None
    if amount < 0:
        raise click.BadParameter("balance must not be negative")
    return int(amount * 10**18)


@click.command("node", short_help="Run the AI chain as a local JSON-RPC node.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    "-p",
    default=8545,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port; the URL is printed).",
)
@click.option(
    "--chain-id",
    type=click.IntRange(1, 2**53),
    default=None,
    help="Chain id [default: 1337, or the one stored in --data-dir].",
)
@click.option(
    "--accounts",
    "-a",
    type=click.IntRange(0, 1000),
    default=None,
    help="Number of funded dev accounts [default: 10].",
)
@click.option(
    "--balance",
    default=None,
    metavar="ETH",
    help="Genesis balance of each dev account, in ETH [default: 10000].",
)
@click.option(
    "--mnemonic",
    "-m",
    default=None,
    help='Mnemonic of the dev accounts [default: "test test ... junk", as Ape and anvil].',
)
@click.option(
    "--block-time",
    "-b",
    type=click.FloatRange(min=0.05),
    default=None,
    metavar="SECONDS",
    help="Seal a block every SECONDS [default: one block per transaction (automine)].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the chain in this directory (LevelDB) and resume it on restart "
    "[default: in memory].",
)
@click.option(
    "--model-store",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="OGKIT_MODEL_STORE",
    default=None,
    help=STORE_OPTION_HELP,
)
@click.option(
    "--price-csv",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="OGKIT_PRICE_CSV",
    default=None,
    help="Candles served by OGHistorical (0xF5) [env OGKIT_PRICE_CSV; default: the shipped "
    "synthetic sample]. Columns: pair,timestamp,duration_mins,open,high,low,close,volume.",
)
@click.option(
    "--fsync", is_flag=True, help="fsync every database write: also survive power loss (slower)."
)
@click.option(
    "--pipe",
    is_flag=True,
    help="Emulate alpha's two-phase execution: eth_call and gas estimates get empty model "
    "outputs with is_simulation_result=true (toggle at run time with ogkit_setPipe).",
)
@budget_options
@click.option(
    "--settlement/--no-settlement",
    default=True,
    show_default=True,
    help="Run the settlement service (HACA's full-node role) that settles TEE results.",
)
@click.option(
    "--settlement-batch",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    metavar="N",
    help="Settle TEE results in Merkle batches of up to N (1: one by one).",
)
@click.option(
    "--provers",
    type=click.IntRange(1, 1024),
    default=None,
    metavar="N",
    help="Make up to N ZK proofs at once, each in its own process [default: one per CPU core "
    "the node may use].",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 100_000),
    default=256,
    show_default=True,
    metavar="N",
    help="Open connections at most. At the cap a new one replaces the longest idle one, or "
    "gets HTTP 503 (JSON-RPC -32005) while all N are answering requests.",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (e.g. http://localhost:3000, or *) call the node (CORS). "
    "Repeatable. Default: none, since any page could drive the unlocked dev accounts.",
)
@click.option(
    "--tee-root",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="OGKIT_TEE_ROOT",
    default=None,
    metavar="PEM_FILE",
    help="Root certificate(s) the TEE verifier (0x900) trusts, e.g. AWS Nitro's [env "
    "OGKIT_TEE_ROOT; default: the dev root, whose key is public]. Kept in --data-dir.",
)
@click.option(
    "--tee-ca",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="OGKIT_TEE_CA",
    default=None,
    metavar="PEM_FILE",
    help="A CA under --tee-root (P-384 key, its certificate, the chain up to the root) the "
    "node's simulated enclave attests with. Without it, TEE-mode inferences revert under a "
    "custom root: the enclave has no identity there.",
)
@click.option(
    "--price-feed-key",
    "price_feed_key_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    metavar="KEY_FILE",
    help="File holding the hex private key that signs OGHistorical (0xF5) records [else env "
    "OGKIT_PRICE_FEED_KEY (the hex key); default: the public dev key]. Never on the command "
    "line: it would show in ps and shell history.",
)
@click.option(
    "--allow-dev-keys",
    is_flag=True,
    help="Start on a chain id other than 1337 or 31337 even with publicly known keys (dev "
    "mnemonic, dev TEE root, dev price-feed key); refused without it.",
)
@payments_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def node(
    host: str,
    port: int,
    chain_id: int | None,
    accounts: int | None,
    balance: str | None,
    mnemonic: str | None,
    block_time: float | None,
    data_dir: Path | None,
    model_store: Path | None,
    price_csv: Path | None,
    fsync: bool,
    pipe: bool,
    call_budget: dict[str, float],
    settlement: bool,
    settlement_batch: int,
    provers: int | None,
    max_connections: int,
    allow_origins: tuple[str, ...],
    tee_root: Path | None,
    tee_ca: Path | None,
    price_feed_key_file: Path | None,
    allow_dev_keys: bool,
    payments: bool,
    quiet: bool,
) -> None:
    """Run the AI chain as a local JSON-RPC node (HTTP), for web3.py, Ape, cast, ethers.

    \b
    Accounts, keys and mnemonic are Ape's and anvil's defaults, so `ape test --network
    opengradient:local:node`, `cast --rpc-url http://127.0.0.1:8545` and wallets just work.
    With --data-dir every mined block is in LevelDB before its RPC call returns, and so is
    every automined transaction whose hash was returned (its block is sealed just after
    the answer; one a kill -9 cut off is sealed at the next start), so a restart resumes
    the chain; chain id and accounts come from there. Websockets share the port. Every answer,
    even to garbage, is JSON-RPC; a request over 8 MiB gets HTTP 413 (-32600), and a
    connection silent for 10 s before its first request or 120 s between requests is closed.

    \b
    The dev accounts are unlocked and their keys are public; dev methods (anvil_setCode,
    debug_setHead, ...) are open. Keep the default --host 127.0.0.1 unless every machine
    that can reach the port is yours. On a chain id other than the dev ones (1337, 31337)
    the node refuses to start while a publicly known key is in use (the dev mnemonic, TEE
    root or price-feed key) unless --allow-dev-keys.
    """
    from ogkit.node import NodeConfig, ServerLimits

    tee_root_pem, price_feed_key = _key_files(tee_root, price_feed_key_file)
    config = NodeConfig(
        chain_id=chain_id,
        accounts=accounts,
        balance=_ether(balance),
        mnemonic=mnemonic,
        block_time=block_time,
        data_dir=data_dir,
        model_store=model_store,
        price_csv=price_csv,
        fsync=fsync,
        pipe=pipe,
        **call_budget,
        settlement=settlement,
        settlement_batch_size=settlement_batch,
        tee_root_pem=tee_root_pem,
        tee_ca=tee_ca,
        price_feed_key=price_feed_key,
        allow_dev_keys=allow_dev_keys,
        provers=provers,
    )
    config = apply_payments(config, payments)
    limits = ServerLimits(max_connections=max_connections, allow_origins=allow_origins)
    running = _start(config, host, port, quiet, limits)
    _serve(running, host, port, quiet, banner_for(payments, banner))


def _start(config, host: str, port: int, quiet: bool, limits):  # noqa: ANN001, ANN202
    """The node, or a one-line error for what a user can fix (data dir, CSV, keys, root)."""
    from ogkit.node import DataDirError, Node
    from ogkit.node.chain.devkeys import DevKeysRefused
    from ogkit.pricefeed import CsvFormatError
    from ogkit.tee.trust import TrustConfigError

    try:
        return Node(config, host=host, port=port, quiet=quiet, limits=limits)
    except (DataDirError, CsvFormatError, DevKeysRefused, TrustConfigError) as exc:
        raise click.ClickException(str(exc)) from None


def _serve(running, host: str, port: int, quiet: bool, banner=banner) -> None:  # noqa: ANN001
    """Open the port, serve until SIGINT or SIGTERM, stop cleanly."""
    # Handlers before the port opens: whoever sees the node answer may stop it at once.
    done = threading.Event()

    def stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
        done.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # What start-up made (modules, models, the chain) lives as long as the node: frozen,
    # the collector never walks it again, and a full collection (84 ms with it, every few
    # thousand requests) only walks what requests made since.
    gc.collect()
    gc.freeze()
    if not is_loopback(host):
        warn_exposed(host)
    try:
        running.start(before_serving=None if quiet else lambda: banner(running))
    except OSError as exc:
        running.chain.close()
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None

    while not done.wait(1.0):
        pass
    running.stop()
    running.chain.inference.stop_provers()  # no proof outlives the node
    if not quiet:
        click.echo("Stopped.")


def _key_files(tee_root: Path | None, price_feed_key: Path | None) -> tuple[bytes | None, ...]:
    """The TEE root's PEM and the price-feed key (file, else $OGKIT_PRICE_FEED_KEY)."""
    from ogkit.pricefeed import PriceFeedKeyError, load_price_feed_key
    from ogkit.tee.trust import TrustConfigError, load_tee_root

    try:
        root = load_tee_root(tee_root) if tee_root is not None else None
        return root, load_price_feed_key(price_feed_key)
    except (TrustConfigError, PriceFeedKeyError) as exc:
        raise click.ClickException(str(exc)) from None
