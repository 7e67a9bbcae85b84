"""Operating the campaign's server: backups, restores, upgrades, what a rest day means."""

from tasks.ops.backup import archive_name, prune, take_backup
from tasks.ops.rest_days import rest_day_of
from tasks.ops.restore import Occupied, occupied, restore, unpack
from tasks.ops.rows import copy_rows, is_empty

__all__ = [
    "Occupied",
    "archive_name",
    "copy_rows",
    "is_empty",
    "occupied",
    "prune",
    "rest_day_of",
    "restore",
    "take_backup",
    "unpack",
]
