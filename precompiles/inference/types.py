"""Typed views of OpenGradient's 0xF4 structs, free of ABI details.

Field order mirrors the Solidity structs so a tuple from eth-abi maps onto a dataclass
one to one, and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ModelInferenceMode(IntEnum):
    VANILLA = 0
    ZK = 1
    TEE = 2


Number = tuple[int, int]
"""`TensorLib.Number`: (value, decimals) meaning value / 10**decimals."""


@dataclass(frozen=True)
class NumberTensor:
    name: str
    values: tuple[Number, ...]
    shape: tuple[int, ...]


@dataclass(frozen=True)
class StringTensor:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class JsonScalar:
    name: str
    value: str


@dataclass(frozen=True)
class ModelInput:
    numbers: tuple[NumberTensor, ...] = ()
    strings: tuple[StringTensor, ...] = ()


@dataclass(frozen=True)
class ModelInferenceRequest:
    mode: int
    model_cid: str
    input: ModelInput


@dataclass(frozen=True)
class ModelOutput:
    numbers: tuple[NumberTensor, ...] = ()
    strings: tuple[StringTensor, ...] = ()
    jsons: tuple[JsonScalar, ...] = field(default=())
    is_simulation_result: bool = False
