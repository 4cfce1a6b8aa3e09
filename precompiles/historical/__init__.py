"""OGHistorical, the precompile at 0x…F5: price-history candles and inference on them.

`precompile` is the entry point, `codec` its calldata, `types` its structs. Candles come
from the `host.PriceFeedBackend` the chain hands in.
"""
