"""og-evm's TEE verifier, the precompile at 0x…0900: AWS Nitro attestations and RSA-PSS.

`precompile` is the entry point; `attestation` and `rsa_pss` are the checks themselves
(reused off-chain by `ogkit.tee`), built on `cose` (the COSE_Sign1 document),
`certificates` (the chain to the root) and `verdict` (caps and the failure type).
"""
