"""Materials (报送材料, SPEC §8): what an item asks units to hand in, what a file is by its content, the limits a
claim's files meet, and file names made safe; pure but for reading the head of a file the caller holds."""

from models.materials.kinds import FORMATS, KIND_TEXT, Format, accept_of, format_of, kind_of
from models.materials.lines import file_text, materials_text, size_text
from models.materials.names import content_disposition, display_name, numbered, safe_name
from models.materials.rules import (
    CLAIM_FACTOR,
    DEFAULT_MAX_MB,
    MaterialsRefused,
    Upload,
    accepts,
    materials_of,
    problems,
)
from models.plan import Material, MaterialKind

__all__ = [
    "CLAIM_FACTOR",
    "DEFAULT_MAX_MB",
    "FORMATS",
    "KIND_TEXT",
    "Format",
    "Material",
    "MaterialKind",
    "MaterialsRefused",
    "Upload",
    "accept_of",
    "accepts",
    "content_disposition",
    "display_name",
    "file_text",
    "format_of",
    "kind_of",
    "materials_of",
    "materials_text",
    "numbered",
    "problems",
    "safe_name",
    "size_text",
]
