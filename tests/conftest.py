"""Hypothesis profiles: "ci" (many examples) when the CI environment variable is set, else "dev"
(``HYPOTHESIS_PROFILE=ci`` or ``dev`` picks one explicitly); nbmake without its closing advert;
the compile tests' fresh generator caches."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# deadline=None: timing is the benchmarks' business, and a slow CI machine must not flake.
settings.register_profile("ci", max_examples=300, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=40, deadline=None)

_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _ci else "dev"))


class _NbmakeCollector:
    """nbmake's notebook collection without its closing "Learn more about nbmake" line."""

    def __init__(self, plugin):
        self.pytest_collect_file = plugin.pytest_collect_file


def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("nbmake")
    if plugin is not None and config.getoption("nbmake", False):
        config.pluginmanager.unregister(plugin)
        config.pluginmanager.register(_NbmakeCollector(plugin), "nbmake-collector")


@pytest.fixture
def registry(monkeypatch):
    """nn's saved-model registry as it is, restored after the test (which may register its
    own classes)."""
    from nn import module

    monkeypatch.setattr(module, "_TYPES", dict(module._TYPES))
    monkeypatch.setattr(module, "_NAMES", dict(module._NAMES))


@pytest.fixture(autouse=True)
def _derive_afresh(request):
    """In the compile tests, the generator's cached derivations (risky partials, templates)
    are made afresh in each test, so that a test sees a change to how they are made."""
    if request.module.__name__.startswith("test_compile"):
        from autograd_tiny import codegen

        for cached in (codegen._risky, codegen._template, codegen._raises_somewhere,
                       codegen._positions):
            cached.cache_clear()
