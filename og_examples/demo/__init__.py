"""The demo: deploy the example contracts and call each once (`ape run deploy`,
`ape run exercise`, `make demo`). Imports Ape, so it needs a connected network.

- `inputs`: which model ids the contracts are deployed against, per network
- `contracts`: deploy, record, load and exercise the example contracts
"""
