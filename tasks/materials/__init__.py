"""Materials (SPEC §8): files handed in with claims and highlights, stored content-addressed, read back."""

from tasks.materials.export import Handed, copy_accepted, handed_in, material_sheet
from tasks.materials.files import (
    Round,
    claim_files,
    file_row,
    highlights_of,
    rounds,
)
from tasks.materials.storage import INCOMING, FileChanged, FileStore, LocalStore, Stored
from tasks.materials.submitting import Owner, item_of, store_files, submit_claim, submit_highlight

__all__ = [
    "INCOMING",
    "FileChanged",
    "FileStore",
    "Handed",
    "LocalStore",
    "Owner",
    "Round",
    "Stored",
    "claim_files",
    "copy_accepted",
    "file_row",
    "handed_in",
    "highlights_of",
    "item_of",
    "material_sheet",
    "rounds",
    "store_files",
    "submit_claim",
    "submit_highlight",
]
