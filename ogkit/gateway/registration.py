"""The gateway's entry in the AI chain's TEE registry, kept fresh by heartbeats.

OpenGradient's SDK picks an LLM gateway from `getActiveTEEs(0)` on the registry at
0x703c… (`ogkit.chain.tee_registry_genesis`) and trusts only the TLS certificate stored
there. So at start the gateway registers its enclave: a Nitro-format attestation stamped at
block time (0x900 verifies it on chain), the signing key, the TLS certificate it serves, its
endpoint (`https://127.0.0.1:PORT`) and type 0 (LLMProxy), sent by the dev TEE operator. A
registry entry's endpoint is fixed, and a restarted gateway has a new enclave, so earlier
entries of the same operator at the same endpoint are disabled first: the SDK never picks a
dead one. The registry counts a TEE active for `heartbeatMaxAge` (1800 s) after its last
heartbeat; the gateway sends one every `interval` seconds (default 600).
"""

from __future__ import annotations

import logging
import threading

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ogkit.chain.tee_registry_genesis import LLM_PROXY, TEE_OPERATOR_KEY, TEE_REGISTRY_ADDRESS
from ogkit.contracts import load
from ogkit.inference.enclave_slot import EnclaveSlot
from ogkit.settlement.sender import TxSender

log = logging.getLogger("ogkit.gateway")
HEARTBEAT_INTERVAL = 600.0


class RegistrationError(RuntimeError):
    """The registry refused the gateway (no registry at the address, a revert): why."""


class GatewayRegistration:
    def __init__(
        self,
        w3: Web3,
        enclave: EnclaveSlot,
        endpoint: str,
        *,
        operator: LocalAccount | None = None,
        registry: str = TEE_REGISTRY_ADDRESS,
        payment_address: str | None = None,
        interval: float = HEARTBEAT_INTERVAL,
    ) -> None:
        self.w3 = w3
        self.enclave = enclave
        self.endpoint = endpoint
        self.sender = TxSender(w3, operator or Account.from_key(TEE_OPERATOR_KEY))
        self.registry = w3.eth.contract(
            address=Web3.to_checksum_address(registry), abi=load("TEERegistry").abi
        )
        self.payment_address = Web3.to_checksum_address(payment_address or self.sender.address)
        self.interval = interval
        self.heartbeats = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def tee_id(self) -> bytes:
        return self.enclave.get().tee_id

    def _send(self, fn: str, *args: object) -> None:
        data = self.registry.encode_abi(fn, args=list(args))
        try:
            self.sender.send(self.registry.address, bytes.fromhex(data.removeprefix("0x")))
        except Exception as exc:  # noqa: BLE001 - a revert, a node that went away
            raise RegistrationError(f"{fn}: {exc}") from None

    def register(self) -> bytes:
        """Register this enclave at this endpoint (once); returns the TEE id."""
        if not self.w3.eth.get_code(self.registry.address):
            raise RegistrationError(
                f"no TEE registry at {self.registry.address}: the chain predates it"
            )
        enclave = self.enclave.get()
        if self.registry.functions.isTEEEnabled(enclave.tee_id).call():
            return enclave.tee_id
        self._retire_others()
        stamp = self.w3.eth.get_block("pending")["timestamp"]
        self._send(
            "registerTEEWithAttestation",
            enclave.attestation_document(timestamp_ms=stamp * 1000),
            enclave.signing_public_key_der,
            enclave.tls_certificate_der,
            self.payment_address,
            self.endpoint,
            LLM_PROXY,
        )
        log.info("registered TEE 0x%s at %s", enclave.tee_id.hex(), self.endpoint)
        return enclave.tee_id

    def _retire_others(self) -> None:
        """Disable this operator's earlier enclaves at the same endpoint (a restart)."""
        functions = self.registry.functions
        for tee_id in functions.getTEEsByOwner(self.sender.address).call():
            if not functions.isTEEEnabled(tee_id).call():
                continue
            if functions.getTEE(tee_id).call()[2] == self.endpoint:
                self._send("disableTEE", tee_id)

    def heartbeat(self) -> None:
        timestamp = self.w3.eth.get_block("latest")["timestamp"]
        signature = self.enclave.get().sign_heartbeat(timestamp)
        self._send("heartbeat", self.tee_id, timestamp, signature)
        self.heartbeats += 1

    def start(self) -> GatewayRegistration:
        """Register now, then heartbeat every `interval` seconds in a daemon thread."""
        self.register()
        self._thread = threading.Thread(target=self._loop, name="ogkit-gateway-heartbeat")
        self._thread.daemon = True
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.heartbeat()
                self.last_error = None
            except RegistrationError as exc:
                self.last_error = str(exc)
                log.warning("heartbeat failed: %s", exc)

    def stop(self, disable: bool = False) -> None:
        """Stop heartbeating; `disable`: also take the entry out of `getActiveTEEs`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if disable:
            self._send("disableTEE", self.tee_id)
