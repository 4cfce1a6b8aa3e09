"""The TEE registry at OpenGradient's address (and a verifier and the LLM settlement relay
beside it), present from genesis on every local chain.

OpenGradient's SDK finds its LLM gateways with `getActiveTEEs(0)` on the registry at
`0x703cB174AEadB35D611858369B4b1111dC9Abda6` (`og.LLM(private_key, rpc_url=…)`), so a local
chain must hold the registry *there*. A contract cannot be deployed to a chosen address, so it
is put in the genesis alloc by `ogkit.chain.predeploy`: its creation code and set-up calls run
in a scratch py-evm state at that address (at a fixed block time, so every chain's genesis is
the same) and the storage they wrote is copied.

The set-up: the settlement relayer (a dev key, `SETTLEMENT_RELAYER_KEY`) is admin; TEE type 0
"LLMProxy" exists; the simulated enclave image's PCRs are approved for it; a dev TEE operator
account (`TEE_OPERATOR_KEY`, funded) may register TEEs, as `ogkit gateway` does at start.
The root certificate is left empty: 0x900 then checks attestations against the chain's own
TEE root (the dev root, or `ogkit node --tee-root`), so the registry follows the chain.

Beside it, `TEEInferenceVerifier` (over this registry, at `TEE_VERIFIER_ADDRESS`) and
`InferenceSettlementRelay` at `LLM_SETTLEMENT_RELAY_ADDRESS`, the address OpenGradient's
explorer names its LLM settlement contract (V2): the gateway settles its answers there, with
the dev gateway settler account (`GATEWAY_SETTLER_KEY`, funded, SETTLEMENT_RELAY_ROLE).

Genesis state survives Ape's snapshot reverts, unlike the settlement service's per-process
deployments. A data directory made before this keeps its genesis (and has no registry).
"""

from __future__ import annotations

import functools
import threading

from eth_keys import keys
from eth_utils import keccak, to_canonical_address, to_checksum_address

from ogkit.chain.predeploy import predeploy

TEE_REGISTRY_ADDRESS = "0x703cB174AEadB35D611858369B4b1111dC9Abda6"
"""`DEFAULT_TEE_REGISTRY_ADDRESS` of OpenGradient's SDK (opengradient 1.1.4, client/llm.py)."""
LLM_PROXY = 0
TEE_OPERATOR_KEY = keccak(text="ogkit dev TEE operator")
"""A public, dev-only key holding the registry's TEE_OPERATOR role: it registers enclaves."""
TEE_OPERATOR_BALANCE = 1_000_000 * 10**18
LLM_SETTLEMENT_RELAY_ADDRESS = "0xf1dc0d5Dcf2A01924faC78185B9227CF3EC839A5"
"""OpenGradient's LLM settlement contract V2 (its explorer; reference x402-notes.md)."""
TEE_VERIFIER_ADDRESS = to_checksum_address(keccak(text="ogkit: genesis TEEInferenceVerifier")[12:])
"""Ours: OpenGradient publishes no address for the verifier the relay asks."""
GATEWAY_SETTLER_KEY = keccak(text="ogkit dev gateway settler")
"""A public, dev-only key with the relay's SETTLEMENT_RELAY_ROLE: `ogkit gateway` settles
with it (not the node's relayer, whose nonces the node's own settlement service uses)."""
SETUP_TIMESTAMP = 1_735_689_600
"""`block.timestamp` of the set-up (2025-01-01): fixed, so every chain's genesis is the same."""
_BUILD_LOCK = threading.Lock()
Built = tuple[tuple[bytes, bytes, tuple[tuple[int, int], ...]], ...]
"""(address, runtime code, sorted storage slots) per predeployed contract."""


def tee_registry_genesis() -> dict[bytes, dict]:
    """The registry's, verifier's, relay's and the two dev accounts' genesis entries (fresh
    dicts on every call)."""
    with _BUILD_LOCK:
        built = _built()
    entries = {
        address: {"balance": 0, "nonce": 1, "code": code, "storage": dict(storage)}
        for address, code, storage in built
    }
    for key in (TEE_OPERATOR_KEY, GATEWAY_SETTLER_KEY):
        account = keys.PrivateKey(key).public_key.to_canonical_address()
        entries[account] = {"balance": TEE_OPERATOR_BALANCE, "nonce": 0, "code": b"", "storage": {}}
    return entries


@functools.lru_cache(maxsize=1)
def _built() -> Built:
    """The committed result when it was made from today's inputs, else a build (~0.1–0.5 s of
    py-evm: every chain creation would pay it, `ape test` sessions and node starts included)."""
    from ogkit.chain import tee_registry_artifact

    fingerprint = tee_registry_artifact.fingerprint()
    return tee_registry_artifact.read(fingerprint) or build()


def build() -> Built:
    """Run the creation codes and set-up calls (what the committed artifact records)."""
    from eth_abi import encode

    from ogkit.chain.genesis import LOCAL_CHAIN_ID, SETTLEMENT_RELAYER_KEY
    from ogkit.contracts import load
    from ogkit.tee.enclave import dev_pcrs

    admin = keys.PrivateKey(SETTLEMENT_RELAYER_KEY).public_key.to_canonical_address()
    operator = keys.PrivateKey(TEE_OPERATOR_KEY).public_key.to_canonical_address()
    settler = keys.PrivateKey(GATEWAY_SETTLER_KEY).public_key.to_canonical_address()
    pcrs = dev_pcrs()
    registry = to_canonical_address(TEE_REGISTRY_ADDRESS)
    verifier = to_canonical_address(TEE_VERIFIER_ADDRESS)
    relay = to_canonical_address(LLM_SETTLEMENT_RELAY_ADDRESS)
    setup = {"chain_id": LOCAL_CHAIN_ID, "timestamp": SETUP_TIMESTAMP, "deployer": admin}
    built: dict[bytes, dict] = {}
    built[registry] = predeploy(
        registry,
        load("TEERegistry").bytecode,
        calls=[
            _calldata("TEERegistry", "addTEEType", LLM_PROXY, "LLMProxy"),
            _calldata("TEERegistry", "approvePCR", (pcrs[0], pcrs[1], pcrs[2]), "dev", LLM_PROXY),
            _calldata("TEERegistry", "grantRole", keccak(text="TEE_OPERATOR"), operator),
        ],
        **setup,
    )
    code = load("TEEInferenceVerifier").bytecode + encode(["address"], [registry])
    built[verifier] = predeploy(verifier, code, alloc=built, **setup)
    code = load("InferenceSettlementRelay").bytecode + encode(["address"], [verifier])
    role = keccak(text="SETTLEMENT_RELAY_ROLE")
    grant = _calldata("InferenceSettlementRelay", "grantRole", role, settler)
    built[relay] = predeploy(relay, code, alloc=built, calls=[grant], **setup)
    return tuple(
        (address, entry["code"], tuple(sorted(entry["storage"].items())))
        for address, entry in built.items()
    )


def _calldata(name: str, function: str, *args: object) -> bytes:
    from web3 import Web3

    from ogkit.contracts import load

    contract = Web3().eth.contract(abi=load(name).abi)
    return bytes.fromhex(contract.encode_abi(function, args=list(args)).removeprefix("0x"))
