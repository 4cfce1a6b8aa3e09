"""Fuzzed JSON-RPC requests for bench/reliability_fuzz.py, from a seeded `random.Random`.

Every request is reproducible from (seed, index). Methods come from the node's own method
table (ogkit.node.rpc.methods) plus junk names; params are random JSON, values shaped like
Ethereum ones (addresses, hashes, quantities, block tags, tx objects) and malformed ones.
Bodies are also junk bytes, truncated JSON, deep nesting, batches, bad ids (1e400, objects),
non-POST methods and, rarely, bodies over the node's 8 MiB cap.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

OVERSIZED = 9 * 1024 * 1024
"""Over the node's 8 MiB request cap (ogkit node --help)."""

JUNK_METHODS = [
    "",
    " ",
    "eth_",
    "ETH_BLOCKNUMBER",
    "eth_blockNumber\x00",
    "rpc.discover",
    "__init__",
    "__class__",
    "table",
    "_call",
    "eth_sendTransaction ",
    "x" * 5000,
    "ógkit_☃",
    "debug_",
]

BIG_FLOAT = "__1e400__"
"""Stands for the JSON number 1e400 (json.dumps would write Infinity, which is not JSON)."""

ACCOUNTS = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x0000000000000000000000000000000000000000",
    "0x00000000000000000000000000000000000000F4",
]


@dataclass(frozen=True)
class FuzzRequest:
    """One HTTP request: verb, body, and what a correct answer looks like."""

    index: int
    kind: str
    verb: str
    body: bytes
    may_be_empty: bool
    """True when the body is a notification (or a batch of them): no answer is correct."""
    echo_id: Any = None
    """The id the answer must carry (a single request with a valid id), else None."""

    def describe(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", "backslashreplace")
        more = f" … ({len(self.body):,} bytes)" if len(self.body) > limit else ""
        return f"#{self.index} {self.kind} {self.verb} {text}{more}"


def method_names() -> list[str]:
    """Every method the node answers (read from its method table, no chain needed)."""
    from ogkit.node.rpc.filters import Filters
    from ogkit.node.rpc.methods import method_table

    return sorted(method_table(None, "fuzz", Filters()))  # type: ignore[arg-type]


class Generator:
    def __init__(self, seed: int, methods: list[str]) -> None:
        self.rng = random.Random(seed)
        self.methods = methods

    # ------------------------------------------------------------------ values

    def quantity(self) -> Any:
        r = self.rng
        return r.choice(
            [
                hex(r.randrange(0, 300)),
                hex(r.getrandbits(256)),
                hex(2**256 + r.randrange(9)),
                "0x",
                "0x0" + "0" * r.randrange(1, 70),
                "-0x1",
                "0xZZ",
                r.randrange(-(2**70), 2**70),
                BIG_FLOAT,
                -0.5,
                "latest",
            ]
        )

    def data(self) -> str:
        r = self.rng
        n = r.choice([0, 1, 4, 20, 32, 33, 100, 5000])
        text = "0x" + r.randbytes(n).hex()
        return r.choice([text, text[:-1], text.upper(), text[2:], "0x" + "zz" * n])

    def block(self) -> Any:
        r = self.rng
        return r.choice(
            ["latest", "earliest", "pending", "safe", "finalized", "Latest", self.quantity()]
            + [{"blockHash": self.data()}, {"blockNumber": self.quantity()}]
        )

    def tx(self) -> dict[str, Any]:
        r = self.rng
        fields = {
            "from": lambda: r.choice(ACCOUNTS + [self.data()]),
            "to": lambda: r.choice(ACCOUNTS + [None, self.data()]),
            "gas": self.quantity,
            "gasPrice": self.quantity,
            "maxFeePerGas": self.quantity,
            "value": self.quantity,
            "data": self.data,
            "input": self.data,
            "nonce": self.quantity,
            "accessList": lambda: r.choice([[], [{"address": ACCOUNTS[0]}], "x"]),
            "type": self.quantity,
        }
        keys = r.sample(sorted(fields), r.randrange(0, len(fields) + 1))
        return {k: fields[k]() for k in keys}

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        choices = [
            self.quantity,
            self.data,
            self.block,
            lambda: r.choice(ACCOUNTS),
            lambda: None,
            lambda: r.choice([True, False]),
            lambda: r.choice(["", "☃" * 10, "\x00", "a" * 100_000]),
            lambda: r.random() * 10 ** r.randrange(-5, 300),
        ]
        if depth < 3:
            choices += [
                self.tx,
                lambda: [self.value(depth + 1) for _ in range(r.randrange(0, 4))],
                lambda: {self.data()[:8]: self.value(depth + 1) for _ in range(r.randrange(3))},
            ]
        return r.choice(choices)()

    def well_formed(self, method: str) -> list[Any] | None:
        """Params a correct client would send to `method`, when there is a template."""
        r = self.rng
        a = r.choice(ACCOUNTS)
        word = "0x" + r.randbytes(32).hex()
        n = hex(r.randrange(0, 20))
        call = {"from": ACCOUNTS[0], "to": a, "data": "0x" + r.randbytes(r.randrange(40)).hex()}
        templates: dict[str, list[Any]] = {
            "eth_call": [call, "latest"],
            "eth_estimateGas": [call],
            "debug_traceCall": [call, "latest", {}],
            "eth_sendTransaction": [{**call, "value": n}],
            "eth_getBalance": [a, "latest"],
            "eth_getCode": [a, "latest"],
            "eth_getTransactionCount": [a, "pending"],
            "eth_getStorageAt": [a, n, "latest"],
            "eth_getBlockByNumber": [r.choice([n, "latest", "pending"]), r.random() < 0.5],
            "eth_getBlockByHash": [word, True],
            "eth_getBlockReceipts": [n],
            "eth_getTransactionByHash": [word],
            "eth_getTransactionReceipt": [word],
            "debug_traceTransaction": [word, {}],
            "eth_getLogs": [{"fromBlock": "0x0", "toBlock": "latest"}],
            "eth_newFilter": [{"fromBlock": "0x0", "address": a}],
            "eth_feeHistory": [n, "latest", [25, 75]],
            "anvil_setBalance": [a, hex(r.getrandbits(80))],
            "anvil_setCode": [a, "0x" + r.randbytes(r.randrange(30)).hex()],
            "anvil_setStorageAt": [a, n, word],
            "anvil_setNonce": [a, n],
            "anvil_mine": [hex(r.randrange(1, 4))],
            "evm_mine": [],
            "evm_snapshot": [],
            "evm_revert": [n],
            "evm_increaseTime": [r.randrange(0, 1000)],
            "debug_setHead": [n],
            "eth_sign": [ACCOUNTS[0], word],
            "personal_sign": [word, ACCOUNTS[0]],
            "web3_sha3": [word],
            "ogkit_getModelRuns": [],
            "ogkit_inferenceStats": [],
            "ogkit_getBlockInferenceRecords": [n],
        }
        return templates.get(method)

    def mutated(self, params: list[Any]) -> list[Any]:
        """`params` with one change (or none): a value swapped, dropped or added."""
        r = self.rng
        out = list(params)
        roll = r.random()
        if out and roll < 0.4:
            out[r.randrange(len(out))] = self.value()
        elif out and roll < 0.55:
            out.pop(r.randrange(len(out)))
        elif roll < 0.7:
            out.append(self.value())
        return out

    def params(self, method: str) -> Any:
        r = self.rng
        template = self.well_formed(method)
        if template is not None and r.random() < 0.5:
            return self.mutated(template)
        roll = r.random()
        if roll < 0.75:
            return [self.value() for _ in range(r.randrange(0, 5))]
        return r.choice([None, {}, {"a": 1}, "0x1", 7, [[[[[]]]]], [None] * 50])

    def request_id(self) -> tuple[str, Any]:
        """(JSON text of the id, the id an answer must echo, or None: not checked)."""
        r = self.rng
        good = r.choice([1, r.randrange(2**53), "abc", "", -7, 0])
        bad = r.choice(["1e400", "-1e400", '{"a": 1}', "[1]", "true", "1.5"])
        if r.random() < 0.8:
            return json.dumps(good), good
        return bad, None

    def method(self) -> str:
        r = self.rng
        return r.choice(self.methods) if r.random() < 0.85 else r.choice(JUNK_METHODS)

    # ------------------------------------------------------------------ requests

    def dumps(self, value: Any) -> str:
        return json.dumps(value).replace(json.dumps(BIG_FLOAT), "1e400")

    def call_text(self) -> tuple[str, bool, Any]:
        """One request object as JSON text; (text, is a notification, id to echo)."""
        r = self.rng
        method = self.method()
        members = [f'"method": {self.dumps(method)}']
        if r.random() < 0.95:
            members.append(f'"params": {self.dumps(self.params(method))}')
        if r.random() < 0.9:
            members.append('"jsonrpc": ' + r.choice(['"2.0"'] * 8 + ['"1.0"', "2", "null"]))
        notification = r.random() < 0.05
        echo = None
        if not notification:
            id_text, echo = self.request_id()
            members.append(f'"id": {id_text}')
        r.shuffle(members)
        return "{" + ", ".join(members) + "}", notification, echo

    def junk_body(self) -> tuple[str, bytes]:
        r = self.rng
        text, _, _ = self.call_text()
        makers = {
            "bytes": lambda: r.randbytes(r.randrange(0, 400)),
            "truncated": lambda: text[: r.randrange(0, len(text) + 1)].encode(),
            "deep": lambda: ("[" * 100_000 + "]" * 100_000).encode(),
            "deep-object": lambda: ('{"a":' * 5000 + "1" + "}" * 5000).encode(),
            "scalar": lambda: r.choice([b"1", b"null", b'"x"', b"true", b"", b"[]", b"{}"]),
            "not-utf8": lambda: b'{"method": "\xff\xfe", "id": 1}',
            "nan": lambda: b'{"jsonrpc":"2.0","id":NaN,"method":"eth_chainId","params":[]}',
            "huge-int": lambda: b'{"jsonrpc":"2.0","id":' + b"9" * 5000 + b',"method":"x"}',
        }
        name = r.choice(sorted(makers))
        return name, makers[name]()

    def next(self, index: int) -> FuzzRequest:
        r = self.rng
        roll = r.random()
        verb = "POST"
        if roll < 0.6:
            text, note, echo = self.call_text()
            return FuzzRequest(index, "call", verb, text.encode(), note, echo)
        if roll < 0.8:
            parts = [self.call_text() for _ in range(r.randrange(1, 12))]
            body = "[" + ", ".join(p[0] for p in parts) + "]"
            return FuzzRequest(index, "batch", verb, body.encode(), all(p[1] for p in parts))
        if roll < 0.95:
            name, body = self.junk_body()
            return FuzzRequest(index, f"junk:{name}", verb, body, False)
        if roll < 0.998:
            verb = r.choice(["GET", "PUT", "DELETE", "HEAD", "PATCH", "FOO"])
            text, _, _ = self.call_text()
            return FuzzRequest(index, "verb", verb, text.encode(), verb == "HEAD")
        return FuzzRequest(index, "oversized", verb, b"[" + b"1," * (OVERSIZED // 2) + b"1]", False)
