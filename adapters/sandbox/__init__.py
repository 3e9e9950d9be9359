"""The sandbox store: a pretend shop for trying Sadakat without a store (``adapter``), its own records
(``records``) and the traffic it sends (``traffic``)."""

from adapters.sandbox.adapter import SandboxAdapter
from adapters.sandbox.records import SandboxRecords, SandboxUnbound
from adapters.sandbox.traffic import SimulatedRequest

__all__ = ["SandboxAdapter", "SandboxRecords", "SandboxUnbound", "SimulatedRequest"]
