"""The ``sadakat`` command line: one group, its commands in a module each by what they act on."""

from connector.cli import destinations, imports, members, people, processes, shops, surveys, traffic
from connector.cli.base import main

__all__ = ["destinations", "imports", "main", "members", "people", "processes", "shops", "surveys", "traffic"]
