"""What an audio file is, from its first bytes, never its extension (:func:`sniff`), and the error naming
the file and the fix for one that cannot be read (:func:`unreadable_file`) or is not audio that is read
(:func:`check_head`: a git-LFS pointer stub, an empty file, raw AAC, AMR, WMA, CAF, WebM, a macOS resource
fork).  :func:`loaders.audio.probe` starts with these, :mod:`loaders.unread` judges files by them."""

from __future__ import annotations

from pathlib import Path

from .browser_files import APPLEDOUBLE_MAGIC
from .errors import SKIP_BAD, SKIP_IT, BadFileError, truncated_file
from .mp3 import is_frame_header

LFS_MAGIC = b"version https://git-lfs"


# The first 4 bytes of a WAV and an AIFF; their format's name is at bytes 8-12: a file cut before it is known by these.
_CUT_TAGS = {"WAV": (b"RIFF", b"RIFX", b"RF64"), "AIFF": (b"FORM",)}


def sniff(head: bytes) -> str:
    """Container format from the first bytes of a file: wav, aiff, flac, ogg, mp3, mp4, aac (raw
    ADTS frames, not read), lfs, empty or unknown."""
    if not head:
        return "empty"
    if head.startswith(LFS_MAGIC):
        return "lfs"
    tag = head[:4]
    if tag in _CUT_TAGS["WAV"] and head[8:12] == b"WAVE":
        return "wav"
    if tag == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if tag == b"fLaC":
        return "flac"
    if tag == b"OggS":
        return "ogg"
    if head[4:8] == b"ftyp":
        return "mp4"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # ADTS sync: 12 bits set, layer 00
        return "aac"
    if head[:3] == b"ID3" or is_frame_header(head):
        return "mp3"
    return "unknown"


def unreadable_file(path, err: OSError) -> BadFileError:
    """The error for a file that cannot be opened, with the fix its cause calls for."""
    import errno

    fix = {
        errno.ENOENT: "check the path (the file does not exist, or a link points nowhere)",
        errno.EISDIR: "give an audio file, not a folder",
        errno.EACCES: "make it readable (chmod u+r, or run as its owner)",
        errno.EPERM: "make it readable (chmod u+r, or run as its owner)",
    }.get(err.errno, "check that the file can be read")
    return BadFileError(path, "unreadable", f"cannot read the file ({err.strerror or err})", fix)


# Recorders' formats known by their first bytes that are not read: named, with the conversion.
_UNREAD_FORMATS = {
    b"caff": "CAF (Apple Core Audio)",
    b"\x1aE\xdf\xa3": "WebM/Matroska",
    b"0&\xb2u\x8ef\xcf\x11": "WMA (ASF)",
    b"#!AMR": "AMR (phone voice recording)",
}


def unread_format(head: bytes) -> str | None:
    """The name of the recorder's format that ``head`` (a file's first bytes) starts, where it is one
    that is audio but not read (:data:`_UNREAD_FORMATS`: AMR, WMA, CAF, WebM), else None."""
    return next((name for magic, name in _UNREAD_FORMATS.items() if head.startswith(magic)), None)


def check_head(path: Path, head: bytes) -> str:
    """The format :func:`sniff` names for ``path`` by its first bytes ``head``, where it is one that is read
    (wav, aiff, flac, ogg, mp3, mp4); else the BadFileError naming the file and the fix: a git-LFS pointer,
    an empty file, a WAV or AIFF cut inside its first 12 bytes (``truncated``), raw AAC, a recorder's format
    that is not read, a macOS resource fork, not audio."""
    kind = sniff(head)
    if kind == "lfs":
        raise BadFileError(
            path,
            "lfs_pointer",
            "this is a git-LFS pointer file (about 130 bytes of text), not audio",
            "a git clone or GitHub zip made without Git LFS holds pointers, not audio: run `git lfs pull` "
            "inside the clone (or clone it again with Git LFS installed), or download the official release, "
            "then run the command again",
            SKIP_BAD,
        )
    if kind == "empty":
        raise BadFileError(
            path, "empty_file", "the file is empty (0 bytes)", "copy, download or extract this file again", SKIP_IT
        )
    if kind == "aac":
        raise BadFileError(
            path,
            "unsupported_format",
            "raw AAC audio (ADTS frames, no container): its length cannot be read without decoding it all",
            "put it in an M4A container or convert it (`ffmpeg -i IN.aac -c copy OUT.m4a`)",
            SKIP_BAD,
        )
    cut = next((name for name, tags in _CUT_TAGS.items() if len(head) < 12 and head[:4] in tags), None)
    if kind == "unknown" and cut:  # the whole file is these bytes: a WAV or AIFF cut inside its first 12
        raise truncated_file(
            path, f"the file ends after {len(head)} bytes, inside the header a {cut} file starts with: it is truncated"
        )
    unread = unread_format(head)
    if kind == "unknown" and unread:
        raise BadFileError(
            path,
            "unsupported_format",
            f"{unread} audio, a format that is not read (WAV, AIFF, FLAC, OGG, MP3 or MP4 are)",
            "convert it (`ffmpeg -i IN OUT.flac`: no further loss)",
            SKIP_IT,
        )
    if kind == "unknown" and head.startswith(APPLEDOUBLE_MAGIC):  # listed by a sheet made from a file listing
        raise BadFileError(
            path,
            "not_audio",
            "a macOS resource fork (the '._' file a zip made on macOS or a copy to a FAT stick leaves beside a file), "
            "not audio",
            "remove it and any metadata row naming it (the recording is the file without '._')",
            SKIP_BAD,
        )
    if kind == "unknown":
        raise BadFileError(
            path,
            "not_audio",
            f"not an audio file (starts with {head[:12]!r}); expected WAV, AIFF, FLAC, OGG, MP3 or MP4",
            "replace it with the original file from the corpus release",
            SKIP_IT,
        )
    return kind
