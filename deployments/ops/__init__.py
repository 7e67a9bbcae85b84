"""Running the service: `greencomm up`, its child processes and the runner; backups and restores."""

from deployments.ops.backup_cli import backup, restore_command
from deployments.ops.ports import port_problems
from deployments.ops.up import run_up

__all__ = [
    "backup",
    "port_problems",
    "restore_command",
    "run_up",
]
