"""Where OpenGradient's precompiles live on the alpha testnet (reference §3)."""

OG_INFERENCE_ADDRESS = bytes.fromhex("00000000000000000000000000000000000000f4")
OG_HISTORICAL_ADDRESS = bytes.fromhex("00000000000000000000000000000000000000f5")
