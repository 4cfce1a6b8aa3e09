"""`ogkit gateway`: serve ogkit's LLMs over OpenAI's HTTP API, every answer TEE-signed, and
register in the AI chain's TEE registry so OpenGradient's SDK finds it by RPC URL alone."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import click

from ogkit.cli.gateway_payments import PaymentChoice, make_gate, payment_options
from ogkit.project import STORE_OPTION_HELP


@click.command("gateway", short_help="Serve TEE-signed LLM answers (OpenAI API).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", "-p", default=8443, show_default=True, type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port; the URL is printed).",
)  # fmt: skip
@click.option(
    "--rpc", "rpc_url", default=None,
    help="The AI chain's JSON-RPC URL (`ogkit node`): register the gateway in its TEE registry "
    "at 0x703c… and heartbeat. Without it nothing is registered (use LLM.from_url).",
)  # fmt: skip
@click.option("--http", "plain_http", is_flag=True, help="Plain HTTP, no TLS (development).")
@click.option(
    "--model-store", type=click.Path(path_type=Path), default=None, help=STORE_OPTION_HELP
)
@click.option(
    "--upstream", default=None,
    help="An OpenAI-compatible endpoint for models the store does not hold "
    "[env OGKIT_LLM_URL; its key: OGKIT_LLM_API_KEY].",
)  # fmt: skip
@click.option(
    "--upstream-model", "upstream_models", multiple=True,
    help="A model name of the upstream to list in /v1/models (repeatable).",
)  # fmt: skip
@click.option("--max-tokens", default=1024, show_default=True, type=click.IntRange(1, 1 << 20))
@click.option(
    "--max-concurrent", default=2, show_default=True, type=click.IntRange(1, 256),
    help="Generations at once; more are answered 429.",
)  # fmt: skip
@click.option(
    "--generation-seconds", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
    help="Wall clock of one generation (it ends there, finish_reason length).",
)  # fmt: skip
@click.option("--heartbeat-interval", default=600.0, show_default=True, type=click.FloatRange(1))
@click.option(
    "--settle-interval", default=2.0, show_default=True, type=click.FloatRange(0.1),
    help="Seconds between settlement passes on the AI chain (--rpc); each pass settles the "
    "answers since the last one (batch: one Merkle root; individual: one by one).",
)  # fmt: skip
@payment_options
def gateway(
    host: str,
    port: int,
    rpc_url: str | None,
    plain_http: bool,
    model_store: Path | None,
    upstream: str | None,
    upstream_models: tuple[str, ...],
    max_tokens: int,
    max_concurrent: int,
    generation_seconds: float,
    heartbeat_interval: float,
    settle_interval: float,
    payment: PaymentChoice,
) -> None:
    """Serve /v1/chat/completions (with streaming), /v1/completions and /v1/models, signed by
    a simulated enclave (DEV ONLY) exactly as OpenGradient's TEE gateway signs; with --rpc,
    registered in the AI chain's TEE registry and settled there. With --payments-rpc (or
    --local-payments) every request is paid with x402 (402 + PAYMENT-REQUIRED, then
    PAYMENT-SIGNATURE); without, every request is served free."""
    from ogkit.gateway import GatewayLimits, GatewayModels, GatewayServer, ResponseSigner
    from ogkit.inference.node import InferenceNode
    from ogkit.llm.http_backend import API_KEY_ENV, OpenAIHttpBackend

    http = OpenAIHttpBackend.from_env() if upstream is None else OpenAIHttpBackend(upstream)
    if http is not None:  # an upstream answer is bounded like a local generation
        http = OpenAIHttpBackend(
            http.base_url, http.api_key or os.environ.get(API_KEY_ENV, ""), generation_seconds
        )
    node = InferenceNode(model_store, llm_http=http)  # None: the project's store
    limits = GatewayLimits(
        max_tokens=max_tokens,
        default_tokens=min(256, max_tokens),
        max_concurrent=max_concurrent,
        generation_seconds=generation_seconds,
    )
    models = GatewayModels(node.llm_engine, upstream_models)
    gate, local, payment_line = make_gate(payment, models)
    try:
        server = GatewayServer(
            (host, port),
            models,
            ResponseSigner(node.enclave_slot, node.book),
            gate=gate,
            limits=limits,
            tls=not plain_http,
        )
    except OSError as exc:
        if local is not None:
            local.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    registration = _register(rpc_url, node, server.url, heartbeat_interval)
    settler = _settler(registration, node, settle_interval)
    click.echo(f"TEE id 0x{node.enclave.tee_id.hex()} (simulated enclave: DEV ONLY)")
    click.echo(payment_line)
    click.echo(f"Listening on {server.url}", nl=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    stop.wait()
    _shutdown(server, settler, registration, local)


def _shutdown(server, settler, registration, local) -> None:
    """Stop serving, settling and heartbeating; disable the registry entry; stop an
    in-process payment chain."""
    server.stop()
    if settler is not None:
        settler.stop()
    if registration is not None:
        try:
            registration.stop(disable=True)
        except Exception as exc:  # noqa: BLE001 - the chain may be gone already
            click.echo(f"could not disable the registry entry: {exc}", err=True)
    if local is not None:
        local.close()
    click.echo("Stopped.")


def _register(rpc_url: str | None, node, url: str, interval: float):
    if rpc_url is None:
        return None
    from web3 import Web3

    from ogkit.chain.tee_registry_genesis import TEE_REGISTRY_ADDRESS
    from ogkit.gateway.registration import GatewayRegistration, RegistrationError

    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
    registration = GatewayRegistration(w3, node.enclave_slot, url, interval=interval)
    try:
        registration.start()
    except RegistrationError as exc:
        raise click.ClickException(f"cannot register in the TEE registry: {exc}") from None
    click.echo(f"Registered in the TEE registry {TEE_REGISTRY_ADDRESS} on {rpc_url}")
    return registration


def _settler(registration, node, interval: float):
    if registration is None:
        return None
    from ogkit.gateway.settlement import GatewaySettlement, GatewaySettler

    return GatewaySettler(GatewaySettlement(node.llm_engine, registration.w3), interval).start()
