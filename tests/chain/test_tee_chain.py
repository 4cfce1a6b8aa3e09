"""0x900 on the AI chain: raw eth_call, transactions (gas in receipts) and a contract's STATICCALL.

Block time is the chain's: documents are stamped relative to the latest block, which is
what an `eth_call` executes against.
"""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_tester import EthereumTester
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak

from ogkit.chain import AIChainBackend, new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore
from ogkit.tee import DevCertificateAuthority, SimulatedEnclave, message_hash
from precompiles.tee.precompile import VERIFY_ATTESTATION, VERIFY_RSA_PSS
from precompiles.tee.verdict import ZERO_HASH

TEE = "0x0000000000000000000000000000000000000900"

# Forwards its calldata to 0x900 with STATICCALL and returns (or reverts with) what it got:
# CALLDATACOPY(0, 0, size); STATICCALL(gas, 0x900, 0, size, 0, 0); RETURNDATACOPY(0, 0, rsize);
# success ? RETURN(0, rsize) : REVERT(0, rsize)
PROXY = bytes.fromhex(
    "366000600037"  # CALLDATACOPY(0, 0, CALLDATASIZE)
    + "600060003660006109005afa"  # STATICCALL(GAS, 0x900, 0, CALLDATASIZE, 0, 0)
    + "3d600060003e"  # RETURNDATACOPY(0, 0, RETURNDATASIZE)
    + "601f57"  # JUMPI(0x1f, success)
    + "3d6000fd"  # REVERT(0, RETURNDATASIZE)
    + "5b3d6000f3"  # 0x1f: JUMPDEST; RETURN(0, RETURNDATASIZE)
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> InferenceEngine:
    return InferenceEngine(ModelStore(tmp_path_factory.mktemp("tee-store")))


@pytest.fixture
def tester(engine: InferenceEngine) -> EthereumTester:
    return new_tester(engine)


def block_time(tester: EthereumTester) -> int:
    return tester.get_block_by_number("latest")["timestamp"]


def attestation_call(enclave: SimulatedEnclave, document: bytes, root: bytes = b"") -> bytes:
    args = [document, enclave.signing_public_key_der, enclave.tls_certificate_der, root]
    return VERIFY_ATTESTATION + encode(["bytes"] * 4, args)


def rsa_call(key: bytes, digest: bytes, signature: bytes) -> bytes:
    return VERIFY_RSA_PSS + encode(["bytes", "bytes32", "bytes"], [key, digest, signature])


def eth_call(tester: EthereumTester, data: bytes, to: str = TEE) -> bytes:
    tx = {"from": tester.get_accounts()[0], "to": to, "gas": 2_000_000, "data": "0x" + data.hex()}
    return bytes.fromhex(tester.call(tx)[2:])


def send(tester: EthereumTester, data: bytes, to: str | None = TEE) -> dict:
    tx = {"from": tester.get_accounts()[0], "gas": 2_000_000, "data": "0x" + data.hex()}
    if to is not None:
        tx["to"] = to
    return tester.get_transaction_receipt(tester.send_transaction(tx))


def intrinsic_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 21_000 + 4 * zeros + 16 * (len(data) - zeros)


def deploy(tester: EthereumTester, runtime: bytes) -> str:
    init = bytes([0x60, len(runtime), 0x80, 0x60, 11, 0x60, 0, 0x39, 0x60, 0, 0xF3]) + runtime
    return send(tester, init, to=None)["contract_address"]


def test_attestation_verifies_through_eth_call(tester, enclave: SimulatedEnclave) -> None:
    document = enclave.attestation_document(timestamp_ms=block_time(tester) * 1000)
    out = eth_call(tester, attestation_call(enclave, document))
    assert decode(["bool", "bytes32"], out) == (True, enclave.pcr_hash)


def test_freshness_uses_the_block_time(tester, enclave: SimulatedEnclave) -> None:
    now = block_time(tester)
    for offset, valid in ((-300, True), (-301, False), (60, True), (61, False)):
        document = enclave.attestation_document(timestamp_ms=(now + offset) * 1000)
        out = eth_call(tester, attestation_call(enclave, document))
        assert decode(["bool", "bytes32"], out)[0] is valid, offset
    # a document fresh now goes stale once the chain's clock moves past it
    document = enclave.attestation_document(timestamp_ms=now * 1000)
    tester.time_travel(now + 400)
    assert block_time(tester) >= now + 301
    out = eth_call(tester, attestation_call(enclave, document))
    assert decode(["bool", "bytes32"], out) == (False, ZERO_HASH)


def test_transactions_pay_exactly_the_fixed_gas(tester, enclave: SimulatedEnclave) -> None:
    document = enclave.attestation_document(timestamp_ms=block_time(tester) * 1000)
    good = attestation_call(enclave, document)
    receipt = send(tester, good)
    assert receipt["status"] == 1
    assert receipt["gas_used"] == intrinsic_gas(good) + 500_000
    bad = attestation_call(enclave, document[:-1] + bytes([document[-1] ^ 1]))
    receipt = send(tester, bad)  # a soft failure is a successful call returning false
    assert receipt["status"] == 1
    assert receipt["gas_used"] == intrinsic_gas(bad) + 500_000

    signed = enclave.sign_result(keccak(b"in"), keccak(b"out"), block_time(tester))
    data = rsa_call(enclave.signing_public_key_der, signed.message_hash, signed.signature)
    receipt = send(tester, data)
    assert receipt["status"] == 1 and receipt["gas_used"] == intrinsic_gas(data) + 20_000


def test_a_contract_calls_the_verifier(tester, enclave: SimulatedEnclave) -> None:
    proxy = deploy(tester, PROXY)
    now = block_time(tester)
    signed = enclave.sign_result(keccak(b"in"), keccak(b"out"), now)
    key = enclave.signing_public_key_der
    verdict = eth_call(tester, rsa_call(key, signed.message_hash, signed.signature), to=proxy)
    assert decode(["bool"], verdict) == (True,)
    tampered = message_hash(keccak(b"in"), keccak(b"forged"), now)
    assert decode(["bool"], eth_call(tester, rsa_call(key, tampered, signed.signature), proxy)) == (
        False,
    )
    bad_signature = signed.signature[:-1] + bytes([signed.signature[-1] ^ 1])
    verdict = eth_call(tester, rsa_call(key, signed.message_hash, bad_signature), to=proxy)
    assert decode(["bool"], verdict) == (False,)
    document = enclave.attestation_document(timestamp_ms=now * 1000)
    verdict = eth_call(tester, attestation_call(enclave, document), to=proxy)
    assert decode(["bool", "bytes32"], verdict) == (True, enclave.pcr_hash)
    with pytest.raises(TransactionFailed, match="unknown function selector 0xdeadbeef"):
        eth_call(tester, bytes.fromhex("deadbeef"), to=proxy)  # the caller gets the reason


def test_hard_errors_revert_with_a_reason(tester) -> None:
    with pytest.raises(TransactionFailed, match="unknown function selector 0xdeadbeef"):
        eth_call(tester, bytes.fromhex("deadbeef"))
    with pytest.raises(TransactionFailed, match="malformed calldata for verifyRSAPSS"):
        eth_call(tester, VERIFY_RSA_PSS + bytes(5))
    receipt = send(tester, b"\x01\x02")
    assert receipt["status"] == 0


def test_the_trusted_root_is_configurable(engine: InferenceEngine, enclave) -> None:
    """A chain built with another root trusts that root's documents, not the dev root's."""
    other_ca = DevCertificateAuthority.generate()
    tester = EthereumTester(AIChainBackend(engine, tee_root_pem=other_ca.root_pem))
    tester.reset_to_genesis()  # a reset keeps the configured root
    now = block_time(tester)
    theirs = SimulatedEnclave(ca=other_ca, signing_key=enclave.signing_key)
    document = theirs.attestation_document(timestamp_ms=now * 1000)
    assert decode(["bool", "bytes32"], eth_call(tester, attestation_call(theirs, document)))[0]
    document = enclave.attestation_document(timestamp_ms=now * 1000)
    out = eth_call(tester, attestation_call(enclave, document))
    assert decode(["bool", "bytes32"], out) == (False, ZERO_HASH)
