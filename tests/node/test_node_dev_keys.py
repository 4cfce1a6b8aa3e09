"""`ogkit node` with its dev keys replaced, and its refusal to run a non-dev chain id with
any of them: the dev mnemonic, the dev TEE root (0x900), the dev price-feed key (0xF5).

A CA of the test's own (root + intermediate, built with `cryptography`) stands in for a
real TEE root such as AWS Nitro's."""

from __future__ import annotations

import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from eth_abi import decode, encode
from eth_account import Account
from eth_tester.backends.pyevm.main import get_account_keys_from_mnemonic
from eth_utils import keccak
from node_support import OGKIT, NodeProcess, web3_artifact
from test_node_haca import inference_id_of
from test_price_feed_node import F5, QUERY, SELECTOR, records_of
from web3 import Web3
from web3.exceptions import ContractLogicError

from ogkit.contracts import load
from ogkit.inference.enclave_slot import NO_TEE_IDENTITY
from ogkit.pricefeed import recover_signer
from ogkit.tee import DevCertificateAuthority, SimulatedEnclave
from precompiles.fixed_point import to_number
from precompiles.tee.precompile import VERIFY_ATTESTATION

ALPHA = 10744
MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
MNEMONIC += "abandon about"
FEED_KEY = keccak(b"test price feed key of test_node_dev_keys")
TEE_VERIFIER = "0x0000000000000000000000000000000000000900"
TEE = 2
FEATURES = tuple(to_number(x) for x in [2.2, 0.3, 0.4, 6.0])
ALL_DEV_KEYS = (
    'the dev accounts\' mnemonic ("test test ... junk"; --mnemonic); the dev TEE root '
    "(--tee-root); the dev price-feed signing key (--price-feed-key)"
)


@pytest.fixture(scope="module")
def ca() -> DevCertificateAuthority:
    return DevCertificateAuthority.generate()


@pytest.fixture(scope="module")
def key_files(tmp_path_factory, ca) -> dict[str, str]:
    """The root's PEM, the intermediate's key + certificate (the root left out: the node
    finds it in --tee-root), and the price-feed key as a hex file."""
    folder = tmp_path_factory.mktemp("keys")
    root = folder / "root.pem"
    root.write_bytes(ca.root_pem)
    tee_ca = folder / "ca.pem"
    tee_ca.write_bytes(
        ca.intermediate_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + ca.intermediate_certificate.public_bytes(serialization.Encoding.PEM)
    )
    feed = folder / "feed.key"
    feed.write_text("0x" + FEED_KEY.hex() + "\n")
    return {"root": str(root), "ca": str(tee_ca), "feed": str(feed)}


def first_key():
    (key,) = get_account_keys_from_mnemonic(MNEMONIC, 1, "m/44'/60'/0'/0")
    return key


def refused(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(OGKIT), "node", "--port", "0", *args], capture_output=True, text=True, timeout=180
    )


def test_a_non_dev_chain_id_with_the_dev_keys_is_refused() -> None:
    done = refused("--chain-id", str(ALPHA))
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: chain id {ALPHA} is not a dev chain id (1337, 31337), and this node would use "
        f"publicly known keys: {ALL_DEV_KEYS}. Replace them, or pass --allow-dev-keys if "
        "nothing of value will ever touch this chain.\n"
    )
    assert done.stdout == ""  # no banner, so no private key printed


def test_the_refusal_names_only_the_dev_keys_left(key_files) -> None:
    done = refused(
        "--chain-id", str(ALPHA), "--tee-root", key_files["root"], "--mnemonic", MNEMONIC
    )
    assert done.returncode == 1
    assert "publicly known keys: the dev price-feed signing key (--price-feed-key). " in (
        done.stderr
    )


def test_allow_dev_keys_starts_it(tmp_path) -> None:
    node = NodeProcess(tmp_path, "--chain-id", str(ALPHA), "--allow-dev-keys").start()
    try:
        assert node.rpc("eth_chainId") == hex(ALPHA)
    finally:
        node.stop()


@pytest.fixture(scope="module")
def replaced(tmp_path_factory, key_files, model_store):
    """Alpha's chain id, no flag: every dev key replaced, and no --tee-ca."""
    node = NodeProcess(
        tmp_path_factory.mktemp("replaced"),
        *("--chain-id", str(ALPHA), "--mnemonic", MNEMONIC),
        *("--tee-root", key_files["root"], "--price-feed-key", key_files["feed"]),
        store=model_store.root,
    ).start()
    yield node
    node.stop()


def attestation_call(enclave: SimulatedEnclave, stamp: int) -> dict:
    args = encode(
        ["bytes", "bytes", "bytes", "bytes"],
        [
            enclave.attestation_document(timestamp_ms=stamp * 1000),
            enclave.signing_public_key_der,
            enclave.tls_certificate_der,
            b"",  # empty: the chain's own TEE root
        ],
    )
    return {"to": TEE_VERIFIER, "data": "0x" + (VERIFY_ATTESTATION + args).hex()}


def test_0x900_trusts_the_given_root_not_the_dev_one(replaced, ca) -> None:
    w3 = Web3(Web3.HTTPProvider(replaced.url, request_kwargs={"timeout": 60}))
    stamp = w3.eth.get_block("latest").timestamp
    ours = SimulatedEnclave(ca=ca)
    valid, pcr_hash = decode(["bool", "bytes32"], w3.eth.call(attestation_call(ours, stamp)))
    assert (valid, pcr_hash) == (True, ours.pcr_hash)
    dev = SimulatedEnclave()  # under the dev root
    assert decode(["bool", "bytes32"], w3.eth.call(attestation_call(dev, stamp))) == (
        False,
        b"\x00" * 32,
    )


def test_0xf5_records_are_signed_with_the_given_key(replaced) -> None:
    w3 = Web3(Web3.HTTPProvider(replaced.url, request_kwargs={"timeout": 60}))
    data = SELECTOR + encode([QUERY], [("SOL", "USD", 6, 15, 0, [3])])
    tx_hash = w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": F5, "data": "0x" + data.hex(), "gas": 200_000}
    )
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    (record,) = records_of(w3, receipt.blockNumber)
    assert recover_signer(record) == record.signer == Account.from_key(FEED_KEY).address


def test_tee_mode_reverts_without_an_enclave_under_the_root(project, replaced) -> None:
    w3 = Web3(Web3.HTTPProvider(replaced.url, request_kwargs={"timeout": 60}))
    account = w3.eth.accounts[0]
    assert account == first_key().public_key.to_checksum_address()  # not the dev one
    abi, bytecode = web3_artifact(project, "RiskLendingPool")
    tx_hash = (
        w3.eth.contract(abi=abi, bytecode=bytecode)
        .constructor("credit_risk")
        .transact({"from": account})
    )
    pool = w3.eth.contract(
        address=w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60).contractAddress, abi=abi
    )
    assert pool.functions.assess(FEATURES).call({"from": account}) is True  # VANILLA runs
    w3.eth.wait_for_transaction_receipt(
        pool.functions.setInferenceMode(TEE).transact({"from": account}), timeout=60
    )
    with pytest.raises(ContractLogicError) as failure:
        pool.functions.assess(FEATURES).call({"from": account})
    assert failure.value.message == (
        f"execution reverted: OGInference: model execution failed: {NO_TEE_IDENTITY}"
    )


def test_the_banner_hides_your_keys_and_names_the_root_and_signer(replaced, ca) -> None:
    log = replaced.log()
    mine = first_key()
    assert mine.public_key.to_checksum_address() in log and mine.to_hex()[2:] not in log
    assert MNEMONIC not in log
    assert f"Private keys and mnemonic: not printed (chain id {ALPHA} is not a dev" in log
    fingerprint = ca.root_certificate.fingerprint(hashes.SHA256()).hex()
    assert f"(SHA-256 {fingerprint})" in log
    assert f"Price feed signer: {Account.from_key(FEED_KEY).address}\n" in log


@pytest.fixture(scope="module")
def attesting(tmp_path_factory, key_files, model_store):
    """The custom root and a CA under it: the node's enclave attests under that root."""
    node = NodeProcess(
        tmp_path_factory.mktemp("attesting"),
        *("--tee-root", key_files["root"], "--tee-ca", key_files["ca"]),
        store=model_store.root,
    ).start()
    yield node
    node.stop()


def test_with_a_ca_under_the_root_tee_results_settle(project, attesting, ca) -> None:
    w3 = Web3(Web3.HTTPProvider(attesting.url, request_kwargs={"timeout": 60}))
    account = w3.eth.accounts[0]
    abi, bytecode = web3_artifact(project, "RiskLendingPool")
    tx_hash = (
        w3.eth.contract(abi=abi, bytecode=bytecode)
        .constructor("credit_risk")
        .transact({"from": account})
    )
    pool = w3.eth.contract(
        address=w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60).contractAddress, abi=abi
    )
    w3.eth.wait_for_transaction_receipt(
        pool.functions.setInferenceMode(TEE).transact({"from": account}), timeout=60
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        pool.functions.assess(FEATURES).transact({"from": account}), timeout=60
    )
    assert receipt.status == 1
    inference_id = inference_id_of(receipt)
    record = attesting.rpc("ogkit_waitForSettlement", inference_id, 60)
    assert record["settlement"] == f"settled {record['settlementTx']}"
    # The registry the node deployed trusts the custom root, which 0x900 checked.
    settled = w3.eth.get_transaction_receipt(record["settlementTx"])
    relay = w3.eth.contract(address=settled.to, abi=load("InferenceSettlementRelay").abi)
    verifier = w3.eth.contract(
        address=relay.functions.SETTLEMENT_CONTRACT().call(), abi=load("TEEInferenceVerifier").abi
    )
    registry = w3.eth.contract(
        address=verifier.functions.registry().call(), abi=load("TEERegistry").abi
    )
    assert registry.functions.awsRootCertificate().call() == ca.root_pem


def test_a_chain_in_a_data_dir_keeps_its_tee_root(tmp_path, ca, model_store) -> None:
    """In-process: the root is stored with the chain, used again on resume, and a different
    one is refused (0x900's past answers must replay alike)."""
    from ogkit.inference.engine import InferenceEngine
    from ogkit.node import DataDirError, NodeChain, NodeConfig

    engine = InferenceEngine(model_store)  # its own enclave slot, not the store's shared one
    config = NodeConfig(data_dir=tmp_path / "chain", model_store=model_store.root)
    NodeChain(NodeConfig(**{**vars(config), "tee_root_pem": ca.root_pem}), engine).close()
    resumed = NodeChain(config, engine)
    try:
        assert resumed.services.tee_root_pem == ca.root_pem
        assert not engine.enclave_slot.attestable  # no --tee-ca: no identity under it
    finally:
        resumed.close()
    other = DevCertificateAuthority.generate().root_pem
    with pytest.raises(DataDirError, match="trusts another TEE root, not the --tee-root given"):
        NodeChain(NodeConfig(**{**vars(config), "tee_root_pem": other}), engine)


def test_a_bad_key_file_is_an_error_that_does_not_echo_it(tmp_path) -> None:
    path = tmp_path / "feed.key"
    path.write_text(FEED_KEY.hex()[:-2] + "zz")
    done = refused("--price-feed-key", str(path))
    assert done.returncode == 1
    assert done.stderr == f"Error: price-feed key file {path} is not a hex private key\n"
