"""Ape plugin for OpenGradient: the `opengradient` ecosystem, its networks and providers.

Thin on purpose: the chain, the precompiles and the inference node live in `ogkit` and
`precompiles`; this package only tells Ape where they are.
"""

from ape import plugins

from ape_opengradient.coverage import install as install_coverage
from ape_opengradient.solidity import (
    explain_missing_solc,
    install_config_defaults,
    use_installed_solc,
)

use_installed_solc()
install_config_defaults()
explain_missing_solc()
install_coverage()


@plugins.register(plugins.Config)
def config_class():
    from ape_opengradient.ecosystem import OpenGradientConfig

    return OpenGradientConfig


@plugins.register(plugins.EcosystemPlugin)
def ecosystems():
    from ape_opengradient.ecosystem import OpenGradient

    yield OpenGradient


@plugins.register(plugins.NetworkPlugin)
def networks():
    from ape_opengradient.network_types import network_types

    yield from network_types()


@plugins.register(plugins.ProviderPlugin)
def providers():
    from ape_opengradient.live_networks import LIVE_NETWORKS
    from ape_opengradient.live_provider import LiveNodeProvider
    from ape_opengradient.node_provider import OGNodeProvider
    from ape_opengradient.provider import AIProvider

    yield "opengradient", "local", AIProvider
    yield "opengradient", "local", OGNodeProvider
    for name in LIVE_NETWORKS:
        yield "opengradient", name, LiveNodeProvider
