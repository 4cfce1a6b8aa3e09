"""The TEE registry at OpenGradient's address (and a verifier and the LLM settlement relay
beside it), present from genesis on every local chain.

OpenGradient's SDK finds its LLM gateways with `getActiveTEEs(0)` on the registry at
`0x703cB174AEadB35D611858369B4b1111dC9Abda6` (`og.LLM(private_key, rpc_url=…)`), so a local
chain must hold the registry *there*. A contract cannot be deployed to a chosen address, so it
is put in the genesis alloc: its creation code and set-up calls run once in a scratch py-evm
state with `address(this)` = that address, a computation that notes every SSTORE slot records
which storage to copy, and the alloc entry is {code, storage, nonce 1}.

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
from typing import Any

from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.message import Message
from eth_keys import keys
from eth_utils import keccak, to_canonical_address, to_checksum_address

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
SETUP_GAS = 5_000_000
_SSTORE = 0x55
_BUILD_LOCK = threading.Lock()


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
def _built() -> tuple[tuple[bytes, bytes, tuple[tuple[int, int], ...]], ...]:
    from eth_abi import encode

    from ogkit.chain.genesis import SETTLEMENT_RELAYER_KEY
    from ogkit.contracts import load
    from ogkit.tee.enclave import dev_pcrs

    admin = keys.PrivateKey(SETTLEMENT_RELAYER_KEY).public_key.to_canonical_address()
    operator = keys.PrivateKey(TEE_OPERATOR_KEY).public_key.to_canonical_address()
    settler = keys.PrivateKey(GATEWAY_SETTLER_KEY).public_key.to_canonical_address()
    scratch = _Scratch(admin)
    registry_address = to_canonical_address(TEE_REGISTRY_ADDRESS)
    artifact = load("TEERegistry")
    scratch.create(registry_address, artifact.bytecode)
    contract = _encoder(artifact.abi)
    pcrs = dev_pcrs()
    scratch.call(registry_address, contract.encode_abi("addTEEType", args=[LLM_PROXY, "LLMProxy"]))
    approve = contract.encode_abi("approvePCR", args=[(pcrs[0], pcrs[1], pcrs[2]), "dev", 0])
    scratch.call(registry_address, approve)
    grant = contract.encode_abi("grantRole", args=[keccak(text="TEE_OPERATOR"), operator])
    scratch.call(registry_address, grant)

    verifier_address = to_canonical_address(TEE_VERIFIER_ADDRESS)
    verifier = load("TEEInferenceVerifier").bytecode + encode(["address"], [registry_address])
    scratch.create(verifier_address, verifier)
    relay_address = to_canonical_address(LLM_SETTLEMENT_RELAY_ADDRESS)
    relay = load("InferenceSettlementRelay")
    scratch.create(relay_address, relay.bytecode + encode(["address"], [verifier_address]))
    role = keccak(text="SETTLEMENT_RELAY_ROLE")
    scratch.call(relay_address, _encoder(relay.abi).encode_abi("grantRole", args=[role, settler]))
    return tuple(
        (address, scratch.code(address), scratch.storage(address))
        for address in (registry_address, verifier_address, relay_address)
    )


def _encoder(abi: list) -> Any:
    from web3 import Web3

    return Web3().eth.contract(abi=abi)


class _RecordingComputation(PragueComputation):
    """Prague's computation; SSTORE notes its slot (of the frame's storage address) first."""

    slots: set[tuple[bytes, int]] = set()
    opcodes = dict(PragueComputation.opcodes)


def _recording_sstore(computation: Any) -> None:
    top = computation._stack.values[-1]
    slot = top if isinstance(top, int) else int.from_bytes(top, "big")
    _RecordingComputation.slots.add((computation.msg.storage_address, slot))
    _ORIGINAL_SSTORE(computation=computation)


_ORIGINAL_SSTORE = PragueComputation.opcodes[_SSTORE]
_RecordingComputation.opcodes[_SSTORE] = _recording_sstore


class _Scratch:
    """A throwaway Prague state in which contracts are built at chosen addresses."""

    def __init__(self, sender: bytes) -> None:
        chain_class = MiningChain.configure(vm_configuration=((0, PragueVM),))
        params = {
            "difficulty": 0,
            "gas_limit": 30_000_000,
            "timestamp": 1,
            "coinbase": b"\0" * 20,
            "extra_data": b"",
            "nonce": b"\0" * 8,
            "mix_hash": b"\0" * 32,
        }
        self.state = chain_class.from_genesis(AtomicDB(), params, {}).get_vm().state
        self.sender = sender
        self.context = self.state.get_transaction_context_class()(gas_price=0, origin=sender)
        _RecordingComputation.slots = set()

    def _run(self, address: bytes, message: Message, create: bool) -> None:
        apply = (
            _RecordingComputation.apply_create_message
            if create
            else _RecordingComputation.apply_message
        )
        computation = apply(self.state, message, self.context)
        if computation.is_error:
            raise RuntimeError(f"genesis set-up of 0x{address.hex()} failed: {computation.error}")

    def create(self, address: bytes, init_code: bytes) -> None:
        message = Message(
            gas=SETUP_GAS,
            to=b"",
            sender=self.sender,
            value=0,
            data=b"",
            code=init_code,
            create_address=address,
        )
        self._run(address, message, create=True)

    def call(self, address: bytes, data_hex: str) -> None:
        message = Message(
            gas=SETUP_GAS,
            to=address,
            sender=self.sender,
            value=0,
            data=bytes.fromhex(data_hex.removeprefix("0x")),
            code=self.state.get_code(address),
        )
        self._run(address, message, create=False)

    def code(self, address: bytes) -> bytes:
        return self.state.get_code(address)

    def storage(self, address: bytes) -> tuple[tuple[int, int], ...]:
        slots = sorted(s for a, s in _RecordingComputation.slots if a == address)
        values = [(s, self.state.get_storage(address, s)) for s in slots]
        return tuple((s, v) for s, v in values if v)
