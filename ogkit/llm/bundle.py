"""How the model store holds an LLM: a small JSON manifest, itself stored by CID.

    {"format": "ogkit-llm/1", "name": "tiny-llm",
     "model": "<CID of the ONNX file>", "tokenizer": "<CID of tokenizer.json>",
     "eos_token": "<|end|>", "chat_template": "ogkit-chat/1", "context_length": 2048}

The ONNX file and tokenizer.json are ordinary content-addressed blobs; the manifest's own
CID (and any alias, e.g. its name) is the LLM's model id, so a contract names an LLM exactly
as it names an ONNX model. The manifest pins both parts by hash: changing either makes a
new CID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ogkit.llm import chat_template
from ogkit.models.cid import sha256
from ogkit.models.store import CorruptModel, ModelStore, StoredModel
from precompiles.host import ModelExecutionError, ModelNotFound

FORMAT = "ogkit-llm/1"
DEFAULT_CONTEXT_LENGTH = 2048


@dataclass(frozen=True)
class LLMBundle:
    cid: str
    model_hash: bytes
    """sha256 of the manifest (what its CID commits to): pins the model and tokenizer too."""
    name: str
    model: str
    tokenizer: str
    eos_token: str
    chat_template: str
    context_length: int


def add_llm(
    store: ModelStore,
    model: Path | bytes,
    tokenizer: Path | str,
    name: str,
    *,
    eos_token: str = chat_template.END,
    context_length: int = DEFAULT_CONTEXT_LENGTH,
    aliases: tuple[str, ...] = (),
) -> str:
    """Store an ONNX causal LM and its tokenizer.json; alias the bundle by `name`.

    The parts are checked first (they load, follow the convention, know the end token), so
    a bundle that resolves is one that runs.
    """
    from ogkit.llm.onnx_lm import OnnxCausalLM

    model_bytes = Path(model).read_bytes() if isinstance(model, Path) else model
    tokenizer_text = Path(tokenizer).read_text() if isinstance(tokenizer, Path) else tokenizer
    OnnxCausalLM(model_bytes, tokenizer_text, eos_token, context_length)
    manifest = {
        "format": FORMAT,
        "name": name,
        "model": store.add(model_bytes),
        "tokenizer": store.add(tokenizer_text.encode()),
        "eos_token": eos_token,
        "chat_template": chat_template.NAME,
        "context_length": context_length,
    }
    blob = json.dumps(manifest, indent=2, sort_keys=True).encode()
    return store.add(blob, name, *aliases)


def read_bundle(store: ModelStore, model_id: str) -> LLMBundle:
    """Resolve `model_id` to an LLM manifest; `ModelNotFound` if it names none."""
    stored = store.resolve(model_id)
    if stored.size_bytes > 1 << 16:  # an ONNX file, not a manifest
        raise ModelNotFound(model_id)
    data = _read(store, stored)
    try:
        manifest = json.loads(data)
    except ValueError:
        raise ModelNotFound(model_id) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelNotFound(model_id)
    return LLMBundle(
        cid=stored.cid,
        model_hash=sha256(data),
        name=str(manifest["name"]),
        model=str(manifest["model"]),
        tokenizer=str(manifest["tokenizer"]),
        eos_token=str(manifest["eos_token"]),
        chat_template=str(manifest["chat_template"]),
        context_length=int(manifest["context_length"]),
    )


def read_part(store: ModelStore, cid: str) -> bytes:
    try:
        return _read(store, store.resolve(cid))
    except ModelNotFound:
        raise ModelExecutionError(f"LLM part {cid} is missing from the store") from None


def _read(store: ModelStore, stored: StoredModel) -> bytes:
    try:
        return store.read(stored)
    except CorruptModel as exc:
        raise ModelExecutionError(str(exc)) from exc
