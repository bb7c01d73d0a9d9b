"""The files inside a TNEF part (`winmail.dat`, `application/ms-tnef`), which Outlook sends instead of MIME."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian
_ATTACHMENT_LEVEL = 0x02
_ATT_ATTACH_REND_DATA = 0x9002  # opens an attachment
_ATT_ATTACH_DATA = 0x800F  # its bytes, exactly
_MAX_FILES = 200

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TnefFile:
    name: str  # "" when the TNEF gave none; not yet cleaned
    data: bytes


def is_tnef(filename: str, content_type: str) -> bool:
    return content_type in TNEF_TYPES or filename.lower() == "winmail.dat"


def tnef_files(data: bytes) -> list[TnefFile]:
    """The files a TNEF blob carries; [] when it is not TNEF or cannot be decoded."""
    if not data.startswith(TNEF_SIGNATURE):
        return []
    from tnefparse import TNEF  # type: ignore[import-untyped]

    try:
        decoded = TNEF(data, do_checksum=False)
        raw = _raw_attachment_data(decoded.objects)
        files = [TnefFile(_name(a), raw[i] if i < len(raw) and raw[i] else bytes(a.data))
                 for i, a in enumerate(decoded.attachments[:_MAX_FILES])]
        return [f for f in files if f.data]
    except Exception as error:  # a third-party decoder on untrusted bytes: any failure degrades
        logger.info("TNEF part not expanded: %s: %s", type(error).__name__, error)
        return []


def _raw_attachment_data(objects: list[Any]) -> list[bytes]:
    """attAttachData of each attachment, in order: tnefparse prefers the MAPI copy, whose trailing NULs it strips."""
    found: list[bytes] = []
    for obj in objects:
        if obj.name == _ATT_ATTACH_REND_DATA:
            found.append(b"")
        elif obj.level == _ATTACHMENT_LEVEL and obj.name == _ATT_ATTACH_DATA and found:
            found[-1] = bytes(obj.data)
    return found


def _name(attachment: Any) -> str:
    """The long file name when there is one, else the 8.3 title; raw bytes read as cp1252 (Outlook's default)."""
    for read in (attachment.long_filename, lambda: attachment.name):
        try:
            name = read()
        except UnicodeDecodeError:  # tnefparse reads the 8.3 title as UTF-8
            name = getattr(attachment, "_name", b"")
        if isinstance(name, bytes):
            name = name.decode("cp1252", errors="replace")
        name = str(name or "").strip("\x00").strip()
        if name:
            return name
    return ""
