"""What a stage bar writes into a log file (quiet output, stderr no terminal): a line when it starts,
then at most one line per LOG_BAR_INTERVAL_S, and a last line when it closes.  Driven with an injected
clock and tqdm's real monitor thread, stepped one pass at a time (tqdm's own hook for its tests,
``TMonitor._test``): no sleeps, no timed asserts."""

from __future__ import annotations

import re
import threading
from types import SimpleNamespace

import pytest

ELAPSED = re.compile(r"\[(\d+):(\d+)<")  # tqdm's "[01:35<06:44, ...": the elapsed time of a bar line


class Clock:
    """The bar's and the monitor's time, moved by the test."""

    def __init__(self):
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


class SteppedMonitor:
    """tqdm's monitor sleeps on an Event between passes; this one lets it take one pass when the test
    says (:meth:`one_pass`), and returns once the pass is done (the monitor is asleep again)."""

    def __init__(self):
        self._go, self._asleep = threading.Semaphore(0), threading.Semaphore(0)
        self._killed = False

    def __call__(self):  # TMonitor builds its Event by calling this
        return self

    def wait(self, timeout=None) -> bool:
        self._asleep.release()
        self._go.acquire()
        return self._killed

    def is_set(self) -> bool:
        return self._killed

    def set(self) -> None:
        self._killed = True
        self._go.release()

    def one_pass(self) -> None:
        self._go.release()
        if not self._asleep.acquire(timeout=60):  # a hang, not a timing: the monitor never slept again
            raise RuntimeError("tqdm's monitor did not finish its pass")


@pytest.fixture
def stepped_monitor(monkeypatch):
    """tqdm's monitor thread on the test's clock, taking a pass only when the test says; the running
    monitors (real time) stopped first, so none redraws the test's bars on its own."""
    from tqdm import _monitor, std

    def classes(cls):
        yield cls
        for sub in cls.__subclasses__():
            yield from classes(sub)

    for cls in classes(std.tqdm):
        if (running := cls.__dict__.get("monitor")) is not None:
            running.exit()  # a later bar starts a fresh one (tqdm does when its monitor is stopped)
    clock, monitor = Clock(), SteppedMonitor()
    monkeypatch.setitem(_monitor.TMonitor._test, "time", clock)
    monkeypatch.setitem(_monitor.TMonitor._test, "Event", monitor)
    yield clock, monitor
    for cls in classes(std.tqdm):
        if (ours := cls.__dict__.get("monitor")) is not None and ours.was_killed is monitor:
            ours.exit()


def bar_lines_elapsed_s(err: str) -> list[int]:
    return [int(m) * 60 + int(s) for m, s in ELAPSED.findall(err)]


def test_a_training_bar_in_a_log_writes_at_most_a_line_per_interval(monkeypatch, capfd, stepped_monitor):
    """A 20-minute run into train.log got 56 bar lines, not ~40: two 0-4 s apart around many 30 s
    marks (01:35 and 01:36).  When steps slowed, tqdm's monitor (every 10 s) redrew the bar once its
    last line was 30 s old, without restarting that 30 s, so the next step wrote another line.  Now a
    stage bar in a log checks the time at every update (miniters 1) and the monitor leaves it be: a
    first line, at most a line per LOG_BAR_INTERVAL_S, and a last line."""
    from bimotion import console
    from bimotion.console import LOG_BAR_INTERVAL_S
    from bimotion.training.progress import CompactProgress

    clock, monitor = stepped_monitor
    monkeypatch.setattr(console, "_quiet", True)  # an entry point's output, into a file (pytest's)
    progress = CompactProgress()
    state = SimpleNamespace(is_world_process_zero=True, max_steps=300, global_step=0, epoch=0, log_history=[])
    progress.on_train_begin(None, state, None)
    bar = progress.training_bar
    bar._time = clock  # tqdm's clock (its own tests inject theirs so)
    bar.start_t = bar.last_print_t = clock()
    monitor.one_pass()  # the monitor's first pass: it starts with the bar

    # 1 s a step for 100 steps, then a loaded machine: 7 s a step; the monitor wakes every 10 s
    next_pass_s = clock.now_s + 10
    for step in range(1, state.max_steps + 1):
        clock.now_s += 1.0 if step <= 100 else 7.0
        while next_pass_s <= clock.now_s:
            monitor.one_pass()
            next_pass_s += 10
        state.global_step = step
        progress.on_step_end(None, state, None)
        if step % 100 == 0:  # an evaluation's line, on the bar's stream
            logs = {"eval_loss": 1.0, "epoch": step / 100}
            progress.on_log(None, state, None, logs=logs)
    progress.on_train_end(None, state, None)

    elapsed_s = bar_lines_elapsed_s(capfd.readouterr().err)
    total_s = 100 + 200 * 7
    assert elapsed_s[0] == 0 and elapsed_s[-1] == total_s, elapsed_s  # a first line, a last line
    gaps_s = [b - a for a, b in zip(elapsed_s[:-1], elapsed_s[1:-1])]  # between the lines before the last
    assert gaps_s and min(gaps_s) >= LOG_BAR_INTERVAL_S, elapsed_s
    assert max(gaps_s) <= LOG_BAR_INTERVAL_S + 7, elapsed_s  # none left out: the first step after 30 s writes
    assert len(elapsed_s) <= total_s // LOG_BAR_INTERVAL_S + 2, elapsed_s
