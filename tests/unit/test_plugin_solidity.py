"""The plugin's ape-solidity defaults for opengradient projects (ape_opengradient.solidity)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ape.api.config import ApeConfig

from ape_opengradient.solidity import _uses_opengradient, with_defaults
from ogkit import solidity

REMAP = "opengradient-neuroml/src/=contracts/.cache/opengradient-neuroml/src/"


def test_defaults_and_the_managed_interfaces(tmp_path: Path):
    (tmp_path / "contracts").mkdir()
    merged = with_defaults({}, tmp_path, tmp_path / "contracts")
    assert merged == {**solidity.PROJECT_SETTINGS, "import_remapping": [REMAP]}
    managed = tmp_path / "contracts" / ".cache" / "opengradient-neuroml" / "src"
    assert sorted(p.name for p in managed.iterdir()) == sorted(solidity.INTERFACES)
    for name in solidity.INTERFACES:
        assert (managed / name).read_bytes() == (solidity.SOURCE_DIR / name).read_bytes()


def test_the_users_settings_win(tmp_path: Path):
    (tmp_path / "src").mkdir()
    mine = {"optimize": True, "via_ir": True, "import_remapping": ["@oz=lib/oz"]}
    merged = with_defaults(mine, tmp_path, tmp_path / "src")
    assert merged["optimize"] is True and merged["via_ir"] is True
    assert merged["evm_version"] == solidity.EVM_VERSION
    assert merged["import_remapping"] == [
        "@oz=lib/oz",
        "opengradient-neuroml/src/=src/.cache/opengradient-neuroml/src/",
    ]
    own = {"import_remapping": ["opengradient-neuroml/src/=vendor/og/"]}
    assert with_defaults(own, tmp_path, tmp_path / "src")["import_remapping"] == [
        "opengradient-neuroml/src/=vendor/og/"
    ]


def test_a_stale_copy_is_refreshed_and_no_folder_is_made_without_contracts(tmp_path: Path):
    assert with_defaults({}, tmp_path, tmp_path / "contracts")["import_remapping"] == []
    assert not (tmp_path / "contracts").exists()
    managed = solidity.managed_dir(tmp_path / "contracts")
    managed.mkdir(parents=True)
    (managed / "OGInference.sol").write_text("// stale")
    solidity.materialise(tmp_path / "contracts")
    assert (managed / "OGInference.sol").read_bytes() == (
        solidity.SOURCE_DIR / "OGInference.sol"
    ).read_bytes()


def test_only_opengradient_projects_get_them():
    assert _uses_opengradient(ApeConfig.model_validate({"default_ecosystem": "opengradient"}))
    assert _uses_opengradient(ApeConfig.model_validate({"opengradient": {"pipe": True}}))
    assert not _uses_opengradient(ApeConfig.model_validate({"default_ecosystem": "ethereum"}))
    assert not _uses_opengradient(ApeConfig.model_validate({}))


def test_ape_compiles_an_upstream_style_import_with_no_config(tmp_path: Path):
    """A project with nothing but `default_ecosystem: opengradient` compiles the import."""
    (tmp_path / "contracts").mkdir()
    (tmp_path / "ape-config.yaml").write_text("name: bare\ndefault_ecosystem: opengradient\n")
    (tmp_path / "contracts" / "Reader.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n"
        'import "opengradient-neuroml/src/OGInference.sol";\n'
        'import "opengradient-neuroml/src/OGHistorical.sol";\n'
        "contract Reader {\n"
        "    function read(ModelInput memory input) external returns (int128) {\n"
        "        ModelOutput memory out = OG_INFERENCE_CONTRACT.runModelInference(\n"
        '            ModelInferenceRequest(ModelInferenceMode.VANILLA, "m", input));\n'
        "        return out.numbers[0].values[0].value;\n"
        "    }\n"
        "}\n"
    )
    ape = Path(sys.executable).with_name("ape")
    done = subprocess.run(
        [str(ape), "compile"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS:  'local project' compiled." in done.stdout + done.stderr
    assert (tmp_path / ".build" / "__local__.json").is_file()
