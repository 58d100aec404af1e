"""Emotion predictions on audio files and folders, window by window, in bounded memory.

>>> from bimotion.predict import predict_files
>>> for row in predict_files("results/eng_eld", ["recordings/"], window_s=4.0, hop_s=2.0):
...     print(row.file, row.start_s, row.end_s, row.predicted, row.scores)

Files are found and decoded as a stream (:mod:`bimotion.predict.audio`), each twice: a first decode
measures its length, level and clipping (what every one of its rows carries, ``file_clipped`` and
``file_notes``, and where it is clipped, each row's own ``clipped``: :mod:`bimotion.predict.clipping`),
then a second is cut into windows
(:mod:`bimotion.predict.windows`: fixed with overlap, or voice-activity segments), scored in batches by
the checkpoint (:mod:`bimotion.predict.model`, the forward pass of
:func:`bimotion.training.inference.batch_logits`) and returned as :class:`WindowPrediction` rows
(:mod:`bimotion.predict.output` writes them as CSV or JSON Lines) as they are scored.  A label is predicted when its
logit is above ``threshold``'s (its sigmoid score above ``threshold``), as scoring counts it
(:func:`bimotion.training.f1.present`; the rows show the scores to 6 decimals, and a logit of 1e-20, whose
float64 score is exactly 0.5, is present at 0.5); a model only ever reports the labels it was trained on.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Iterable, Iterator

import numpy as np

from bimotion.training.f1 import logit_cut, present, sigmoid
from loaders.errors import CorpusError
from loaders.levels import QUIET_PEAK_DBFS, SILENT_PEAK_DBFS, peak_dbfs

from .audio import AudioSource, OptionError, PredictError, audio_blocks, find_audio, without_ffmpeg
from .clipping import ClipTrack
from .labels import parse_label_map
from .model import Predictor, check_source, load_predictor, training_notes
from .output import RowWriter, WindowPrediction, check_excel, output_format
from .report import PredictReport
from .windows import Windowing, window_count, windows

__all__ = [
    "OptionError",
    "PredictError",
    "PredictReport",
    "Predictions",
    "Predictor",
    "RowWriter",
    "WindowPrediction",
    "Windowing",
    "check_excel",
    "load_predictor",
    "output_format",
    "parse_label_map",
    "predict_files",
    "window_count",
]


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
    try:
        logit_cut(threshold)  # strictly in (0, 1), as scoring's threshold
    except ValueError as err:
        raise OptionError(str(err)) from err
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
    report.named_trained, notes = training_notes(predictor.source, sources)
    return Predictions(
        predictor, report, _rows(predictor, sources, how, threshold, batch_size, progress, skip_bad, report), notes
    )


class Predictions(Iterator[WindowPrediction]):
    """The rows of :func:`predict_files`, consumed once; ``predictor.labels`` are the score columns,
    ``report`` counts what was read so far, and ``notes`` are what a user should know of these inputs
    (files named as clips the model trained on), printed by the command beside the model's."""

    def __init__(
        self, predictor: Predictor, report: PredictReport, rows: Iterator[WindowPrediction], notes: list[str] = ()
    ):
        self.predictor = predictor
        self.report = report
        self._rows = rows
        self.notes = list(notes)

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
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of audio [{elapsed}<{remaining}, {rate_fmt}]",
    )
    started = time.perf_counter()
    try:
        batch: list[tuple] = []
        for window in _windows(sources, predictor, how, bar, skip_bad, report):
            batch.append(window)
            if len(batch) == batch_size:
                yield from _score(predictor, batch, threshold, report)
                batch = []
        if batch:
            yield from _score(predictor, batch, threshold, report)
        bar.n = bar.total = report.audio_s  # headers' durations may differ from the decoded ones by a few samples
    finally:
        bar.close()
        report.elapsed_s = time.perf_counter() - started


@dataclasses.dataclass
class _Measured:
    """What a first decode of a file found: its windows, length, clipping, level, and where it failed."""

    windows: int = 0
    duration_s: float = 0.0
    clipped: float | None = None
    track: ClipTrack | None = None  # where it is clipped: each window's fraction; None where not measured
    level: _Level | None = None
    error: CorpusError | None = None
    channels: list = dataclasses.field(default_factory=list)  # what its channels were warned of: ChannelFinding


def _measure(source: AudioSource, rate: int, how: Windowing, min_samples: int) -> _Measured:
    """A first decode of ``source`` (no scoring: decoding is a small part of a model's time), so that every
    row of the file carries its clipping and notes as it is scored, rather than waiting for the end of the
    file; its warnings (a level beyond full scale, a damaged MP3) are given here, once."""
    level, track, samples = _Level(), ClipTrack(source.info.subtype, source.info.sample_rate_hz), 0
    found = _Measured(level=level)

    def levelled(blocks):
        nonlocal samples
        for block in blocks:
            samples += len(block)
            level.add(block)
            yield block

    try:
        blocks = audio_blocks(source, rate, meter=track, findings=found.channels)
        for _ in windows(levelled(blocks), rate, how, min_samples):
            found.windows += 1
    except CorpusError as err:
        found.error = err
    found.duration_s, found.clipped = samples / rate, track.fraction if found.error is None else None
    found.track = track if found.clipped is not None else None
    return found


def _windows(
    sources: list[AudioSource], predictor: Predictor, how: Windowing, bar, skip_bad: bool, report: PredictReport
):
    """``(file name, start sample, samples, its file's clipped fraction, where it is clipped, its notes)`` of
    every window: each file is measured first (:func:`_measure`: its clipped fraction and where,
    :class:`~.clipping.ClipTrack`, None where not measured; :meth:`PredictReport.file_notes`), then decoded again and windowed, so its rows come as
    they are scored; a file that fails while decoding is raised, or with ``skip_bad`` counted (the windows
    before the failure are scored, noted as such; one that fails before any is left out of the report's
    lists of files: :meth:`PredictReport.unscored`)."""
    rate = predictor.sample_rate_hz

    def counted(blocks: Iterable[np.ndarray]):
        for block in _quiet(blocks):  # its warnings were given by the first decode
            step = len(block) / rate
            report.audio_s += step
            if bar.total is not None and bar.n + step > bar.total:  # headers' durations can run a little short
                bar.total = bar.n + step
            bar.update(step)
            yield block

    for source in sources:
        found = _measure(source, rate, how, predictor.min_samples)
        if found.error is not None and not skip_bad:
            raise found.error
        _account(source, found, how, rate, report)
        clipped, notes, decoded_s, failed = found.clipped, report.file_notes(source.name), report.audio_s, found.error
        track = found.track
        given = 0  # windows of it given to be scored: its rows
        try:
            if found.windows:  # a file with none (too short, failed at once) is not decoded again
                blocks = audio_blocks(source, rate, channels=False)  # the first decode measured its channels
                for start, samples in windows(counted(blocks), rate, how, predictor.min_samples):
                    given += 1
                    yield source.name, start, samples, clipped, track, notes
        except CorpusError as err:
            if not skip_bad:
                raise
            if failed is None:  # it failed only now (changed since it was measured): its first rows are out
                failed = err
                report.skipped.add("predict", err)
                report.files -= 1
                report.partial[source.name] = (err.reason, round(report.audio_s - decoded_s, 3))
        if failed is not None and not given:  # skipped before any row of it: neither part-way nor doubtful
            report.unscored(source.name)
        if failed is not None:  # the bar ends full, at the audio predicted
            bar.total = max(bar.n, bar.total - max(0.0, source.info.duration_s - (report.audio_s - decoded_s)))


def _account(source: AudioSource, found: _Measured, how: Windowing, rate: int, report: PredictReport) -> None:
    """The report's account of a measured file: skipped (failed, with ``skip_bad``) or what makes its scores
    doubtful (:class:`PredictReport`), before any of its rows is given."""
    count = found.windows
    if found.error is not None:
        report.skipped.add("predict", found.error)
        report.files -= 1  # counted as skipped, not as read
        if count:
            report.partial[source.name] = (found.error.reason, round(found.duration_s, 3))
        return
    if count and source.info.sample_rate_hz < rate:  # a file with no window has no scores to doubt
        report.upsampled[source.name] = source.info.sample_rate_hz
    if count and found.clipped:
        report.clipped[source.name] = found.clipped
    elif count and found.clipped is None:
        report.clipping_unmeasured.append(source.name)
    if count and found.channels:
        report.channels[source.name] = tuple(finding.note for finding in found.channels)
    report.short_below_s = how.vad_min_speech_s
    if count and found.duration_s < how.vad_min_speech_s:
        report.short[source.name] = found.duration_s
    if not count:
        report.no_window.append(source.name)
    elif (peak := peak_dbfs(np.array([found.level.peak_around_mean]))) <= SILENT_PEAK_DBFS:
        report.silent.append(source.name)
    elif peak < QUIET_PEAK_DBFS:
        report.quiet[source.name] = peak


def _quiet(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """``blocks`` with the warnings raised while each is made ignored (a second decode of a file), and never
    across a ``yield``, so that the caller's own warnings are left as they are."""
    blocks = iter(blocks)
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            block = next(blocks, None)
        if block is None:
            return
        yield block


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
    logits = predictor.logits([samples for _, _, samples, *_ in batch])
    scores, passed = sigmoid(logits), present(logits, threshold)
    for (name, start, samples, clipped, track, notes), row, above in zip(batch, scores, passed, strict=True):
        report.windows += 1
        rounded = {label: round(float(s), 6) for label, s in zip(predictor.labels, row, strict=True)}
        start_s, end_s = round(start / rate, 3), round((start + len(samples)) / rate, 3)
        silent = bool(peak_dbfs(samples, remove_dc=True) <= SILENT_PEAK_DBFS)  # as a silent file: scored, and said so
        if silent:
            report.silent_windows.append((name, start_s, end_s))
        # nothing to hear, nothing predicted: an application acting on ``predicted`` does not act on a pause;
        # decided on the logit, as scoring reads it (logits > 0 at 0.5): a logit of -1e-6 shows as 0.5 and is
        # absent, one of 1e-20 (score exactly 0.5) present, one of exactly 0 absent
        predicted = () if silent else tuple(label for label, a in zip(predictor.labels, above, strict=True) if a)
        window_clipped = None if track is None else track.between(start / rate, (start + len(samples)) / rate)
        yield WindowPrediction(
            name,
            start_s,
            end_s,
            rounded,
            predicted,
            silent,
            file_clipped=clipped,
            file_notes=notes,
            clipped=window_clipped,
        )
