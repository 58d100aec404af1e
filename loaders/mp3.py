"""The length of an MP3 stream counted from its frame headers.

libsndfile (through mpg123) takes an MP3's length from its Xing/Info/VBRI header and, where a
variable-bitrate file has none (some recorders and phone apps write none; cut or joined files keep
a wrong one), estimates it from the file's size and its first frame's bitrate, and then *reads only
that many samples*: a 2 s clip came back as 0.73 s, two joined recordings as the first.  :func:`mp3_frames` walks every frame header
(4 bytes each, no decoding) and gives the exact number of samples a whole decode gives: every
audio frame's samples, less the encoder delay and padding the LAME tag of the first frame's Info
header declares (that frame holds no audio; with it, at least the decoder's delay), as libsndfile and
FFmpeg cut them.  So
:func:`loaders.audio.probe` and :func:`loaders.audio.decode` can tell when libsndfile's estimate is
wrong, however short the file.

Recordings joined by `cat` after one whose header declares its frames are FFmpeg's to decode (libsndfile
reads the first alone), and counted as FFmpeg 5.1 decodes them: the first LAME tag's delay cut, not its
padding where FFmpeg takes the file for a joined one, a later recording's header frame decoded as audio,
and the frame after an ID3v2 tag between them lost.

Bytes between frames that are neither a frame nor a tag (a damaged download, a tool's garbage) are
skipped as decoders skip them, by finding the next two frames of the same stream, and reported in
an :class:`~loaders.errors.InputWarning` naming the file.  Where such damage makes a decoder's
length differ from the count, :class:`LengthHold` holds the decode to it, or refuses the file.

:func:`mp3_file_frames` counts a file once per process while it is unchanged (its path, size,
modification time and inode are the key): a scan, prepare's check for FFmpeg and its decoding (the
workers, forked, inherit the counts) each probe it, and a second scan re-reads no frame.
"""

from __future__ import annotations

import contextlib
import functools
import mmap
import os
import re
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .errors import InputWarning
from .hold import DAMAGE_FRAMES, LengthHold

# kbit/s by bitrate index (1..14) for MPEG-1 layers I, II, III and MPEG-2/2.5 layer I, II/III
_BITRATES = {
    (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits
CACHE_FILES = 1 << 16  # files whose count is kept, about 150 bytes each


class _Header(NamedTuple):
    length: int  # bytes
    samples: int  # per channel
    stream: tuple[int, int, int]  # version bits, layer, sample rate index: the same in every frame of a stream
    side_info: int  # bytes of layer III side information after the header (and its CRC)
    mono: bool  # one channel (a stream may change it from frame to frame: recordings joined by a tool)


def is_frame_header(head: bytes) -> bool:
    """Whether ``head`` starts with an MPEG audio frame header: 11 sync bits, then a version, layer,
    bitrate and sample rate that exist (not 01, 00, 1111, 11; a free-format frame's bitrate 0 passes).
    The sync bits alone also begin other files: an Arrow stream (``datasets``' ``save_to_disk`` and
    cache files) starts with 0xFFFFFFFF, and was taken for an MP3 that "cannot be parsed"."""
    if len(head) < 3 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    return (head[1] >> 3) & 3 != 1 and (head[1] >> 1) & 3 != 0 and head[2] >> 4 != 15 and (head[2] >> 2) & 3 != 3


def _frame(header: bytes) -> _Header | None:
    """The MPEG audio frame header at the start of ``header``, or None (also for a free-format one,
    whose length its header does not give)."""
    if len(header) < 4 or not is_frame_header(header) or header[2] >> 4 == 0:
        return None
    version, layer = (header[1] >> 3) & 3, 4 - ((header[1] >> 1) & 3)
    index, rate_index, padding = header[2] >> 4, (header[2] >> 2) & 3, (header[2] >> 1) & 1
    mpeg1, mono = version == 3, header[3] >> 6 == 3
    bitrate = 1000 * _BITRATES[(1, layer) if mpeg1 else (2, min(layer, 2))][index - 1]
    rate = _RATES[version][rate_index]
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    side_info += 0 if header[1] & 1 else 2  # a CRC follows the header
    if layer == 1:
        return _Header((12 * bitrate // rate + padding) * 4, 384, (version, layer, rate_index), side_info, mono)
    samples = 1152 if layer == 2 or mpeg1 else 576
    return _Header(samples // 8 * bitrate // rate + padding, samples, (version, layer, rate_index), side_info, mono)


# samples an MP3 decoder puts out before the first encoded one (528 + 1, as FFmpeg and libmpg123 count)
DECODER_DELAY = 529


class _Info(NamedTuple):
    """An encoder's header frame (Xing/Info, VBRI) at a stream's start: what it declares."""

    delay: int | None  # the LAME tag's encoder delay (None: no LAME tag)
    padding: int  # and its padding, in samples
    frames: int | None  # the stream's frames after it (its first field, when flagged), or None
    size: int | None  # the stream's bytes (its second field, when flagged), or None

    def cut(self, concatenated: bool) -> int:
        """The samples decoders cut for the LAME tag (0 without one): its encoder delay and the decoder's
        delay at the start, and its padding less that delay at the end: its delay plus its padding, or plus
        the decoder's delay where the padding is less (FFmpeg's tag on a stream it copied or encoded with
        another encoder declares none: 529 samples were counted too many).  ``concatenated``: a file FFmpeg
        takes for recordings joined (:func:`_ffmpeg_concatenated`), whose end it does not cut."""
        if self.delay is None:
            return 0
        return self.delay + (DECODER_DELAY if concatenated else max(self.padding, DECODER_DELAY))


def _info_frame(data, pos: int, frame: _Header) -> _Info | None:
    """For a first frame that is an encoder's header rather than audio (Xing/Info, VBRI): what it
    declares (:class:`_Info`); None for an audio frame."""
    if frame.stream[1] != 3:
        return None
    if bytes(data[pos + 36 : pos + 40]) == b"VBRI":
        return _Info(None, 0, None, None)
    at = pos + 4 + frame.side_info
    if bytes(data[at : at + 4]) not in (b"Xing", b"Info"):
        return None
    flags = int.from_bytes(data[at + 4 : at + 8], "big")
    frames = int.from_bytes(data[at + 8 : at + 12], "big") if flags & 1 else None
    size = int.from_bytes(data[at + 8 + 4 * (flags & 1) : at + 12 + 4 * (flags & 1)], "big") if flags & 2 else None
    lame = at + 8 + 4 * (flags & 1) + 4 * (flags >> 1 & 1) + 100 * (flags >> 2 & 1) + 4 * (flags >> 3 & 1)
    encoder = bytes(data[lame : lame + 4])
    if lame + 24 > pos + frame.length or not encoder.isalpha():  # LAME, Lavc (FFmpeg), GOGO...
        return _Info(None, 0, frames, size)
    value = int.from_bytes(data[lame + 21 : lame + 24], "big")
    return _Info(value >> 12, value & 0xFFF, frames, size)


def _ffmpeg_concatenated(info: _Info, after_header: int) -> bool:
    """Whether FFmpeg takes a file for recordings joined (``after_header``: its bytes after the header
    frame's first 4), as its MP3 demuxer does: more bytes than the header declares, by over a sixteenth
    ('invalid concatenated file detected'); it then ignores the header's frame count, and with it the
    padding to cut at the end."""
    return info.size is not None and after_header - info.size > info.size >> 4


@dataclass(frozen=True)
class Mp3Count:
    """What :func:`mp3_frames` found: the samples per channel of a whole decode, the ``(offset,
    bytes)`` of every stretch of bytes that was neither a frame nor a tag, skipped, and whether the
    number of channels changes from one frame to another (mono and stereo recordings joined)."""

    frames: int
    junk: tuple[tuple[int, int], ...] = ()
    channels_change: bool = False
    frame_samples: int = 1152  # per channel in each frame of the stream (1152, 576 or 384)


def _id3v2_end(data, pos: int) -> int | None:
    """The end of an ID3v2 tag at ``pos`` (its syncsafe size, and its footer), or None."""
    head = bytes(data[pos : pos + 10])
    if len(head) < 10 or head[:3] != b"ID3" or head[3] > 4 or any(b & 0x80 for b in head[6:10]):
        return None
    size = int.from_bytes(bytes(b & 0x7F for b in head[6:10]), "big")
    return pos + 10 + size + (10 if head[5] & 0x10 else 0)


def _ape_items_end(data, pos: int) -> int | None:
    """The end of an APE tag whose items begin at ``pos`` and which has a footer but no header (its size,
    in the footer, counts the items and the footer), or None."""
    footer = data.find(b"APETAGEX", pos, pos + (1 << 16))
    if footer == -1 or len(data) - footer < 32 or data[footer + 23] & 0x20:  # none, cut off, or a header
        return None
    end = footer + 32
    return end if end - int.from_bytes(data[footer + 12 : footer + 16], "little") == pos else None


def _lyrics3_end(data, pos: int) -> int | None:
    """The end of a Lyrics3 tag at ``pos`` (v2: the size before its ``LYRICS200`` reaches back to its
    ``LYRICSBEGIN``; v1: its ``LYRICSEND``, at most 5100 bytes on), or None."""
    if data[pos : pos + 11] != b"LYRICSBEGIN":
        return None
    end = data.find(b"LYRICS200", pos + 11, pos + 1_000_015)  # v2's size has 6 digits
    if end != -1 and bytes(data[end - 6 : end]).isdigit() and pos + int(data[end - 6 : end]) == end - 6:
        return end + 9
    end = data.find(b"LYRICSEND", pos + 11, pos + 11 + 5100 + 9)
    return None if end == -1 else end + 9


def _resync(data, pos: int, stream: tuple | None) -> int | None:
    """The first offset from ``pos`` where an ID3v2 tag or two frames of ``stream`` (any stream if
    None) begin, one right after the other (or the frame ends the file), or None."""
    n = len(data)
    tag = data.find(b"ID3", pos)
    while tag != -1 and _id3v2_end(data, tag) is None:
        tag = data.find(b"ID3", tag + 1)
    while True:
        sync = data.find(b"\xff", pos)
        if tag != -1 and (sync == -1 or tag < sync):
            return tag
        if sync == -1:
            return None
        frame = _frame(data[sync : sync + 4])
        if frame is not None and (stream is None or frame.stream == stream):
            end = sync + frame.length
            after = _frame(data[end : end + 4])
            if end == n or (after is not None and after.stream == frame.stream) or _id3v2_end(data, end):
                return sync
        pos = sync + 1


def mp3_frames(data: bytes | mmap.mmap) -> Mp3Count | None:
    """The samples per channel that decoding ``data`` (a whole MP3 file) gives, and the junk skipped
    on the way; ID3v2 tags before and between frames, and ID3v1, APE and Lyrics3 tags between them (files
    joined by a tool) are no junk.  None where no frame is found (a free-format or damaged file: its length is
    unknown)."""
    n = len(data)
    pos, total, stream, junk, modes, samples = 0, 0, None, [], set(), 1152
    info, frames, header_at, tags_between, lost = None, 0, 0, False, 0
    while pos < n:
        if (end := _id3v2_end(data, pos)) is not None:
            tags_between = stream is not None  # FFmpeg loses the frame after one (5.1: 'Header missing')
            pos = end
            continue
        frame = _frame(data[pos : pos + 4])
        if frame is not None and stream in (None, frame.stream):
            if pos + frame.length > n:
                break  # a last frame cut short is not decoded
            if stream is None:
                stream, samples = frame.stream, frame.samples
                info, header_at = _info_frame(data, pos, frame), pos
                if info is not None:  # the encoder's header: no audio
                    pos += frame.length
                    continue
            lost, tags_between = lost + tags_between, False
            frames += 1
            total += frame.samples
            modes.add(frame.mono)
            pos += frame.length
            continue
        if data[pos : pos + 3] == b"TAG" and (
            pos + 128 >= n or _frame(data[pos + 128 : pos + 132]) is not None or _id3v2_end(data, pos + 128)
        ):
            pos += 128  # an ID3v1 tag: at the end, or the first recording's in a file joined by `cat`
            continue
        if data[pos : pos + 8] == b"APETAGEX" and n - pos >= 32:  # at the end, or the first recording's, joined
            pos += 32 + (int.from_bytes(data[pos + 12 : pos + 16], "little") if data[pos + 23] & 0x20 else 0)
            continue  # (a header, flag bit 29, begins the whole tag; a footer ends it)
        if (end := _lyrics3_end(data, pos)) is not None:
            pos = end  # a Lyrics3 tag (before an ID3v1 one): at the end, or the first recording's, joined
            continue
        if data[pos : pos + 11] == b"LYRICSBEGIN":
            break  # a tag at the end, cut short
        if n - pos < 4:
            break  # a few bytes of a header cut off
        if (end := _ape_items_end(data, pos)) is not None:
            pos = end  # the items of an APE tag without a header, and its footer
            continue
        resync = _resync(data, pos + 1, stream)
        junk.append((pos, (n if resync is None else resync) - pos))
        if resync is None:
            break
        pos = resync
    if not total:
        return None
    cut = 0 if info is None else info.cut(False)
    if info is not None and info.frames is not None and frames > info.frames:  # recordings joined: libsndfile
        cut = info.cut(_ffmpeg_concatenated(info, n - header_at - 4))  # reads the first alone, FFmpeg all of
        total -= lost * samples  # them, less the frame after each ID3v2 tag between (as FFmpeg 5.1 decodes)
    return Mp3Count(max(0, total - cut), tuple(junk), len(modes) > 1, samples)


def mp3_file_frames(path: str | os.PathLike) -> int | None:
    """:attr:`Mp3Count.frames` of the (non-empty) file at ``path`` (None: unknown), mapped rather than
    read into memory: a scan or predict of an hour-long recording does not hold its 60 MB; an
    :class:`~loaders.errors.InputWarning` names it where junk was skipped.  Counted once per process
    while the file is unchanged (and warned about once).  Raises OSError."""
    count = _count_of(path)
    return None if count is None else count.frames


def mp3_irregular(path: str | os.PathLike) -> bool:
    """Whether :func:`mp3_file_frames` skipped bytes between the frames of ``path`` (a damaged file), or
    found its number of channels changing (mono and stereo recordings joined): libsndfile may stop
    reading at either, whatever its length header says.  Raises OSError."""
    count = _count_of(path)
    return count is not None and (bool(count.junk) or count.channels_change)


def _count_of(path: str | os.PathLike) -> Mp3Count | None:
    st = os.stat(path)
    return _file_frames(os.fspath(path), st.st_size, st.st_mtime_ns, st.st_ino)


@functools.lru_cache(maxsize=CACHE_FILES)
def _file_frames(path: str, size: int, mtime_ns: int, inode: int) -> Mp3Count | None:
    """:func:`mp3_file_frames`, by the file's path and what changes when it is rewritten."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        count = mp3_frames(data)
    if count is not None and count.junk:
        skipped = sum(length for _, length in count.junk)
        where = ", ".join(f"byte {offset}" for offset, _ in count.junk[:3])
        more = f" and {len(count.junk) - 3} more places" if len(count.junk) > 3 else ""
        warnings.warn(
            f"{path}: {skipped} byte(s) in {len(count.junk)} place(s) between its MP3 frames are no audio "
            f"(at {where}{more}): skipped, as decoders skip them; a damaged copy or a tool's leftovers, so listen to "
            "it, or replace it with the original file",
            InputWarning,
            stacklevel=4,
        )
    return count


def held_to_count(
    path: str | os.PathLike, counted_frames: int, file_rate_hz: int, rate_hz: int, decoder: str
) -> LengthHold | None:
    """A :class:`LengthHold` for a decode of the MP3 at ``path`` at ``rate_hz`` by ``decoder`` (its name,
    for messages), to ``counted_frames`` at ``file_rate_hz`` (:func:`loaders.audio.probe`'s); None where
    its frames could not be counted (libsndfile's length is all there is).  Raises OSError."""
    count = _count_of(path)
    if count is None:
        return None
    slack_frames = DAMAGE_FRAMES * count.frame_samples * (1 + len(count.junk))
    return LengthHold.at_rate(path, counted_frames, slack_frames, file_rate_hz, rate_hz, decoder)


_MESSAGES_LOCK = threading.RLock()
_MPG123_LINE = re.compile(r"(\[[^\]]*\] *)?(Warning|Note|Error|error)\b")  # libmpg123's, not another writer's
_SAID: set[tuple[str, str]] = set()  # (file, message) already warned about in this process


@contextlib.contextmanager
def mpg123_messages(path: str | os.PathLike, kind: str = "mp3") -> Iterator[None]:
    """libsndfile's MP3 decoder, libmpg123, prints its notes on a file to the process's standard
    error without naming it ("Xing stream size off by more than 1%", "Illegal Audio-MPEG-Header ...
    Trying to resync"): inside this block (for ``kind`` "mp3"; any other is left alone) they are
    caught and given as one :class:`~loaders.errors.InputWarning` naming the file, once per file and
    message in a process.  File descriptor 2 is the process's: other lines written there meanwhile (another
    thread's, a progress bar's) are written back to standard error, and so is everything caught when the
    block raises."""
    if kind != "mp3":
        yield
        return
    failed = False
    with _MESSAGES_LOCK, tempfile.TemporaryFile() as caught:
        sys.stderr.flush()  # what Python wrote before is not libmpg123's
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            written = caught.read(64 * 1024).decode(errors="replace").splitlines(keepends=True)
            ours = [] if failed else [line for line in written if _MPG123_LINE.match(line)]
            sys.stderr.write("".join(line for line in written if failed or not _MPG123_LINE.match(line)))
    lines = list(dict.fromkeys(line.strip() for line in ours if line.strip()))
    new = [line for line in lines if (os.fspath(path), line) not in _SAID]
    if new:
        _SAID.update((os.fspath(path), line) for line in new)
        shown = "; ".join(new[:4]) + (f"; and {len(new) - 4} more" if len(new) > 4 else "")
        warnings.warn(f"{path}: libmpg123 (libsndfile's MP3 decoder) says: {shown}", InputWarning, stacklevel=3)
