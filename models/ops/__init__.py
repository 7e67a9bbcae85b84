"""Operating the campaign's server: what a backup holds and how it is checked; what a rest day means."""

from models.ops.manifest import DATABASE, FILES, MANIFEST, ArchiveError, Manifest, member_path
from models.ops.rest_day import RestDay, rest_day

__all__ = [
    "DATABASE",
    "FILES",
    "MANIFEST",
    "ArchiveError",
    "Manifest",
    "RestDay",
    "member_path",
    "rest_day",
]
