"""The package as installed: its version is the workspace's (Cargo.toml)."""

import importlib.metadata

import georange
from conftest import ROOT


def test_the_version_is_the_workspaces():
    """``georange.__version__`` is Cargo.toml's workspace version, as the CLI and npm report."""
    cargo = (ROOT / "Cargo.toml").read_text().split("[workspace.package]")[1]
    version = next(l.split('"')[1] for l in cargo.splitlines() if l.startswith("version = "))
    assert georange.__version__ == version
    assert importlib.metadata.version("georange") == version
