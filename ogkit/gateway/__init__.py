"""`ogkit gateway`: OpenAI-compatible, TEE-signed LLM access in front of ogkit's LLM engine,
discoverable through the TEE registry as OpenGradient's SDK discovers its gateways."""

from ogkit.gateway.generation import GatewayModels
from ogkit.gateway.payment import FreeGate, PaymentGate
from ogkit.gateway.requests import GatewayLimits
from ogkit.gateway.server import GatewayServer
from ogkit.gateway.signing import GatewayRecord, ResponseSigner

__all__ = [
    "FreeGate",
    "GatewayLimits",
    "GatewayModels",
    "GatewayRecord",
    "GatewayServer",
    "PaymentGate",
    "ResponseSigner",
]
