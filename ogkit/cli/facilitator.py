"""`ogkit facilitator`: the x402 facilitator of the local payment chain, over HTTP."""

from __future__ import annotations

import signal
import threading

import click


@click.command("facilitator", short_help="Serve the x402 facilitator.")
@click.option(
    "--rpc-url",
    default="http://127.0.0.1:8546",
    show_default=True,
    envvar="OGKIT_PAYMENT_RPC_URL",
    help="The payment chain (`ogkit node --payments`) [env OGKIT_PAYMENT_RPC_URL].",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    "-p",
    default=4020,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port; the URL is printed).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="File holding the hex private key that sends settlements [default: the public DEV "
    "facilitator key, funded in the payment chain's genesis].",
)
def facilitator(rpc_url: str, host: str, port: int, key_file: str | None) -> None:
    """Verify and settle x402 payments (exact: EIP-3009; upto: Permit2) on eip155:8453.

    \b
    POST /verify, POST /settle, GET /supported, as x402's HTTP facilitator client calls them.
    Run the payment chain first:  ogkit node --payments --port 8546
    """
    from ogkit.payments.facilitator import Facilitator
    from ogkit.payments.facilitator_http import serve

    key = None
    if key_file is not None:
        with open(key_file) as handle:
            key = bytes.fromhex(handle.read().strip().removeprefix("0x"))
    kwargs = {} if key is None else {"key": key}
    running = Facilitator(rpc_url, **kwargs)
    try:
        chain_id = running.signer.get_chain_id()
    except Exception as exc:  # noqa: BLE001 - connection errors come in many types
        raise click.ClickException(f"cannot reach the payment chain at {rpc_url}: {exc}") from None
    if chain_id != 8453:
        raise click.ClickException(f"{rpc_url} is chain {chain_id}, not the payment chain 8453")
    try:
        server = serve(running, host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    click.echo(f"x402 facilitator for eip155:8453 on {rpc_url}; settles from {running.address}")
    click.echo(f"Listening on {server.url}", color=False)
    while not done.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
