"""Why a payment was refused, in words: x402's refusal codes (kept as the wire's
`invalidReason` / `errorReason`, which x402 clients understand) with a plain sentence for the
`invalidMessage` / `errorMessage` people read."""

from __future__ import annotations

# our own codes (checks the facilitator adds around x402's)
ACCEPTED_MISMATCH = "accepted_requirements_mismatch"
RESOURCE_MISMATCH = "resource_mismatch"
NONCE_IN_FLIGHT = "nonce_in_flight"
MALFORMED = "invalid_payload"
UNSUPPORTED = "unsupported_scheme"
OVER_CAP = "invalid_upto_evm_payload_settlement_exceeds_amount"
PERMIT2_REPLAYED = "permit2_invalid_nonce"
NETWORK_MISMATCH = "network_mismatch"
EXACT_AMOUNT = "exact_amount_is_the_price"
UNAVAILABLE = "facilitator_unavailable"

WORDS: dict[str, str] = {
    # exact (EIP-3009)
    "invalid_exact_evm_payload_authorization_value_mismatch": (
        "the authorization's value is not the price asked"
    ),
    "invalid_exact_evm_payload_authorization_valid_before": "expired: its time is up",
    "invalid_exact_evm_payload_authorization_valid_after": "the authorization is not valid yet",
    "invalid_exact_evm_nonce_already_used": "replayed: this authorization's nonce is already used",
    "invalid_exact_evm_payload_recipient_mismatch": "wrong recipient: it pays someone else",
    "invalid_exact_evm_payload_signature": "bad signature: not signed by the payer",
    "invalid_exact_evm_insufficient_balance": "insufficient balance: the payer has too little OPG",
    "invalid_exact_evm_token_name_mismatch": "the token's EIP-712 name is not the offer's",
    "invalid_exact_evm_token_version_mismatch": "the token's EIP-712 version is not the offer's",
    "invalid_exact_evm_transaction_simulation_failed": "the transfer would fail on chain",
    "invalid_exact_evm_failed_to_verify_signature": (
        "the facilitator could not check the signature (payment chain unreachable?)"
    ),
    "missing_eip712_domain": "the offer names no EIP-712 domain (extra.name, extra.version)",
    # upto (Permit2)
    "permit2_amount_mismatch": "the permit's cap is not the cap asked",
    "permit2_deadline_expired": "expired: the permit's deadline has passed",
    "permit2_not_yet_valid": "the permit is not valid yet",
    "invalid_permit2_recipient_mismatch": "wrong recipient: it pays someone else",
    "invalid_permit2_signature": "bad signature: not signed by the payer",
    "invalid_permit2_spender": "the permit is for another spender than the x402 upto proxy",
    "permit2_token_mismatch": "the permit is for another token",
    "permit2_allowance_required": "the payer has not approved OPG to Permit2",
    "permit2_insufficient_balance": "insufficient balance: the payer has too little OPG",
    "upto_facilitator_mismatch": "the permit names another facilitator",
    "upto_unauthorized_facilitator": "the permit names another facilitator",
    "upto_amount_exceeds_permitted": "the charge is over the signed cap",
    "invalid_upto_evm_transaction_failed": "the transfer would fail on chain (replayed nonce?)",
    OVER_CAP: "the charge is over the signed cap",
    PERMIT2_REPLAYED: "replayed: this permit's nonce is already used",
    # ours
    ACCEPTED_MISMATCH: "the payment was made for other terms than these",
    RESOURCE_MISMATCH: "the payment was made for another resource",
    NONCE_IN_FLIGHT: "this authorization is being used by another request right now",
    MALFORMED: "the payment payload is malformed",
    UNSUPPORTED: "no such scheme on this network here",
    NETWORK_MISMATCH: "the payment is for another network than this facilitator's",
    EXACT_AMOUNT: "an exact payment settles the price it was signed for, no other amount",
    UNAVAILABLE: "the facilitator could not check or settle it now (payment chain down?)",
    "unsupported_payload_type": "the payload is not of this scheme's kind",
    "transaction_failed": "the settlement transaction failed",
}


def explain(code: str | None, detail: str | None = None) -> str:
    """The sentence for `code`, with what the facilitator knows in particular."""
    words = WORDS.get(code or "", code or "refused")
    return f"{words} ({detail})" if detail else words
