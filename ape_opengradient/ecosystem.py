"""The `opengradient` ecosystem: Ethereum semantics, OpenGradient's networks and ids."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from ape.api import ReceiptAPI
from ape_ethereum.ecosystem import BaseEthereumConfig, Ethereum
from ape_ethereum.transactions import Receipt, TransactionType
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ape_opengradient.live_networks import ALPHA, LIVE_NETWORKS
from ape_opengradient.receipt import InferenceReceipt

ALPHA_CHAIN_ID = ALPHA.chain_id
"""Seen only in third-party code; `eth_chainId` on the alpha RPC is the authority."""
ALPHA_RPC = ALPHA.rpc

NETWORKS = {
    # name: (network id, chain id)
    name: (net.chain_id, net.chain_id)
    for name, net in LIVE_NETWORKS.items()
}


class OpenGradientConfig(BaseEthereumConfig):
    NETWORKS: ClassVar[dict[str, tuple[int, int]]] = NETWORKS
    model_store: str | None = None
    """Model store directory for the local chain (default `$OGKIT_MODEL_STORE` or
    `.ogkit/models` in the project)."""
    pipe: bool = False
    """Emulate the alpha testnet's two-phase execution on the local chain: `eth_call` and gas
    estimates get empty model outputs with `is_simulation_result = true`."""
    settlement: bool = True
    """Run the settlement service (HACA's full-node role) beside the local chain."""
    settlement_batch_size: int = 1
    """1 settles each TEE inference on its own; more settles them in Merkle batches."""
    provers: int | None = Field(default=None, ge=1)
    """ZK proofs the local chain makes at once (default: one per CPU core)."""
    price_csv: str | None = None
    """CSV of candles served by OGHistorical (0xF5) on the local chain (default
    `$OGKIT_PRICE_CSV`, else the shipped synthetic sample)."""
    tee_root: str | None = None
    """PEM file of the TEE root the local chain's 0x900 trusts (default: the dev root, whose
    key is public), as `ogkit node --tee-root`."""
    tee_ca: str | None = None
    """PEM file of a CA under `tee_root` (P-384 key, its certificate, the chain up to the
    root) the local enclave attests with; without it, TEE mode reverts under a custom root."""
    price_feed_key_file: str | None = None
    """File holding the hex private key that signs 0xF5's records on the local chain (else
    `$OGKIT_PRICE_FEED_KEY`, else the public dev key). Never the key itself in this file."""

    model_config = SettingsConfigDict(extra="allow", env_prefix="APE_OPENGRADIENT_")

    @model_validator(mode="before")
    @classmethod
    def _legacy_transactions_on_live_networks(cls, values: Any) -> Any:
        """OpenGradient's SDK sends legacy (`gasPrice`) transactions to its networks; a
        project does the same unless its `opengradient.<network>` section says otherwise."""
        if not isinstance(values, dict):
            return values
        for name in LIVE_NETWORKS:
            section = values.get(name)
            if section is None or isinstance(section, dict):
                values[name] = {"default_transaction_type": 0, **(section or {})}
        return values


class OpenGradient(Ethereum):
    fee_token_symbol: str = "OPG"

    def decode_receipt(self, data: dict) -> ReceiptAPI:
        """Ethereum's receipt, as an `InferenceReceipt` (same fields, plus `inferences`)."""
        receipt = super().decode_receipt(data)
        if type(receipt) is not Receipt:
            return receipt  # a blob receipt: no AI calls to list
        fields = {name: getattr(receipt, name) for name in type(receipt).model_fields}
        upgraded = InferenceReceipt.model_construct(**fields)
        upgraded.error = receipt.error
        return upgraded

    @property
    def default_transaction_type(self) -> TransactionType:
        """Ethereum's answer (the connected network's setting, else the default network's)
        without its detour: Ethereum's asks the ecosystem config for a
        `default_transaction_type` it never has, which builds a throwaway `NetworkConfig` from
        the environment (pydantic-settings) twice per transaction Ape makes, and then uses the
        network's setting anyway. Only a network without one takes Ethereum's path."""
        provider = self.network_manager.active_provider
        name = provider.network.name if provider else self.default_network_name
        configured = self.get_network(name).config.get("default_transaction_type")
        if configured is None:
            return super().default_transaction_type
        return TransactionType(configured)

    @property
    def config(self) -> OpenGradientConfig:  # type: ignore[override]
        return cast(OpenGradientConfig, self.config_manager.get_config("opengradient"))
