"""Emotion predictions on audio files and folders, window by window, in bounded memory.

>>> from bimotion.predict import predict_files
>>> for row in predict_files("results/eng_eld", ["recordings/"], window_s=4.0, hop_s=2.0):
...     print(row.file, row.start_s, row.end_s, row.predicted, row.scores)

Files are found and decoded as a stream (:mod:`bimotion.predict.audio`), cut into windows
(:mod:`bimotion.predict.windows`: fixed with overlap, or voice-activity segments), scored in batches by
the checkpoint (:mod:`bimotion.predict.model`, the forward pass of
:func:`bimotion.training.inference.batch_logits`) and returned as :class:`WindowPrediction` rows
(:mod:`bimotion.predict.output` writes them as CSV or JSON Lines).  A label is predicted when its
sigmoid score is at least ``threshold``; a model only ever reports the labels it was trained on.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from loaders.errors import BadFileError, CorpusError, SkipReport, some_files
from loaders.levels import CLIP_RUN_SAMPLES, QUIET_PEAK_DBFS, SILENT_PEAK_DBFS, ClipMeter, peak_dbfs

from .audio import AudioSource, OptionError, PredictError, audio_blocks, find_audio, without_ffmpeg
from .model import Predictor, check_source, load_predictor, parse_label_map
from .output import RowWriter, WindowPrediction, output_format
from .windows import MIN_WINDOW_S, Windowing, window_count, windows

__all__ = [
    "OptionError",
    "PredictError",
    "PredictReport",
    "Predictions",
    "Predictor",
    "RowWriter",
    "WindowPrediction",
    "Windowing",
    "load_predictor",
    "output_format",
    "parse_label_map",
    "predict_files",
    "window_count",
]


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
    partial: list[str] = field(default_factory=list)  # failed part-way: skipped, their first windows already given
    silent: list[str] = field(default_factory=list)  # scored, but with nothing to hear (loaders.levels)
    silent_windows: list[tuple[str, float, float]] = field(default_factory=list)  # (file, start_s, end_s): the same
    quiet: dict[str, float] = field(default_factory=dict)  # file -> its peak (dBFS), below QUIET_PEAK_DBFS, not silent
    upsampled: dict[str, int] = field(default_factory=dict)  # file -> its rate, below the model's: no upper band
    clipped: dict[str, float] = field(default_factory=dict)  # file -> its hard-clipped fraction, where above 0
    clipping_unmeasured: list[str] = field(default_factory=list)  # lossy or companded: no exact full scale
    model_rate_hz: int = 0
    min_window_s: float = MIN_WINDOW_S  # the model's receptive field: a file shorter gives no window
    skipped: SkipReport = field(default_factory=SkipReport)
    named: int = 3  # files each list below names, the rest counted (bimotion predict: all, without --output)

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
        if self.quiet:
            quietest = sorted(self.quiet.items(), key=lambda item: item[1])
            lines.append(
                f"{len(self.quiet)} file(s) peak below {QUIET_PEAK_DBFS:.0f} dBFS, far below speech (as `prepare` notes "
                "a clip): most likely only a noise floor (a muted or unplugged microphone), which the model hears "
                "scaled up to the level of speech, so their labels may be the noise's: listen to them; quietest "
                f"first: {some_files([f'{file} ({peak:.0f} dBFS)' for file, peak in quietest], self.named)}"
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
                f"{self.model_rate_hz} Hz, so their scores may be less accurate (unless the model was trained on such "
                f"audio): {some_files(list(self.upsampled), self.named)}"
            )
        if self.clipped:
            most = sorted(self.clipped.items(), key=lambda item: -item[1])
            lines.append(
                f"{len(self.clipped)} file(s) are hard-clipped ({CLIP_RUN_SAMPLES}+ consecutive samples at full scale, "
                "as `prepare` counts a clip; column file_clipped: the fraction of the file's samples): clipping "
                "distorts a voice, so their scores may reflect the distortion as well as the emotion; most clipped "
                f"first: {some_files([f'{file} ({fraction:.2%})' for file, fraction in most], self.named)}"
            )
        if self.clipping_unmeasured:
            lines.append(
                f"{len(self.clipping_unmeasured)} file(s) were not measured for clipping (lossy or companded audio, "
                "MP3, MP4/AAC, µ-law, has no exact full scale; file_clipped left empty): "
                f"{some_files(self.clipping_unmeasured, self.named)}"
            )
        if self.partial:
            lines.append(
                f"{len(self.partial)} skipped file(s) failed part-way: the rows of their first windows are in the "
                f"output: {some_files(self.partial, self.named)}"
            )
        if self.skipped:
            lines.append(self.skipped.format())
        return "\n".join(lines)


def predict_files(
    model: str | os.PathLike | Predictor,
    paths,
    *,
    threshold: float = 0.5,
    batch_size: int = 8,
    label_map: str | None = None,
    windowing: Windowing | None = None,
    progress: bool = True,
    skip_bad: bool = False,
    report: PredictReport | None = None,
    **window_options,
) -> Predictions:
    """Rows of every window of every audio file in ``paths`` (files or folders), file by file in
    sorted order, windows in time order.  ``model`` is a folder, a Hub id or a loaded
    :class:`Predictor`; ``window_options`` are :class:`Windowing` fields (``window_s``, ``hop_s``,
    ``segment="vad"`` …).  The options are checked, the files found (their headers read), FFmpeg looked
    for where a file needs it, and then the model loaded before this returns; decoding and scoring
    happen as the rows are consumed, and ``report`` is filled in as they are."""
    if not 0.0 <= threshold <= 1.0:
        raise OptionError(f"threshold must be in [0, 1], not {threshold}")
    if batch_size < 1:
        raise OptionError(f"batch_size must be at least 1, not {batch_size}")
    try:
        how = windowing or Windowing(**window_options)
    except (TypeError, ValueError) as err:
        raise OptionError(str(err)) from err
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    report = report if report is not None else PredictReport()
    if not isinstance(model, Predictor):
        check_source(str(model))  # a wrong --model is named before any audio file is read
    sources, report.not_audio = find_audio(list(paths), skip_bad=skip_bad, report=report.skipped)
    sources = without_ffmpeg(sources, skip_bad=skip_bad, report=report.skipped)  # before the model loads
    if not sources:
        listed = ", ".join(map(str, paths))
        raise PredictError(f"no readable audio file in {listed}: every audio file was skipped, nothing predicted")
    report.files = len(sources)
    predictor = model if isinstance(model, Predictor) else load_predictor(model, label_map=label_map, progress=progress)
    if round(how.window_s * predictor.sample_rate_hz) < predictor.min_samples:
        raise OptionError(
            f"window_s must be at least {predictor.min_samples / predictor.sample_rate_hz:g} s for {predictor.source} "
            f"(its receptive field, {predictor.min_samples} samples), not {how.window_s}"
        )
    return Predictions(
        predictor, report, _rows(predictor, sources, how, threshold, batch_size, progress, skip_bad, report)
    )


class Predictions(Iterator[WindowPrediction]):
    """The rows of :func:`predict_files`, consumed once; ``predictor.labels`` are the score columns
    and ``report`` counts what was read so far."""

    def __init__(self, predictor: Predictor, report: PredictReport, rows: Iterator[WindowPrediction]):
        self.predictor = predictor
        self.report = report
        self._rows = rows

    @property
    def labels(self) -> list[str]:
        return self.predictor.labels

    def __next__(self) -> WindowPrediction:
        return next(self._rows)

    def close(self) -> None:
        """Stop early: ends the decoding (and any FFmpeg process) now rather than at garbage collection."""
        self._rows.close()


def _rows(predictor: Predictor, sources, how, threshold, batch_size, progress, skip_bad, report):
    from tqdm.auto import tqdm

    from bimotion.console import stage_bar_options

    rate = report.model_rate_hz = predictor.sample_rate_hz
    report.min_window_s = predictor.min_samples / rate
    total_s = sum(source.info.duration_s for source in sources)
    bar = tqdm(
        total=total_s,
        desc="predict",
        unit=" audio-s",
        disable=not progress,
        **stage_bar_options(),
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}, {rate_fmt}]",
    )
    started = time.perf_counter()
    # a file's rows wait for the end of its decode, which measures its clipping (a few bytes per window)
    pending: collections.deque[WindowPrediction] = collections.deque()
    ended: dict[str, float | None] = {}  # file -> its clipped fraction, once decoded to its end (or failed)

    def ready() -> Iterator[WindowPrediction]:
        while pending and pending[0].file in ended:
            row = pending.popleft()
            yield dataclasses.replace(row, file_clipped=ended[row.file])

    try:
        batch: list[tuple[str, int, np.ndarray]] = []
        for name, start, samples in _windows(sources, predictor, how, bar, skip_bad, report):
            if start is None:  # the file's end: ``samples`` is its clipped fraction
                ended[name] = samples
                yield from ready()
                continue
            batch.append((name, start, samples))
            if len(batch) == batch_size:
                pending.extend(_score(predictor, batch, threshold, report))
                yield from ready()
                batch = []
        if batch:
            pending.extend(_score(predictor, batch, threshold, report))
        yield from ready()
        bar.n = bar.total = report.audio_s  # headers' durations may differ from the decoded ones by a few samples
    finally:
        bar.close()
        report.elapsed_s = time.perf_counter() - started


def _windows(
    sources: list[AudioSource], predictor: Predictor, how: Windowing, bar, skip_bad: bool, report: PredictReport
):
    """``(file name, start sample, samples)`` of every window, and after a file's windows ``(file name,
    None, its clipped fraction)`` (:class:`loaders.levels.ClipMeter`; None where not measured); a file that
    fails while decoding is raised, or with ``skip_bad`` counted (windows it already gave stay)."""

    rate = predictor.sample_rate_hz
    level = _Level()  # of the file being read

    def counted(blocks: Iterable[np.ndarray]):
        for block in blocks:
            step = len(block) / rate
            report.audio_s += step
            if bar.total is not None and bar.n + step > bar.total:  # headers' durations can run a little short
                bar.total = bar.n + step
            bar.update(step)
            level.add(block)
            yield block

    for source in sources:
        count, level, decoded_s, meter = 0, _Level(), report.audio_s, ClipMeter(source.info.subtype)
        try:
            blocks = counted(audio_blocks(source, rate, meter=meter))
            for start, samples in windows(blocks, rate, how, predictor.min_samples):
                count += 1
                yield source.name, start, samples
        except CorpusError as err:
            if not skip_bad:
                raise
            yield source.name, None, None  # its first windows' rows go out, not measured to its end
            report.skipped.add("predict", err)
            report.files -= 1  # counted as skipped, not as read
            unread_s = source.info.duration_s - (report.audio_s - decoded_s)
            bar.total = max(bar.n, bar.total - max(0.0, unread_s))  # the bar ends full, at the audio predicted
            if count:
                report.partial.append(source.name)
            continue
        if count and source.info.sample_rate_hz < rate:  # a file with no window has no scores to doubt
            report.upsampled[source.name] = source.info.sample_rate_hz
        yield source.name, None, meter.fraction
        if count and meter.fraction:
            report.clipped[source.name] = meter.fraction
        elif count and meter.fraction is None:
            report.clipping_unmeasured.append(source.name)
        if not count:
            report.no_window.append(source.name)
        elif (peak := peak_dbfs(np.array([level.peak_around_mean]))) <= SILENT_PEAK_DBFS:
            report.silent.append(source.name)
        elif peak < QUIET_PEAK_DBFS:
            report.quiet[source.name] = peak


class _Level:
    """A streamed file's peak around its mean, as the readers measure silence (a constant offset,
    a DC-coupled input, is no signal): its sum, lowest and highest sample."""

    def __init__(self):
        self.total, self.n, self.low, self.high = 0.0, 0, np.inf, -np.inf

    def add(self, block: np.ndarray) -> None:
        if len(block):
            self.total += float(np.sum(block, dtype=np.float64))
            self.n += block.size
            self.low, self.high = min(self.low, float(np.min(block))), max(self.high, float(np.max(block)))

    @property
    def peak_around_mean(self) -> float:
        if not self.n:
            return 0.0
        mean = self.total / self.n
        return max(self.high - mean, mean - self.low)


def _score(predictor: Predictor, batch, threshold: float, report: PredictReport) -> Iterator[WindowPrediction]:
    rate = predictor.sample_rate_hz
    scores = predictor.scores([samples for _, _, samples in batch])
    for (name, start, samples), row in zip(batch, scores, strict=True):
        report.windows += 1
        rounded = {label: round(float(s), 6) for label, s in zip(predictor.labels, row, strict=True)}
        start_s, end_s = round(start / rate, 3), round((start + len(samples)) / rate, 3)
        silent = bool(peak_dbfs(samples, remove_dc=True) <= SILENT_PEAK_DBFS)  # as a silent file: scored, and said so
        if silent:
            report.silent_windows.append((name, start_s, end_s))
        # nothing to hear, nothing predicted: an application acting on ``predicted`` does not act on a pause
        predicted = () if silent else tuple(label for label, s in rounded.items() if s >= threshold)
        yield WindowPrediction(
            file=name, start_s=start_s, end_s=end_s, scores=rounded, predicted=predicted, silent=silent
        )
