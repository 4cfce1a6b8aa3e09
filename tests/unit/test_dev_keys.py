"""Replaceable dev keys (issue 12 item 8) without a chain: which keys count as dev keys, the
refusal on a non-dev chain id, reading a price-feed key, a TEE root and a TEE CA, and the
enclave slot that cannot attest under a foreign root."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from eth_utils import keccak

from ogkit.chain.genesis import DEFAULT_MNEMONIC
from ogkit.inference.enclave_slot import NO_TEE_IDENTITY, EnclaveSlot, TeeUnavailable
from ogkit.node.chain.config import DataDirError, NodeConfig
from ogkit.node.chain.datadir import resolve_tee_root
from ogkit.node.chain.devkeys import (
    DEV_CHAIN_IDS,
    DevKeysRefused,
    KeysInUse,
    check_dev_keys,
    dev_keys_in_use,
)
from ogkit.pricefeed import DEV_SIGNING_KEY, PriceFeedKeyError, load_price_feed_key
from ogkit.tee import DevCertificateAuthority, dev_root_pem, verify_attestation
from ogkit.tee.trust import TrustConfigError, is_dev_root, load_tee_ca, load_tee_root
from precompiles.host import ModelExecutionError

KEY = keccak(b"a price feed key of the unit tests")
OTHER_MNEMONIC = "abandon " * 11 + "about"
MNEMONIC_WORDS = 'the dev accounts\' mnemonic ("test test ... junk"; --mnemonic)'


@pytest.fixture(scope="module")
def ca() -> DevCertificateAuthority:
    return DevCertificateAuthority.generate()


def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def cert_pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def test_the_dev_chain_ids_are_the_nodes_and_anvils() -> None:
    assert DEV_CHAIN_IDS == {1337, 31337}


def test_which_keys_are_dev_keys(ca) -> None:
    all_dev = KeysInUse(DEFAULT_MNEMONIC, 10, None, None)
    assert dev_keys_in_use(all_dev) == [
        MNEMONIC_WORDS,
        "the dev TEE root (--tee-root)",
        "the dev price-feed signing key (--price-feed-key)",
    ]
    # the dev root given as a file, the dev key given as a file: still the dev keys
    assert len(dev_keys_in_use(KeysInUse(DEFAULT_MNEMONIC, 10, dev_root_pem(), DEV_SIGNING_KEY)))
    assert dev_keys_in_use(KeysInUse(OTHER_MNEMONIC, 10, ca.root_pem, KEY)) == []
    # no dev account funded: the dev mnemonic is not in use
    assert dev_keys_in_use(KeysInUse(DEFAULT_MNEMONIC, 0, ca.root_pem, KEY)) == []


def test_the_refusal_names_the_keys_and_the_flag(ca) -> None:
    keys = KeysInUse(OTHER_MNEMONIC, 10, ca.root_pem, None)
    with pytest.raises(DevKeysRefused) as refused:
        check_dev_keys(10744, keys, allow=False)
    assert str(refused.value) == (
        "chain id 10744 is not a dev chain id (1337, 31337), and this node would use publicly "
        "known keys: the dev price-feed signing key (--price-feed-key). Replace them, or pass "
        "--allow-dev-keys if nothing of value will ever touch this chain."
    )
    check_dev_keys(10744, keys, allow=True)
    check_dev_keys(31337, KeysInUse(DEFAULT_MNEMONIC, 10, None, None), allow=False)
    check_dev_keys(10744, KeysInUse(OTHER_MNEMONIC, 10, ca.root_pem, KEY), allow=False)


def test_a_price_feed_key_from_a_file_or_the_environment(tmp_path) -> None:
    path = tmp_path / "feed.key"
    path.write_text(f"  0x{KEY.hex()}\n")
    assert load_price_feed_key(path, environ={}) == KEY
    path.write_text(KEY.hex())
    assert load_price_feed_key(path, environ={}) == KEY
    assert load_price_feed_key(None, environ={"OGKIT_PRICE_FEED_KEY": "0x" + KEY.hex()}) == KEY
    assert load_price_feed_key(None, environ={}) is None
    # the file wins over the environment
    assert load_price_feed_key(path, environ={"OGKIT_PRICE_FEED_KEY": "0x" + "11" * 32}) == KEY


def test_a_bad_price_feed_key_is_refused_without_echoing_it(tmp_path) -> None:
    path = tmp_path / "feed.key"
    for text, reason in [
        (KEY.hex()[:-2], "a private key is 32 bytes, not 31"),
        ("zz" + KEY.hex()[2:], "is not a hex private key"),
        ("00" * 32, "is not a valid secp256k1 private key"),
    ]:
        path.write_text(text)
        with pytest.raises(PriceFeedKeyError) as bad:
            load_price_feed_key(path, environ={})
        assert reason in str(bad.value) and KEY.hex()[4:] not in str(bad.value)
    with pytest.raises(PriceFeedKeyError, match=r"^\$OGKIT_PRICE_FEED_KEY is not a hex"):
        load_price_feed_key(None, environ={"OGKIT_PRICE_FEED_KEY": "not a key"})


def test_tee_root_and_ca_files(tmp_path, ca) -> None:
    root = tmp_path / "root.pem"
    root.write_bytes(ca.root_pem)
    assert load_tee_root(root) == ca.root_pem and not is_dev_root(ca.root_pem)
    assert is_dev_root(None) and is_dev_root(dev_root_pem())
    (tmp_path / "junk.pem").write_text("no certificate here")
    with pytest.raises(TrustConfigError, match="holds no PEM certificate"):
        load_tee_root(tmp_path / "junk.pem")
    full = tmp_path / "ca-full.pem"  # key, intermediate, root
    full.write_bytes(
        key_pem(ca.intermediate_key)
        + cert_pem(ca.intermediate_certificate)
        + cert_pem(ca.root_certificate)
    )
    short = tmp_path / "ca.pem"  # key, intermediate: the root is found in the TEE root
    short.write_bytes(key_pem(ca.intermediate_key) + cert_pem(ca.intermediate_certificate))
    for path in (full, short):
        issuer = load_tee_ca(path, ca.root_pem)
        assert issuer.cabundle == ca.cabundle and issuer.root_pem == ca.root_pem
    with pytest.raises(TrustConfigError, match="do not reach the TEE root"):
        load_tee_ca(short, dev_root_pem())
    stranger = DevCertificateAuthority.generate()  # its intermediate, then our root
    unlinked = tmp_path / "unlinked.pem"
    unlinked.write_bytes(
        key_pem(stranger.intermediate_key)
        + cert_pem(stranger.intermediate_certificate)
        + cert_pem(ca.root_certificate)
    )
    with pytest.raises(TrustConfigError, match="is not signed by the certificate after it"):
        load_tee_ca(unlinked, ca.root_pem)
    wrong = tmp_path / "wrong.pem"
    wrong.write_bytes(key_pem(ca.root_key) + cert_pem(ca.intermediate_certificate))
    with pytest.raises(TrustConfigError, match="the first certificate is not the key's"):
        load_tee_ca(wrong, ca.root_pem)


def test_an_enclave_under_a_given_ca_attests_under_its_root(tmp_path, ca) -> None:
    path = tmp_path / "ca.pem"
    path.write_bytes(key_pem(ca.intermediate_key) + cert_pem(ca.intermediate_certificate))
    slot = EnclaveSlot()
    slot.trust(load_tee_ca(path, ca.root_pem))
    enclave = slot.get()
    document = enclave.attestation_document()
    args = (document, enclave.signing_public_key_der, enclave.tls_certificate_der)
    assert verify_attestation(*args, root_pem=ca.root_pem).valid
    report = verify_attestation(*args)  # the dev root
    assert not report.valid and report.reason


def test_an_enclave_without_identity_under_the_root_refuses_tee(ca) -> None:
    slot = EnclaveSlot()
    slot.get()  # made under the dev CA
    slot.trust(None, attestable=False)
    assert slot.current is not None  # a dev-CA enclave under the dev CA: kept...
    with pytest.raises(TeeUnavailable) as refused:
        slot.require_attestable()
    assert str(refused.value) == NO_TEE_IDENTITY and isinstance(refused.value, ModelExecutionError)
    with pytest.raises(TeeUnavailable):
        slot.get()  # ...but never handed out
    slot.trust(None)
    assert slot.get().ca.root_pem == dev_root_pem()


def test_a_resumed_chain_keeps_its_tee_root(ca) -> None:
    made_with_custom = {"teeRoot": ca.root_pem.decode()}
    assert resolve_tee_root(NodeConfig(), made_with_custom) == ca.root_pem
    assert resolve_tee_root(NodeConfig(tee_root_pem=ca.root_pem), made_with_custom) == ca.root_pem
    assert resolve_tee_root(NodeConfig(), {}) is None  # made with the dev root
    assert resolve_tee_root(NodeConfig(tee_root_pem=ca.root_pem), None) == ca.root_pem  # new
    with pytest.raises(DataDirError, match="trusts the dev TEE root, not the --tee-root given"):
        resolve_tee_root(NodeConfig(tee_root_pem=ca.root_pem), {"teeRoot": None})
    with pytest.raises(DataDirError, match="trusts another TEE root, not the --tee-root given"):
        resolve_tee_root(NodeConfig(tee_root_pem=dev_root_pem()), made_with_custom)
