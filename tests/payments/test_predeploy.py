"""`ogkit.chain.predeploy`: a contract constructed at a fixed address in a scratch state has
the storage its constructor wrote, immutables baked for that address and chain id, nonce 1, and
answers on a chain started from that genesis entry exactly as if deployed there."""

from __future__ import annotations

import pytest
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode, encode
from eth_tester.backends.pyevm.main import get_default_genesis_params
from eth_utils import keccak, to_canonical_address
from node_support import compile_solidity

from ogkit.chain.predeploy import PredeployError, predeploy, predeploy_all
from ogkit.contracts import load

TARGET = to_canonical_address("0xFbC2051AE2265686a469421b2C5A2D5462FbF5eB")
HOLDERS = [b"\x11" * 20, b"\x22" * 20]

PROBE = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Probe {
    address public immutable self;
    uint256 public immutable chain;
    address public immutable creator;
    uint256 public stored;
    uint256 public zeroed = 5;
    mapping(uint256 => uint256) public map;
    constructor(uint256 value) {
        self = address(this);
        chain = block.chainid;
        creator = msg.sender;
        stored = value;
        map[value] = value + 1;
        zeroed = 0;
    }
}
contract Reverts {
    constructor() { revert("no thanks"); }
}
contract Pokes {
    constructor(address other) { Probe(other).stored(); }
}
contract Sink {
    uint256 public x;
    function set(uint256 v) external { x = v; }
}
contract Writer {
    constructor(address sink) { Sink(sink).set(1); }
}
"""


@pytest.fixture(scope="module")
def probe():
    return compile_solidity(PROBE)


def _call(entry: dict, address: bytes, chain_id: int, signature: str, *args) -> bytes:
    """Call a function of `entry` on a fresh Prague chain whose genesis holds it."""
    klass = MiningChain.configure(vm_configuration=((0, PragueVM),), chain_id=chain_id)
    chain = klass.from_genesis(AtomicDB(), get_default_genesis_params(), {address: entry})
    data = keccak(text=signature)[:4] + (encode(["uint256"], list(args)) if args else b"")
    vm = chain.get_vm()
    tx = vm.create_unsigned_transaction(
        nonce=0, gas_price=0, gas=1_000_000, to=address, value=0, data=data
    )
    return chain.get_transaction_result(
        SpoofTransaction(tx, from_=b"\x99" * 20), chain.get_canonical_head()
    )


def _probe_entry(probe, value: int = 42, chain_id: int = 8453) -> dict:
    _, bytecode = probe["Probe"]
    code = bytes.fromhex(bytecode.removeprefix("0x")) + encode(["uint256"], [value])
    return predeploy(TARGET, code, chain_id=chain_id, deployer=b"\x07" * 20)


def test_storage_immutables_and_nonce_are_those_of_a_construction_at_the_address(probe):
    entry = _probe_entry(probe)
    assert entry["nonce"] == 1
    assert entry["balance"] == 0
    # slot 0 = stored, slot 1 = zeroed (written 5 then 0: not kept), map[42] at keccak(42 . 2)
    map_slot = int.from_bytes(keccak(encode(["uint256", "uint256"], [42, 2])), "big")
    assert entry["storage"] == {0: 42, map_slot: 43}

    def word(sig: str, *args) -> int:
        return decode(["uint256"], _call(entry, TARGET, 8453, sig, *args))[0]

    assert word("self()") == int.from_bytes(TARGET, "big")
    assert word("chain()") == 8453
    assert word("creator()") == int.from_bytes(b"\x07" * 20, "big")
    assert word("stored()") == 42
    assert word("map(uint256)", 42) == 43
    assert word("zeroed()") == 0


def test_chain_id_is_the_target_chains(probe):
    entry = _probe_entry(probe, chain_id=1337)
    assert decode(["uint256"], _call(entry, TARGET, 1337, "chain()"))[0] == 1337


def test_a_reverting_constructor_is_refused_with_its_reason(probe):
    _, bytecode = probe["Reverts"]
    with pytest.raises(PredeployError, match="no thanks"):
        predeploy(TARGET, bytes.fromhex(bytecode.removeprefix("0x")), chain_id=8453)


def test_constructors_see_the_contracts_before_them(probe):
    other = b"\x44" * 20
    _, probe_code = probe["Probe"]
    _, pokes_code = probe["Pokes"]
    built = predeploy_all(
        {
            other: bytes.fromhex(probe_code.removeprefix("0x")) + encode(["uint256"], [1]),
            TARGET: bytes.fromhex(pokes_code.removeprefix("0x"))
            + encode(["address"], ["0x" + other.hex()]),
        },
        chain_id=8453,
    )
    assert list(built) == [other, TARGET]
    assert built[other]["storage"] == {
        0: 1,
        int.from_bytes(keccak(encode(["uint256", "uint256"], [1, 2])), "big"): 2,
    }
    assert built[TARGET]["storage"] == {}
    assert built[TARGET]["code"]


def test_opg_token_balances_land_in_genesis_storage():
    args = encode(
        ["address", "address[]", "uint256[]"],
        ["0x" + "33" * 20, ["0x" + h.hex() for h in HOLDERS], [5, 7]],
    )
    entry = predeploy(TARGET, load("OPGToken").bytecode + args, chain_id=8453)
    balance_slot = [
        int.from_bytes(keccak(b"\x00" * 12 + h + (1).to_bytes(32, "big")), "big") for h in HOLDERS
    ]
    assert entry["storage"] == {0: 12, balance_slot[0]: 5, balance_slot[1]: 7}
    assert entry["code"] != load("OPGToken").runtime  # immutables (domain, minter) filled in
    out = _call(entry, TARGET, 8453, "DOMAIN_SEPARATOR()")
    domain = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(
                    text="EIP712Domain(string name,string version,uint256 chainId,"
                    "address verifyingContract)"
                ),
                keccak(text="OpenGradient"),
                keccak(text="1"),
                8453,
                "0x" + TARGET.hex(),
            ],
        )
    )
    assert out == domain


def test_a_constructor_writing_another_accounts_storage_is_refused(probe):
    sink = b"\x55" * 20
    _, sink_code = probe["Sink"]
    _, writer_code = probe["Writer"]
    with pytest.raises(PredeployError, match="storage of other accounts: 0x5555"):
        predeploy_all(
            {
                sink: bytes.fromhex(sink_code.removeprefix("0x")),
                TARGET: bytes.fromhex(writer_code.removeprefix("0x"))
                + encode(["address"], ["0x" + sink.hex()]),
            },
            chain_id=8453,
        )
