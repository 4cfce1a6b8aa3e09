"""`ogkit llm verify`: check a TEE-signed LLM answer against the chain and say what was checked.

    ogkit llm verify RESPONSE.json|STREAM.txt [--request REQUEST.json] [--rpc URL] [--gateway URL]
                     [--payment-rpc URL] [--settlement SETTLEMENT.json] [--json] [--strict]
    ogkit llm verify --inference-id ID --rpc URL [--request REQUEST.json]

Exit 0 only if every required check passed (`--strict`: every check, nothing skipped).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


@click.group("llm")
def llm() -> None:
    """Verify TEE-signed LLM answers."""


def _load(path: str | None, what: str) -> Any:
    if path is None:
        return None
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        if text.lstrip().startswith("data:"):  # a streamed answer, saved as received
            from ogkit.llm.verify_gateway import assemble_stream

            return assemble_stream(text)
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read {what} {path}: {exc}") from None


def _web3(url: str):
    from web3 import Web3

    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))


@llm.command("verify", short_help="Check an answer's signature, enclave, settlement, payment.")
@click.argument("response_file", required=False, metavar="RESPONSE.json")
@click.option("--request", "request_file", help="The request that was sent (JSON body).")
@click.option("--inference-id", help="A 0xF4 TEE-mode LLM record to check instead.")
@click.option(
    "--rpc",
    default="http://127.0.0.1:8545",
    show_default=True,
    help="The AI chain's JSON-RPC (registry, relay, records).",
)
@click.option(
    "--gateway",
    "gateway_url",
    help="The gateway: a fresh attestation, and the answer's batch proof (by job or signature).",
)
@click.option(
    "--settlement",
    "settlement_file",
    help="The job's GET /v1/settlements body, saved (instead of asking --gateway).",
)
@click.option("--payment-rpc", help="The payment chain's JSON-RPC (the payment's receipt).")
@click.option(
    "--payee",
    help="Where the payment must have gone (default: the TEE's registered paymentAddress).",
)
@click.option(
    "--tee-root",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM of the TEE root, when the registry stores none (default: dev root).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True, help="Fail on any skipped check too.")
def verify(
    response_file: str | None,
    request_file: str | None,
    inference_id: str | None,
    rpc: str,
    gateway_url: str | None,
    settlement_file: str | None,
    payment_rpc: str | None,
    payee: str | None,
    tee_root: str | None,
    as_json: bool,
    strict: bool,
) -> None:
    """Check an answer's hashes, its signature against the enclave the TEE registry holds, the
    enclave's attestation, its settlement on the AI chain and its payment."""
    from ogkit.llm.verify import verify_inference, verify_response

    if (response_file is None) == (inference_id is None):
        raise click.UsageError("give RESPONSE.json or --inference-id (one of them)")
    response = _load(response_file, "response")
    request = _load(request_file, "request")
    root = Path(tee_root).read_bytes() if tee_root else None
    try:
        if inference_id is not None:
            report = verify_inference(
                inference_id, w3=_web3(rpc), request=request, response=response, tee_root_pem=root
            )
        else:
            if not isinstance(response, dict):
                raise click.BadParameter("the response must be a JSON object")
            report = verify_response(
                response,
                w3=_web3(rpc),
                request=request,
                gateway_url=gateway_url,
                settlement=_load(settlement_file, "settlement"),
                payment_w3=_web3(payment_rpc) if payment_rpc else None,
                payee=payee,
                tee_root_pem=root,
            )
    except OSError as exc:  # the node is not there: requests' errors are OSErrors
        raise click.ClickException(f"cannot reach {rpc}: {exc}") from None
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo("\n".join(report.lines()))
    sys.exit(0 if (report.strictly_ok if strict else report.ok) else 1)
