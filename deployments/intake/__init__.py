"""The campaign mailbox on the command line: `greencomm intake`, `intake assign`, `intake ignore`."""

from deployments.intake.cli import intake

__all__ = ["intake"]
