"""What a run of :func:`bimotion.predict.predict_files` read (:class:`PredictReport`): files, windows,
audio seconds and wall time, what it left out and why, and the files whose scores are doubtful (silent,
at a noise floor, too short, hard-clipped, upsampled), worded as ``bimotion predict``'s closing lines."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from loaders.errors import BadFileError, some_files
from loaders.levels import CLIP_RUN_SAMPLES, QUIET_PEAK_DBFS, SILENT_PEAK_DBFS, clipped_percent
from loaders.skips import SkipReport

from .windows import MIN_WINDOW_S, Windowing


def no_window_reason(min_window_s: float = MIN_WINDOW_S) -> str:
    """Why a file gave no window, for a model that scores nothing shorter than ``min_window_s``."""
    return (
        f"shorter than the model's {min_window_s * 1000:.0f} ms receptive field, "
        f"or, with --segment vad, no stretch of voice of at least {Windowing.vad_min_speech_s:g} s"
    )


@dataclass
class PredictReport:
    """What a run read: files, windows, seconds of audio decoded, wall time, and what it left out."""

    files: int = 0  # read to the end (a file skipped part-way is not counted)
    windows: int = 0
    audio_s: float = 0.0
    elapsed_s: float = 0.0
    not_audio: list[str] = field(default_factory=list)  # below the folders, not audio by content: never read
    no_window: list[str] = field(default_factory=list)
    # failed part-way: skipped, their first windows given; file -> (the error's reason, seconds decoded)
    partial: dict[str, tuple[str, float]] = field(default_factory=dict)
    silent: list[str] = field(default_factory=list)  # scored, but with nothing to hear (loaders.levels)
    silent_windows: list[tuple[str, float, float]] = field(default_factory=list)  # (file, start_s, end_s): the same
    quiet: dict[str, float] = field(default_factory=dict)  # file -> its peak (dBFS), below QUIET_PEAK_DBFS, not silent
    short: dict[str, float] = field(default_factory=dict)  # file -> its duration_s, under short_below_s, scored
    short_below_s: float = Windowing.vad_min_speech_s
    upsampled: dict[str, int] = field(default_factory=dict)  # file -> its rate, below the model's: no upper band
    clipped: dict[str, float] = field(default_factory=dict)  # file -> its hard-clipped fraction, where above 0
    clipping_unmeasured: list[str] = field(default_factory=list)  # lossy or companded: no exact full scale
    # file -> what its channels' mix was warned of (loaders.channels.ChannelFinding's notes)
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    model_rate_hz: int = 0
    min_window_s: float = MIN_WINDOW_S  # the model's receptive field: a file shorter gives no window
    skipped: SkipReport = field(default_factory=SkipReport)
    noted: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file -> its notes (column file_notes)
    named_trained: list[str] = field(default_factory=list)  # named as clips the model trained on (its manifest)
    named: int = 3  # files each list below names, the rest counted (bimotion predict: all, without --output)
    output: str = ""  # the file the rows go to (--output): named as holding all of a list cut short

    @property
    def real_time_factor(self) -> float:
        """Wall time per second of audio (below 1: faster than real time)."""
        return self.elapsed_s / self.audio_s if self.audio_s else 0.0

    def not_read(self) -> SkipReport:
        """Every input that gave no row: the skipped ones, the files that are not audio by content
        (reason ``not_audio``) and the audio files too short to give a window (``no_window``), each with
        why, as one list (``bimotion predict`` writes it beside its output)."""
        listed = copy.deepcopy(self.skipped)
        for file in self.not_audio:
            listed.add("predict", BadFileError(file, "not_audio", "not audio (by content): not read"))
        for file in self.no_window:
            listed.add(
                "predict", BadFileError(file, "no_window", f"read, but {no_window_reason(self.min_window_s)}: no row")
            )
        return listed

    def file_notes(self, file: str) -> tuple[str, ...]:
        """Why ``file``'s scores are doubtful, in the words of its rows' ``file_notes``, from what this report
        holds of it once it is read (empty when nothing is); recorded in :attr:`noted`."""
        notes = []
        if file in self.silent:
            notes.append(f"silent (peak at most {SILENT_PEAK_DBFS:.0f} dBFS)")
        if file in self.quiet:
            notes.append(f"noise floor (peak {self.quiet[file]:.0f} dBFS)")
        if file in self.short:
            notes.append(f"shorter than {self.short_below_s:g} s ({self.short[file]:.3f} s)")
        if file in self.clipped:
            notes.append(f"clipped {clipped_percent(self.clipped[file])}")
        if file in self.upsampled:
            notes.append(f"upsampled from {self.upsampled[file]} Hz")
        notes += self.channels.get(file, ())
        if file in self.partial:
            reason, decoded_s = self.partial[file]
            notes.append(f"failed part-way ({reason}) after {decoded_s:g} s: skipped, only its first windows scored")
        if notes:
            self.noted[file] = tuple(notes)
        return tuple(notes)

    def unscored(self, file: str) -> None:
        """Leave ``file``, skipped before any row of it was given (its scoring decode failed at once, or it
        changed once measured), out of every list of files read: it failed part-way through no row, and has
        no scores to doubt; it stays counted as skipped."""
        for listed in (self.silent, self.clipping_unmeasured):
            while file in listed:
                listed.remove(file)
        for by_file in (self.partial, self.quiet, self.short, self.upsampled, self.clipped, self.channels, self.noted):
            by_file.pop(file, None)

    def format(self) -> str:
        lines = [
            f"{self.files} file(s), {self.windows} window(s), {self.audio_s:.1f} s of audio in "
            f"{self.elapsed_s:.1f} s (real-time factor {self.real_time_factor:.3f})"
        ]
        if duplicates := self.skipped.files[("predict", "duplicate")]:
            lines.append(f"{duplicates} path(s) named a file already listed (given twice, or a link to it): read once")
        if self.not_audio:
            lines.append(
                f"{len(self.not_audio)} file(s) below the folders are not audio (by content) and were not read: "
                f"{some_files(self.not_audio, self.named)}"
            )
        if self.no_window:
            lines.append(
                f"{len(self.no_window)} file(s) gave no window ({no_window_reason(self.min_window_s)}): "
                f"{some_files(self.no_window, self.named)}"
            )
        if self.silent:
            lines.append(
                f"{len(self.silent)} file(s) are silent (peak at most {SILENT_PEAK_DBFS:.0f} dBFS): their scores "
                f"mean nothing, no label is predicted: {some_files(self.silent, self.named)}"
            )
        silent_files = set(self.silent)
        if windows := [
            f"{file} {start:g}-{end:g} s" for file, start, end in self.silent_windows if file not in silent_files
        ]:
            lines.append(
                f"{len(windows)} window(s) of files with sound elsewhere are silent (peak at most "
                f"{SILENT_PEAK_DBFS:.0f} dBFS): their scores mean nothing, no label is predicted (--segment vad leaves such stretches "
                f"out): {some_files(windows, self.named)}"
            )
        if self.upsampled:
            lines.append(
                f"{len(self.upsampled)} file(s) recorded below the model's {self.model_rate_hz} Hz (lowest "
                f"{min(self.upsampled.values())} Hz) were upsampled: they lack the upper band of audio recorded at "
                f"{self.model_rate_hz} Hz, so their scores may be less accurate where the model was trained on audio "
                "with that band (a model records no sample rate of the clips it trained on, its train_manifest.txt "
                f"their ids alone: whether it heard such audio is not known here): "
                f"{some_files(list(self.upsampled), self.named)}"
            )
        lines += self._doubtful_lines()
        if self.partial:
            lines.append(
                f"{len(self.partial)} skipped file(s) failed part-way: the rows of their first windows are in the "
                f"output: {some_files(self.partial, self.named)}"
            )
        if self.noted:
            lines.append(self._noted_line())
        if self.skipped:
            lines.append(self.skipped.format(corpus_column=False))
        return "\n".join(lines)

    def _noted_line(self) -> str:
        """How many files carry notes in their rows' ``file_notes``; where more are noted than are named
        here (``--output``: the first few), how many are named and where the others are (the output's column)."""
        noted = len(self.noted)
        keep = (
            "their labels are kept, to be doubted, not acted on; keep the rows whose file_notes is empty to act on "
            "clean files only"
        )
        if noted <= self.named:
            return (
                f"{noted} file(s) named above have their notes in every row of theirs, column file_notes (empty for "
                f"the others): {keep}: {some_files(list(self.noted), self.named)}"
            )
        return (
            f"{noted} file(s) have notes in every row of theirs, column file_notes (empty for the others): {keep}; "
            f"{self.named} named here, {noted - self.named} more in column file_notes of {self.output or 'the output'}: "
            f"{some_files(list(self.noted), self.named)}"
        )

    def _doubtful_lines(self) -> list[str]:
        """The closing lines on files read whole whose level or length makes their scores doubtful:
        too short, at a noise floor, hard-clipped, mixed down from channels that differ or cancel, or not
        measured for clipping."""
        lines = []
        if self.short:
            lines.append(
                f"{len(self.short)} file(s) last under {self.short_below_s:g} s, the shortest stretch of voice "
                "--segment vad scores: a moment of sound, too short to carry an emotion, so their scores say little: "
                f"{some_files([f'{file} ({duration_s:.3f} s)' for file, duration_s in self.short.items()], self.named)}"
            )
        if self.quiet:
            quietest = sorted(self.quiet.items(), key=lambda item: item[1])
            lines.append(
                f"{len(self.quiet)} file(s) peak below {QUIET_PEAK_DBFS:.0f} dBFS, far below speech (as `prepare` notes "
                "a clip): most likely only a noise floor (a muted or unplugged microphone), which the model hears "
                "scaled up to the level of speech, so their labels may be the noise's: listen to them; quietest "
                f"first: {some_files([f'{file} ({peak:.0f} dBFS)' for file, peak in quietest], self.named)}"
            )
        if self.clipped:
            most = sorted(self.clipped.items(), key=lambda item: -item[1])
            lines.append(
                f"{len(self.clipped)} file(s) are hard-clipped ({CLIP_RUN_SAMPLES}+ consecutive samples at full scale, "
                "as `prepare` counts a clip; column file_clipped: the fraction of the file's samples): clipping "
                "distorts a voice, so their scores may reflect the distortion as well as the emotion; most clipped "
                f"first: {some_files([f'{file} ({clipped_percent(fraction)})' for file, fraction in most], self.named)}"
            )
        if self.channels:
            mixed = [f"{file} ({'; '.join(notes)})" for file, notes in self.channels.items()]
            lines.append(
                f"{len(self.channels)} file(s) of several channels were mixed down to mono though their channels "
                "hold different signals (two voices in every window, where a label is of one) or cancel (a "
                "near-silent mix), as warned above, so their scores may be of neither voice: "
                f"{some_files(mixed, self.named)}"
            )
        if self.clipping_unmeasured:
            lines.append(
                f"{len(self.clipping_unmeasured)} file(s) were not measured for clipping (lossy or companded audio, "
                "MP3, MP4/AAC, µ-law, has no exact full scale; file_clipped left empty): "
                f"{some_files(self.clipping_unmeasured, self.named)}"
            )
        return lines

    def name_every_file(self) -> None:
        """Every file of each list named in :meth:`format` (``bimotion predict`` without ``--output``,
        where no file beside it lists them), not the first few."""
        lists = (self.not_audio, self.no_window, self.silent, self.silent_windows, self.quiet, self.short,
                 self.upsampled, self.clipped, self.clipping_unmeasured, self.channels, self.partial, self.noted)  # fmt: skip
        self.named = max(self.named, *map(len, lists))
        self.skipped.max_examples = max([self.skipped.max_examples, *self.skipped.counts.values()])
