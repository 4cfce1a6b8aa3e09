"""The TEE registry is at OpenGradient's address from genesis on every local chain (here
`ogkit.chain.new_tester`, also after `reset_to_genesis`), set up as the SDK needs it: type 0
"LLMProxy", the simulated enclave image's PCRs approved, the dev TEE operator allowed to
register, the settlement relayer admin, and no root of its own (0x900 uses the chain's);
built by `ogkit.chain.predeploy` with set-up calls, at a fixed block time."""

from __future__ import annotations

from eth_account import Account
from eth_utils import keccak
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from ogkit.chain import new_tester
from ogkit.chain.genesis import SETTLEMENT_RELAYER_KEY
from ogkit.chain.tee_registry_genesis import (
    SETUP_TIMESTAMP,
    TEE_OPERATOR_BALANCE,
    TEE_OPERATOR_KEY,
    TEE_REGISTRY_ADDRESS,
    tee_registry_genesis,
)
from ogkit.contracts import load
from ogkit.tee.enclave import dev_pcrs
from precompiles.tee.attestation import pcr_hash


def _registry(tester):
    w3 = Web3(EthereumTesterProvider(tester))
    return w3, w3.eth.contract(address=TEE_REGISTRY_ADDRESS, abi=load("TEERegistry").abi)


def test_the_registry_is_set_up_from_genesis(inference_node):
    tester = new_tester(inference_node)
    tester.reset_to_genesis()
    w3, registry = _registry(tester)
    functions = registry.functions
    assert w3.eth.get_code(TEE_REGISTRY_ADDRESS) == load("TEERegistry").runtime
    (types, infos) = functions.getTEETypes().call()
    assert types == [0] and infos[0] == ("LLMProxy", True, SETUP_TIMESTAMP)  # same every run
    pcrs = dev_pcrs()
    assert functions.getApprovedPCRs().call() == [(pcr_hash(pcrs[0], pcrs[1], pcrs[2]), 0)]
    operator = Account.from_key(TEE_OPERATOR_KEY).address
    admin = Account.from_key(SETTLEMENT_RELAYER_KEY).address
    assert functions.hasRole(keccak(text="TEE_OPERATOR"), operator).call()
    assert functions.hasRole(b"\0" * 32, admin).call()
    assert not functions.hasRole(b"\0" * 32, operator).call()
    assert functions.awsRootCertificate().call() == b""
    assert functions.heartbeatMaxAge().call() == 1800
    assert functions.getActiveTEEs(0).call() == []
    assert w3.eth.get_balance(operator) == TEE_OPERATOR_BALANCE


def test_each_call_gives_fresh_entries():
    first = tee_registry_genesis()
    entry = first[bytes.fromhex(TEE_REGISTRY_ADDRESS[2:])]
    entry["storage"][0] = 1
    again = tee_registry_genesis()[bytes.fromhex(TEE_REGISTRY_ADDRESS[2:])]
    assert again["storage"] != entry["storage"] and again["nonce"] == 1
