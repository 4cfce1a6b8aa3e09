"""One inference node's enclave key, shared by every engine that signs.

Models and LLMs sign with the same (simulated, dev-only) enclave, so a node has one TEE
identity that the settlement contracts register once. The key is made on first use: an
RSA-2048 key takes a moment, and most chains never sign anything.

The enclave attests under a CA (by default the dev CA, under the dev root). A chain that
trusts another TEE root (`ogkit node --tee-root`) gets an enclave under the CA it was given
for that root (`--tee-ca`), or none: its attestation would never verify there, so TEE-mode
inferences revert with `TeeUnavailable`'s reason instead of leaving records that could
never settle (`require_attestable`, asked on every TEE call, eth_call and estimates alike).
"""

from __future__ import annotations

import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from ogkit.tee.dev_ca import DevCertificateAuthority, dev_root_ca
from ogkit.tee.enclave import SimulatedEnclave
from ogkit.tee.trust import TrustConfigError, is_dev_root, load_tee_ca
from precompiles.host import ModelExecutionError

NO_TEE_IDENTITY = (
    "TEE mode is unavailable: this chain trusts a TEE root (--tee-root, opengradient.tee_root) "
    "its simulated enclave cannot attest under; give it a CA under that root (--tee-ca, "
    "opengradient.tee_ca), or use VANILLA or ZK"
)


class TeeUnavailable(ModelExecutionError):  # noqa: N818 - reads as the condition it reports
    """TEE mode asked of a node whose enclave has no identity under the chain's root."""


class EnclaveSlot:
    def __init__(self, enclave: SimulatedEnclave | None = None) -> None:
        self._enclave = enclave
        self._lock = threading.Lock()
        self._ca: DevCertificateAuthority | None = None
        self._attestable = True

    @classmethod
    def of(cls, enclave: SimulatedEnclave | EnclaveSlot | None) -> EnclaveSlot:
        """The slot to share: a given slot as it is, an enclave (or none) in a new one."""
        return enclave if isinstance(enclave, EnclaveSlot) else cls(enclave)

    def trust(self, ca: DevCertificateAuthority | None, *, attestable: bool = True) -> None:
        """Attest under `ca` (None: the dev CA); `attestable=False`: no identity at all.

        Set before anything signs (a node does it at start); an enclave already made under
        another CA is dropped, since its attestations would not verify.
        """
        with self._lock:
            self._ca, self._attestable = ca, attestable
            current = self._enclave
            if current is not None and current.ca is not (ca or dev_root_ca()):
                self._enclave = None

    @property
    def attestable(self) -> bool:
        return self._attestable

    def install_key(self, signing_key: rsa.RSAPrivateKey) -> bool:
        """`install` an enclave with this kept signing key, under the slot's CA."""
        return self.install(SimulatedEnclave(ca=self._ca, signing_key=signing_key))

    def trust_root(self, root_pem: bytes | None, ca_path: Path | None = None) -> None:
        """Attest under the chain's TEE root: the dev CA under the dev root (None), the CA in
        `ca_path` (key + chain, PEM) under another, else not at all. Raises
        `TrustConfigError` for a CA that does not chain to the root."""
        if ca_path is not None:
            if root_pem is None:
                raise TrustConfigError("a TEE CA needs the TEE root it chains to (--tee-root)")
            self.trust(load_tee_ca(ca_path, root_pem))
        elif is_dev_root(root_pem):
            self.trust(None)
        else:
            self.trust(None, attestable=False)

    def require_attestable(self) -> None:
        """Raise `TeeUnavailable` unless this enclave can attest under the chain's root."""
        if not self._attestable:
            raise TeeUnavailable(NO_TEE_IDENTITY)

    def get(self) -> SimulatedEnclave:
        """The enclave, made now if nothing signed yet."""
        self.require_attestable()
        with self._lock:
            if self._enclave is None:
                self._enclave = SimulatedEnclave(ca=self._ca)
            return self._enclave

    def install(self, enclave: SimulatedEnclave) -> bool:
        """Use `enclave` if nothing signed yet (a node's kept key); False if one was made."""
        with self._lock:
            if self._enclave is not None:
                return False
            self._enclave = enclave
            return True

    @property
    def current(self) -> SimulatedEnclave | None:
        """The enclave if it was made, without making it."""
        return self._enclave
