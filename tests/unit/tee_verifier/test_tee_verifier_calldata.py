"""The 0x900 TEE verifier's calldata and gas: only calldata that does not decode reverts, gas is
fixed per function and runs out like the EVM, and fuzzed calldata, arguments and mutated
documents never raise and never verify."""

from __future__ import annotations

from eth_abi import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tee_verifier_support import NOW, attestation_call, context, rsa_call

from ogkit.tee import SimulatedEnclave, dev_root_pem
from precompiles.guard import ERROR_SELECTOR
from precompiles.tee.attestation import check_attestation
from precompiles.tee.precompile import VERIFY_ATTESTATION, VERIFY_RSA_PSS, run
from precompiles.tee.verdict import ZERO_HASH

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- hard errors, gas -----------------------------------------------------------------------


def error_reason(output: bytes) -> str:
    assert output[:4] == ERROR_SELECTOR
    return decode(["string"], output[4:])[0]


def test_only_undecodable_calls_revert() -> None:
    for calldata in (b"", b"\xf7", b"\xf7\xcf\x40"):
        result = run(calldata, context(), dev_root_pem())
        assert result.reverted and result.gas_used == 0
        assert "has no selector" in error_reason(result.output)
    result = run(b"\xde\xad\xbe\xef" + bytes(64), context(), dev_root_pem())
    assert result.reverted and result.gas_used == 0
    assert error_reason(result.output) == "TEEVerifier: unknown function selector 0xdeadbeef"
    for selector, gas in ((VERIFY_ATTESTATION, 500_000), (VERIFY_RSA_PSS, 20_000)):
        for args in (b"", bytes(31), (2**255).to_bytes(32, "big") * 4, (64).to_bytes(32, "big")):
            result = run(selector + args, context(), dev_root_pem())
            assert result.reverted and result.gas_used == gas
            assert error_reason(result.output).startswith("TEEVerifier: malformed calldata for")


def test_gas_is_fixed_and_runs_out_like_the_evm(enclave: SimulatedEnclave, document: bytes) -> None:
    good = attestation_call(document, enclave.signing_public_key_der, enclave.tls_certificate_der)
    assert run(good, context(), dev_root_pem()).gas_used == 500_000
    assert run(good[:-32] + bytes(32), context(), dev_root_pem()).gas_used == 500_000
    result = run(good, context(gas=499_999), dev_root_pem())
    assert result.out_of_gas and result.output == b""
    assert run(good, context(gas=500_000), dev_root_pem()).gas_used == 500_000
    rsa_data = rsa_call(enclave.signing_public_key_der, bytes(32), bytes(256))
    assert run(rsa_data, context(), dev_root_pem()).gas_used == 20_000
    assert run(rsa_data, context(gas=19_999), dev_root_pem()).out_of_gas


# --- fuzzing: nothing escapes -----------------------------------------------------------------


def outcome(calldata: bytes, block_time: int = NOW):
    result = run(calldata, context(block_time), dev_root_pem())  # must not raise
    if result.reverted:
        error_reason(result.output)
        assert result.gas_used in (0, 500_000, 20_000)
    else:
        assert not result.out_of_gas
        assert calldata[:4] in (VERIFY_ATTESTATION, VERIFY_RSA_PSS)
        assert len(result.output) == (64 if calldata[:4] == VERIFY_ATTESTATION else 32)
    return result


@FUZZ
@given(
    selector=st.sampled_from([VERIFY_ATTESTATION, VERIFY_RSA_PSS, b"", b"\x00\x01\x02\x03"]),
    tail=st.binary(max_size=600),
    block_time=st.integers(min_value=0, max_value=2**64 - 1),
)
def test_fuzzed_calldata_never_escapes(selector: bytes, tail: bytes, block_time: int) -> None:
    outcome(selector + tail, block_time)


@FUZZ
@given(args=st.lists(st.binary(max_size=300), min_size=4, max_size=4))
def test_fuzzed_attestation_arguments_are_soft_failures(args: list[bytes]) -> None:
    result = outcome(attestation_call(*args))
    assert not result.reverted
    assert decode(["bool", "bytes32"], result.output) == (False, ZERO_HASH)


@FUZZ
@given(key=st.binary(max_size=600), digest=st.binary(min_size=32, max_size=32), sig=st.binary())
def test_fuzzed_rsa_arguments_are_soft_failures(key: bytes, digest: bytes, sig: bytes) -> None:
    result = outcome(rsa_call(key, digest, sig))
    assert not result.reverted and decode(["bool"], result.output) == (False,)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_mutated_documents_never_verify(
    data: st.DataObject, enclave: SimulatedEnclave, document: bytes
) -> None:
    mutated = bytearray(document)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, len(mutated) - 1))
        if kind == "flip":
            mutated[at] ^= data.draw(st.integers(1, 255))
        elif kind == "cut":
            del mutated[at : at + data.draw(st.integers(1, 64))]
        else:
            mutated[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    mutated = bytes(mutated)
    calldata = attestation_call(
        mutated, enclave.signing_public_key_der, enclave.tls_certificate_der
    )
    valid, pcr_hash = decode(["bool", "bytes32"], outcome(calldata).output)
    assert (valid, pcr_hash) == (
        (True, enclave.pcr_hash) if mutated == document else (False, ZERO_HASH)
    )
    assert check_attestation(
        mutated,
        enclave.signing_public_key_der,
        enclave.tls_certificate_der,
        b"",
        NOW,
        trusted_root_pem=dev_root_pem(),
    ).valid is (mutated == document)
