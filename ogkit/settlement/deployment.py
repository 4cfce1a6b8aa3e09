"""The verification contracts a local chain settles against, deployed by the service itself.

A local chain starts without them, and Ape's test isolation may revert them away, so the
settlement service checks for them before each pass and (re)deploys from the committed
artifacts: TEERegistry (trusting the root the engine's enclave attests under, the enclave
approved and registered with an attestation stamped at block time), TEEInferenceVerifier,
InferenceSettlementRelay and ZkInferenceSettlement.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from web3 import Web3

from ogkit.contracts import load
from ogkit.settlement.sender import TxSender
from ogkit.tee.enclave import SimulatedEnclave

LLM_PROXY = 0
"""The TEE type the SDK uses for LLM proxies; our inference enclave registers as it."""


@dataclass(frozen=True)
class VerificationContracts:
    registry: str
    verifier: str
    relay: str
    zk_settlement: str


def _deploy(sender: TxSender, name: str, *args: tuple[str, object]) -> str:
    artifact = load(name)
    data = artifact.bytecode + encode([t for t, _ in args], [v for _, v in args])
    receipt = sender.send(None, data)
    return Web3.to_checksum_address(receipt["contractAddress"])


def _call(sender: TxSender, name: str, address: str, fn: str, *args: object) -> None:
    contract = sender.w3.eth.contract(address=address, abi=load(name).abi)
    data = contract.encode_abi(fn, args=list(args))
    sender.send(address, bytes.fromhex(data.removeprefix("0x")))


def is_deployed(w3: Web3, contracts: VerificationContracts | None) -> bool:
    """Is this exact stack on chain? A snapshot revert can remove it, or leave a different
    contract of a half-finished redeployment at one of its addresses."""
    if contracts is None:
        return False
    try:
        relay = w3.eth.contract(address=contracts.relay, abi=load("InferenceSettlementRelay").abi)
        verifier = w3.eth.contract(address=contracts.verifier, abi=load("TEEInferenceVerifier").abi)
        return (
            relay.functions.SETTLEMENT_CONTRACT().call() == contracts.verifier
            and verifier.functions.registry().call() == contracts.registry
            and len(w3.eth.get_code(contracts.registry)) > 0
            and len(w3.eth.get_code(contracts.zk_settlement)) > 0
        )
    except Exception:  # noqa: BLE001 - no code, other code: not our stack
        return False


def deploy(sender: TxSender, enclave: SimulatedEnclave | None) -> VerificationContracts:
    """Deploy and wire the stack; the relayer is admin, operator and relay. 8 transactions;
    each model's ZK verifier is deployed by `ZkSettlement` when it first needs it. With no
    enclave (one without an identity under the chain's TEE root) the registry is left
    empty: there is no TEE result to settle, and ZK settles all the same."""
    registry = _deploy(sender, "TEERegistry")
    if enclave is not None:
        _register(sender, registry, enclave)
    verifier = _deploy(sender, "TEEInferenceVerifier", ("address", registry))
    relay = _deploy(sender, "InferenceSettlementRelay", ("address", verifier))
    zk_settlement = _deploy(sender, "ZkInferenceSettlement")
    return VerificationContracts(registry, verifier, relay, zk_settlement)


def _register(sender: TxSender, registry: str, enclave: SimulatedEnclave) -> None:
    """Trust the root the enclave attests under (the dev root, or one given with --tee-ca),
    approve its PCRs and register it with an attestation stamped at block time."""
    _call(sender, "TEERegistry", registry, "setAWSRootCertificate", enclave.ca.root_pem)
    _call(sender, "TEERegistry", registry, "addTEEType", LLM_PROXY, "LLMProxy")
    pcrs = (enclave.pcrs[0], enclave.pcrs[1], enclave.pcrs[2])
    _call(sender, "TEERegistry", registry, "approvePCR", pcrs, "dev", LLM_PROXY)
    stamp = sender.w3.eth.get_block("pending")["timestamp"]
    _call(
        sender,
        "TEERegistry",
        registry,
        "registerTEEWithAttestation",
        enclave.attestation_document(timestamp_ms=stamp * 1000),
        enclave.signing_public_key_der,
        enclave.tls_certificate_der,
        sender.address,
        "http://127.0.0.1/dev-enclave",
        LLM_PROXY,
    )
