"""Where records come from: the four live services (one module each, one HTTP client) and readers.

    from offlabel.sources import ctgov
    svc = ctgov.ctgov_service()
    for page in ctgov.search_studies(svc, condition="alcoholism", intervention="baclofen"):
        ...

Importing the package costs nothing: httpx, tenacity and lxml load only when a name below is
first used (``offlabel ask`` never touches the network and should not pay for it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "RetryPolicy",
    "Service",
    "ctgov",
    "ctgov_service",
    "europepmc",
    "europepmc_service",
    "eutils",
    "eutils_service",
    "http",
    "make_service",
    "openfda",
    "openfda_service",
    "readers",
]

# name -> the submodule that defines it; submodules themselves map to None.
_HOME: dict[str, str | None] = {
    "ctgov": None,
    "europepmc": None,
    "eutils": None,
    "http": None,
    "openfda": None,
    "readers": None,
    "RetryPolicy": "http",
    "Service": "http",
    "make_service": "http",
    "ctgov_service": "ctgov",
    "europepmc_service": "europepmc",
    "eutils_service": "eutils",
    "openfda_service": "openfda",
}

if TYPE_CHECKING:
    from offlabel.sources import ctgov, europepmc, eutils, http, openfda, readers
    from offlabel.sources.ctgov import ctgov_service
    from offlabel.sources.europepmc import europepmc_service
    from offlabel.sources.eutils import eutils_service
    from offlabel.sources.http import RetryPolicy, Service, make_service
    from offlabel.sources.openfda import openfda_service


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = _HOME[name]
    module = importlib.import_module(f"{__name__}.{home or name}")
    value = module if home is None else getattr(module, name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
