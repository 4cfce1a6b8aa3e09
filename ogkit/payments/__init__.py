"""x402 payments on a local payment chain standing in for Base (chain id 8453).

contracts.py     addresses (OPG, Permit2, the x402 upto proxy, Multicall3), ABIs, token domain
chain.py         the payment chain profile `ogkit node --payments` runs: plain Prague, genesis
                 with OPG balances and the contracts at their fixed addresses
facilitator.py   the x402 facilitator (upstream x402's core, exact + upto on eip155:8453)
                 over the payment chain; refusal reasons; in-flight nonce guard
reasons.py       every refusal code in words
pricing.py       per-token prices by model: the quote (exact price, upto cap), the upto charge
offers.py        the x402 offers (402 `accepts` entries) for OPG, as the SDK expects them
facilitator_http.py  its HTTP face: /verify, /settle, /supported (`ogkit facilitator`)
local.py         both in this process (`start_local_payments()`), for one-process setups
"""
