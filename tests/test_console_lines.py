"""A ``warning:`` or ``note:`` line of the command line reaches stderr in one write: under
PYTHONUNBUFFERED (many Docker images and CI runners set it) every write of a text stream is a write
of its own, and ``prepare``'s decoding workers (``--num-proc`` 2 or more) share the parent's stderr,
so a line written as message, then line end, was glued to another worker's:
``... they are clipped to [-1, 1]warning: ...`` followed by an empty line."""

from __future__ import annotations

import io

from bimotion import console
from loaders.errors import InputWarning, SplitNote


class RecordingRaw(io.RawIOBase):
    """The file descriptor's side: each write the process makes, as the pipe receives it."""

    def __init__(self):
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.writes.append(bytes(data))
        return len(data)


def unbuffered_stderr() -> tuple[io.TextIOWrapper, RecordingRaw]:
    """A text stream as Python makes stderr under PYTHONUNBUFFERED=1: no buffer, write-through."""
    raw = RecordingRaw()
    return io.TextIOWrapper(raw, encoding="utf-8", line_buffering=True, write_through=True), raw


def test_a_warning_and_a_note_are_each_one_write_of_a_whole_line():
    stream, raw = unbuffered_stderr()
    message = "/data/x.wav: 3595 of 17611 float samples exceed full scale (peak 2.5); they are clipped to [-1, 1]"
    console._show_warning(InputWarning(message), InputWarning, __file__, 1, file=stream)
    console._show_warning(SplitNote("group ind_eld has no validation rows"), SplitNote, __file__, 1, file=stream)
    assert raw.writes == [
        f"warning: {message}\n".encode(),
        b"note: group ind_eld has no validation rows\n",
    ]
