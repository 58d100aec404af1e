"""Training throughput in audio-seconds per second: our pipeline against the common-example baseline.

    python bench/bench_train.py                       # CPU, small wav2vec2: ours vs baseline, as a ratio
    python bench/bench_train.py --gpu                 # GPU, XLSR-53 architecture (random weights), bf16:
                                                      #   audio-s/s and model-FLOPs utilisation (MFU)
    python bench/bench_train.py --gpu --baseline      # … and the fp32 baseline on the GPU too
    python bench/bench_train.py --gpu --max_batch_duration_s 240 --pad_to_multiple_of 320 --compile

After the timed steps, ``--profile_steps`` more steps run with a phase clock (the device drained at
every boundary: data loading = waiting for the next batch, forward, backward, optimizer, other) and
``torch.profiler`` (its top operators printed; ``--trace DIR`` writes a Chrome trace).  ``--score``
also times bf16 inference (:func:`bimotion.training.inference.predict`) on the distinct clips.

*Ours*: stored FLAC bytes decoded with soundfile in the collator, length-grouped batches from the
``duration_s`` column, the masked loss, bf16 autocast on the GPU (fp32 on CPU).  *Baseline*, written
the way the ``transformers`` audio-classification example does it: the ``datasets`` ``Audio``
feature decoding every row (torchcodec; soundfile where torchcodec is not installed), a ``set_transform`` that random-crops and runs the feature
extractor, ``DataCollatorWithPadding``, random batches, fp32.  Both train the same model with the
same loss, batch size and crop length on the same clips, whose durations follow BiMotion's mix
(mostly 1.5-4.5 s acted clips, a tail of long conversational ones); the random weights do not
matter for speed.

Audio-seconds count the real (unpadded) samples of every training batch after cropping; the clock
runs from the end of the warm-up steps to the end of the last step.  MFU = model FLOPs per second /
the GPU's dense bf16 peak, with the model FLOPs counted analytically for each batch's real clip
lengths: the frozen CNN forward plus 3x (forward + backward) the feature projection, positional
convolution, transformer layers (attention included) and head — about 100 GFLOP per audio-second
for XLSR-53.  Padding and recomputation are not counted as useful work.  The analytic count is
checked once per run against ``torch.utils.flop_counter`` on one real batch (which counts padded
frames too: it is compared with the analytic count of the padded batch), run in float32 4 clips at a
time and summed, so that the check's memory is that of 4 clips, not of the whole batch.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

SAMPLE_RATE_HZ = 16000
# dense bf16 peak FLOP/s by device name (no sparsity)
PEAK_BF16 = {
    "H100 PCIe": 756e12,
    "H100 NVL": 835e12,
    "H100": 989e12,
    "H200": 989e12,
    "GH200": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10": 125e12,
    "L4": 121e12,
}
# XLSR-53's feature encoder and layer layout (facebook/wav2vec2-large-xlsr-53), which both sizes share
_XLSR53_LAYOUT = dict(
    conv_stride=(5, 2, 2, 2, 2, 2, 2),
    conv_kernel=(10, 3, 3, 3, 3, 2, 2),
    conv_bias=True,
    feat_extract_norm="layer",
    do_stable_layer_norm=True,
    num_conv_pos_embedding_groups=16,
    mask_time_prob=0.05,
    layerdrop=0.0,
)
ARCHS = {
    # XLSR-53 without downloading it
    "xlsr53": dict(
        _XLSR53_LAYOUT,
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096,
        conv_dim=(512,) * 7,
        num_conv_pos_embeddings=128,
        feat_proj_dropout=0.1,
    ),
    # small enough for a CPU, shaped like it
    "small": dict(
        _XLSR53_LAYOUT,
        hidden_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=1024,
        conv_dim=(128,) * 7,
        num_conv_pos_embeddings=64,
    ),
}


# ---------------------------------------------------------------------------------------------- data
def bimotion_like_durations(n: int, rng: np.random.Generator) -> np.ndarray:
    """Clip durations in seconds resembling BiMotion's training mix (ESD/CREMA-D/TESS/CSED acted
    clips of a few seconds, IEMOCAP/ElderReact conversational clips with a long tail)."""
    kind = rng.choice(3, size=n, p=[0.75, 0.2, 0.05])
    acted = rng.uniform(1.5, 4.5, n)
    conversational = np.clip(rng.lognormal(np.log(4.0), 0.6, n), 0.6, 30.0)
    other = rng.uniform(3.0, 8.0, n)
    return np.where(kind == 0, acted, np.where(kind == 1, conversational, other))


def _row(args):
    i, duration_s, seed = args
    from bimotion.training.testing import synth_rows

    corpus, group = [("crema_d", "eng_adu"), ("esd", "zho_adu"), ("csed", "zho_eld"), ("tess", "eng_eld")][i % 4]
    row = synth_rows(corpus, group, "train", 1, duration_s=(duration_s, duration_s), seed=seed + i)[0]
    row["id"] = f"{row['id']}-{i}"
    return row


def make_rows(unique: int, total: int, seed: int = 0, workers: int = 1) -> list[dict]:
    rng = np.random.default_rng(seed)
    jobs = [(i, float(d), seed) for i, d in enumerate(bimotion_like_durations(unique, rng))]
    if workers > 1:
        with Pool(workers) as pool:
            rows = pool.map(_row, jobs)
    else:
        rows = [_row(job) for job in jobs]
    return [dict(rows[i % unique], id=f"{rows[i % unique]['id']}#{i}") for i in range(total)]


def ours_dataset(rows):
    from bimotion.training.testing import rows_dataset

    ds = rows_dataset(rows).select_columns(["audio", "id", "corpus", "group", "labels", "label_mask", "duration_s"])
    return ds.add_column("row", np.arange(len(ds)))


def baseline_decoder() -> str:
    """How the baseline decodes: ``torchcodec`` (the ``Audio`` feature, as the example does) where it
    is installed and loads; else ``soundfile`` per row inside the transform (datasets < 4 decoded that way; on a
    machine without FFmpeg/torchcodec, such as a bare GPU image), which is faster, so the ratio
    against ours only shrinks."""
    try:
        import torchcodec.decoders  # noqa: F401  (installed without its FFmpeg libraries, the import fails)
    except Exception:
        return "soundfile"
    return "torchcodec"


def baseline_dataset(rows, feature_extractor, max_duration_s: float):
    """As in transformers' examples/pytorch/audio-classification/run_audio_classification.py."""
    from datasets import Audio

    from bimotion.features import decode_audio_bytes
    from bimotion.training.testing import rows_dataset

    torchcodec = baseline_decoder() == "torchcodec"
    ds = rows_dataset(rows)
    if torchcodec:
        ds = ds.cast_column("audio", Audio(sampling_rate=SAMPLE_RATE_HZ))
    ds = ds.add_column("row", np.arange(len(ds)))
    rng = np.random.default_rng(0)

    def array(audio) -> np.ndarray:
        return audio["array"] if torchcodec else decode_audio_bytes(audio["bytes"])[0]

    def random_subsample(wav, max_length, sample_rate=SAMPLE_RATE_HZ):
        sample_length = int(round(sample_rate * max_length))
        if len(wav) <= sample_length:
            return wav
        offset = rng.integers(0, len(wav) - sample_length - 1)
        return wav[offset : offset + sample_length]

    def train_transforms(batch):
        wavs = [random_subsample(array(audio), max_length=max_duration_s) for audio in batch["audio"]]
        inputs = feature_extractor(wavs, sampling_rate=feature_extractor.sampling_rate)
        return {
            "input_values": inputs["input_values"],
            "attention_mask": inputs["attention_mask"],
            "labels": batch["labels"],
            "label_mask": batch["label_mask"],
            "row": batch["row"],
        }

    ds.set_transform(train_transforms)
    return ds


# ---------------------------------------------------------------------------------------------- FLOPs
def model_flops(config, lengths):
    """Training FLOPs of one batch of clips of ``lengths`` real samples (a list, or a tensor on any
    device: then a tensor, so that counting never waits for the GPU).  The CNN is frozen: forward only."""
    import torch

    t = torch.as_tensor(lengths, dtype=torch.float64)
    cnn, c_in = 0.0, 1
    for c_out, k, s in zip(config.conv_dim, config.conv_kernel, config.conv_stride):
        t = torch.clamp(torch.div(t - k, s, rounding_mode="floor") + 1, min=0)
        cnn = cnn + 2.0 * t.sum() * c_out * c_in * k
        c_in = c_out
    d, f, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_frame = (
        2 * config.conv_dim[-1] * d  # feature projection
        + 2 * d * (d // config.num_conv_pos_embedding_groups) * config.num_conv_pos_embeddings  # positional conv
        + layers * (2 * 4 * d * d + 2 * 2 * d * f)  # attention projections + feed-forward
        + 2 * d * config.classifier_proj_size  # projector
    )
    attention = layers * 2 * 2 * d * (t * t).sum()  # QK^T and AV, per clip over its own frames
    return cnn + 3.0 * (per_frame * t.sum() + attention)


def peak_flops(device_name: str, override_tflops: float | None) -> float | None:
    if override_tflops:
        return override_tflops * 1e12
    for key, value in PEAK_BF16.items():  # most specific names first
        if key in device_name:
            return value
    return None


# ---------------------------------------------------------------------------------------------- timing
def timed_trainer_class():
    import torch
    from transformers import TrainerCallback

    from bimotion.training.trainer import SERTrainer

    class Clock(TrainerCallback):
        """Wall clock at the end of the warm-up and of the last step (the GPU drained at both)."""

        def __init__(self, warmup: int, last: int):
            self.warmup, self.last, self.start, self.end, self.counted_at_start = warmup, last, None, None, None

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step not in (self.warmup, self.last):
                return
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            if state.global_step == self.warmup:
                self.start = time.perf_counter()
                self.counted_at_start = {k: float(v) for k, v in kwargs["model"].bench.items()}
            else:
                self.end = time.perf_counter()

    class TimedTrainer(SERTrainer):
        phases = None  # a Phases clock, switched on for the profiled steps

        def _mark(self, name):
            if self.phases is not None:
                self.phases.mark(name)

        def get_batch_samples(self, epoch_iterator, num_batches, device):
            self._mark("data loading")
            out = super().get_batch_samples(epoch_iterator, num_batches, device)
            self._mark("other")
            return out

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            self._mark("forward")
            out = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            self._mark("backward")  # what training_step does next
            return out

        def training_step(self, model, inputs, num_items_in_batch=None):
            mask = inputs["attention_mask"]  # counted on the device: no synchronisation
            bench = self.model.bench
            bench["audio_s"] = bench["audio_s"] + mask.sum() / SAMPLE_RATE_HZ
            bench["padded_s"] = bench["padded_s"] + mask.numel() / SAMPLE_RATE_HZ
            bench["flops"] = bench["flops"] + model_flops(self.model.config, mask.sum(-1))
            out = super().training_step(model, inputs, num_items_in_batch)
            self._mark("other")
            return out

    return TimedTrainer, Clock


class Phases:
    """Wall time per phase of a training step, the device drained at every boundary."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.current, self.since = None, None

    def mark(self, name: str) -> None:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
        now = time.perf_counter()
        if self.current is not None:
            self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
        self.current, self.since = name, now

    def shares(self) -> dict[str, float]:
        total = sum(self.seconds.values()) or 1.0
        return {k: v / total for k, v in sorted(self.seconds.items(), key=lambda kv: -kv[1])}


def profile_sort_key(events, device: bool) -> str:
    """The column the profiler's table is sorted by: self CPU time on a CPU; on a GPU self device time,
    ``self_device_time_total`` (torch 2.13's averaged events have no ``self_cuda_time_total`` at all: only
    its table's renaming of "cuda" to "device" kept the old name working), or ``self_cuda_time_total`` on
    an older torch whose events lack the new name."""
    if not device:
        return "self_cpu_time_total"
    if len(events) and not hasattr(events[0], "self_device_time_total"):
        return "self_cuda_time_total"
    return "self_device_time_total"


def profiler_callback(trainer, start_step: int, trace_dir: Path | None):
    """Phases and ``torch.profiler`` from ``start_step`` to the end of training."""
    import torch
    from transformers import TrainerCallback

    class Profile(TrainerCallback):
        profiler, table = None, None

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == start_step and trainer.phases is None:
                activities = [torch.profiler.ProfilerActivity.CPU]
                if torch.cuda.is_available():
                    activities.append(torch.profiler.ProfilerActivity.CUDA)
                self.profiler = torch.profiler.profile(activities=activities)
                self.profiler.__enter__()
                trainer.phases = Phases()
                trainer.phases.mark("other")

        def on_pre_optimizer_step(self, args, state, control, **kwargs):
            if trainer.phases is not None:
                trainer.phases.mark("optimizer")

        def on_optimizer_step(self, args, state, control, **kwargs):
            if trainer.phases is not None:
                trainer.phases.mark("other")

        def on_train_end(self, args, state, control, **kwargs):
            if self.profiler is None:
                return
            trainer.phases.mark("end")
            self.profiler.__exit__(None, None, None)
            events = self.profiler.key_averages()
            key = profile_sort_key(events, device=torch.cuda.is_available())
            self.table = events.table(sort_by=key, row_limit=12, max_name_column_width=60)
            if trace_dir is not None:
                trace_dir.mkdir(parents=True, exist_ok=True)
                self.profiler.export_chrome_trace(str(trace_dir / "trace.json"))

    return Profile()


def counted_flops(model, batch, chunk_clips: int = 4) -> float:
    """Forward + backward FLOPs of one batch by ``torch.utils.flop_counter`` (padded frames included),
    counted ``chunk_clips`` clips at a time and summed, so that the float32 check holds the activations
    of a few clips rather than of the whole batch (32 clips of up to 10 s of XLSR-53 on a GPU).  Every
    wav2vec2 op is per clip and each chunk keeps the batch's padded length, so the sum is the whole
    batch's count (tests/test_bench_flops.py)."""
    from torch.utils.flop_counter import FlopCounterMode

    from bimotion.training.loss import masked_bce

    if chunk_clips < 1:
        raise ValueError(f"counted_flops: chunk_clips must be at least 1 clip, got {chunk_clips}")
    names = ("input_values", "attention_mask", "labels", "label_mask")
    on_device = {k: batch[k].to(model.device) for k in names if k in batch}
    total = 0
    for start in range(0, len(on_device["input_values"]), chunk_clips):
        chunk = {k: v[start : start + chunk_clips] for k, v in on_device.items()}
        inputs = {k: v for k, v in chunk.items() if k in ("input_values", "attention_mask")}
        with FlopCounterMode(display=False) as counter:
            logits = model(**inputs).logits
            masked_bce(logits, chunk["labels"], chunk["label_mask"]).backward()
        model.zero_grad(set_to_none=True)
        total += counter.get_total_flops()
        del logits, chunk, inputs
    return float(total)


def run(pipeline: str, args, rows, out_dir: Path) -> dict:
    import torch
    from transformers import DataCollatorWithPadding, Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    from bimotion.training.collator import AudioCollator
    from bimotion.training.model import build_model
    from bimotion.training.training_args import SERTrainingArguments

    ckpt = out_dir / f"random-{args.arch}"
    if not ckpt.exists():
        torch.manual_seed(0)
        Wav2Vec2Model(Wav2Vec2Config(**ARCHS[args.arch])).save_pretrained(ckpt)
        Wav2Vec2FeatureExtractor(
            feature_size=1,
            sampling_rate=SAMPLE_RATE_HZ,
            padding_value=0.0,
            do_normalize=True,
            return_attention_mask=True,
        ).save_pretrained(ckpt)
    model, fe = build_model(str(ckpt), attn_implementation=args.attn_implementation)
    model.bench = {"audio_s": 0.0, "padded_s": 0.0, "flops": 0.0}
    ours = pipeline == "ours"
    training_args = SERTrainingArguments(
        output_dir=str(out_dir / pipeline),
        max_steps=args.warmup + args.steps + (args.profile_steps if ours else 0),
        per_device_train_batch_size=args.batch_size,
        eval_strategy="no",
        save_strategy="no",
        load_best_model_at_end=False,
        logging_steps=10_000,
        disable_tqdm=True,
        report_to="none",
        seed=0,
        use_cpu=not args.gpu,
        bf16=ours and args.gpu,
        train_sampling_strategy="group_by_length" if ours else "random",
        dataloader_num_workers=args.workers,
        dataloader_pin_memory=args.gpu,
        dataloader_persistent_workers=args.workers > 0,
        logging_nan_inf_filter=False,  # its per-step NaN check would wait for the GPU every step
        max_batch_duration_s=args.max_batch_duration_s if ours else None,
        torch_compile=ours and args.compile,
    )
    if ours:
        train_ds = ours_dataset(rows)
        collator = AudioCollator(fe, args.max_duration_s, args.pad_to_multiple_of)
    else:
        train_ds = baseline_dataset(rows, fe, args.max_duration_s)
        collator = DataCollatorWithPadding(fe)
    TimedTrainer, Clock = timed_trainer_class()
    clock = Clock(args.warmup, args.warmup + args.steps)
    trainer = TimedTrainer(
        model=model,
        args=training_args,
        train_dataset=train_ds,
        data_collator=collator,
        processing_class=fe,
        callbacks=[clock],
    )
    profile = profiler_callback(trainer, args.warmup + args.steps, args.trace) if ours and args.profile_steps else None
    if profile is not None:
        trainer.add_callback(profile)
    flops_check = None
    if ours:  # the analytic FLOP count against torch's counter, on one real batch
        batch = collator([train_ds[i] for i in range(min(args.batch_size, len(train_ds)))])
        lengths = batch["attention_mask"].sum(-1)
        padded = [batch["attention_mask"].shape[1]] * len(lengths)
        flops_check = {
            "analytic": float(model_flops(model.config, lengths)),
            "analytic_padded": float(model_flops(model.config, padded)),
            "counted": counted_flops(model, batch),
        }
    if args.gpu:  # the peak memory reported is training's, not that of the float32 FLOP check just run
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    seconds = clock.end - clock.start
    total = {k: float(v) for k, v in model.bench.items()}
    timed = {k: total[k] - clock.counted_at_start[k] for k in total}
    result = {
        "pipeline": pipeline,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "seconds": seconds,
        "audio_seconds": timed["audio_s"],
        "audio_s_per_s": timed["audio_s"] / seconds,
        "precision": "bf16" if training_args.bf16 else "fp32",
        "padding_share": 1 - timed["audio_s"] / timed["padded_s"],
        "gflop_per_audio_s": timed["flops"] / timed["audio_s"] / 1e9,
    }
    result.update(optim=str(training_args.optim), attn_implementation=model.config._attn_implementation)
    result.update(max_batch_duration_s=training_args.max_batch_duration_s, compile=training_args.torch_compile)
    result["decoder"] = "soundfile (collator)" if ours else baseline_decoder()
    if flops_check:
        result["flops_check"] = flops_check
    if profile is not None and trainer.phases is not None:
        result["phases"] = trainer.phases.shares()
        result["profile_table"] = profile.table
    if ours and args.score:
        result["score"] = time_scoring(trainer, rows[: args.unique_clips], out_dir, args)
    if args.gpu:
        peak = peak_flops(torch.cuda.get_device_name(), args.peak_tflops)
        result["model_tflops_per_s"] = timed["flops"] / seconds / 1e12
        result["mfu"] = timed["flops"] / seconds / peak if peak else None
        result["peak_tflops"] = peak / 1e12 if peak else None
        result["max_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
        torch.cuda.reset_peak_memory_stats()
    del trainer, model, profile
    gc.collect()  # the trainer and its callbacks refer to each other: without it the next run shares the GPU with it
    if args.gpu:
        torch.cuda.empty_cache()
    return result


def time_scoring(trainer, rows, out_dir: Path, args) -> dict:
    """Inference throughput of the trained model (bf16 autocast on a GPU), whole clips, longest first."""
    from bimotion.training.inference import predict

    saved = out_dir / "scored-model"
    trainer.save_model(str(saved))
    dataset = ours_dataset(rows)
    predict(saved, dataset.select(range(min(len(dataset), args.batch_size))), progress=False)  # warm-up
    start = time.perf_counter()
    predict(saved, dataset, batch_size=args.batch_size, progress=False)
    seconds = time.perf_counter() - start
    audio_s = float(np.sum(dataset["duration_s"]))
    return {"clips": len(dataset), "audio_seconds": audio_s, "seconds": seconds, "audio_s_per_s": audio_s / seconds}


def print_details(r: dict) -> None:
    """The FLOP check, the phase shares, the profiler's top operators and scoring, when measured."""
    if "flops_check" in r:
        check = r["flops_check"]
        print(
            f"    FLOPs of one batch: analytic {check['analytic'] / 1e9:.1f} GFLOP on its real frames (what MFU "
            f"counts), {check['analytic_padded'] / 1e9:.1f} on its padded frames; torch.utils.flop_counter: "
            f"{check['counted'] / 1e9:.1f} (padded frames)"
        )
    if "phases" in r:
        print("    step time: " + ", ".join(f"{k} {v:.0%}" for k, v in r["phases"].items() if k != "end"))
        print("\n".join("    " + line for line in (r["profile_table"] or "").splitlines()))
    if "score" in r:
        sc = r["score"]
        print(
            f"    scoring: {sc['audio_s_per_s']:.1f} audio-s/s ({sc['clips']} clips, {sc['audio_seconds']:.0f} audio-s)"
        )


def parse_args(argv=None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser and the arguments, every default resolved for the device (``--gpu`` or the CPU)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpu", action="store_true", help="CUDA, bf16, XLSR-53 architecture, MFU")
    parser.add_argument("--arch", choices=sorted(ARCHS), default=None, help="default: xlsr53 with --gpu, else small")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also time the baseline (default: on CPU yes, on GPU no)",
    )
    parser.add_argument("--batch_size", type=int, default=None, help="default: 8 on CPU (the paper's), 32 on GPU")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 8 on CPU, 60 on GPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed first steps (default: 2 on CPU, 10 on GPU)")
    parser.add_argument("--max_duration_s", type=float, default=10.0, help="training crop, both pipelines")
    parser.add_argument("--pad_to_multiple_of", type=int, default=None, help="ours: pad batches to N samples")
    parser.add_argument(
        "--unique_clips", type=int, default=None, help="distinct synthesised clips (default 48 CPU, 256 GPU)"
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=None,
        help="training rows drawn from the distinct clips (default: 1024 CPU, 4096 GPU); the "
        "length-grouping sampler sorts mega-batches of up to 50 batches, as on the real 45k rows",
    )
    parser.add_argument("--workers", type=int, default=None, help="dataloader workers (default: 0 CPU, 8 GPU)")
    parser.add_argument("--peak_tflops", type=float, default=None, help="the GPU's dense bf16 peak, if not known")
    parser.add_argument(
        "--repeats", type=int, default=None, help="interleaved repeats, best kept (default: 2 CPU, 1 GPU)"
    )
    parser.add_argument(
        "--max_batch_duration_s", type=float, default=None, help="ours: batches of at most N padded audio-seconds"
    )
    parser.add_argument("--attn_implementation", default="sdpa", help="sdpa (default), eager or flash_attention_2")
    parser.add_argument("--compile", action="store_true", help="ours: torch.compile the model (TrainingArguments)")
    parser.add_argument(
        "--profile_steps",
        type=int,
        default=None,
        help="ours: profiled steps after the timed ones (default 3 CPU, 10 GPU)",
    )
    parser.add_argument("--trace", type=Path, default=None, help="write the profiler's Chrome trace to DIR/trace.json")
    parser.add_argument("--score", action="store_true", help="ours: also time inference on the distinct clips")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the temporary files go (created if missing; default: the system's)",
    )
    args = parser.parse_args(argv)

    gpu = args.gpu
    args.arch = args.arch or ("xlsr53" if gpu else "small")
    args.baseline = (not gpu) if args.baseline is None else args.baseline
    args.batch_size = args.batch_size or (32 if gpu else 8)
    args.steps = args.steps or (60 if gpu else 8)
    args.warmup = args.warmup if args.warmup is not None else (10 if gpu else 2)
    args.workers = args.workers if args.workers is not None else (8 if gpu else 0)
    args.profile_steps = args.profile_steps if args.profile_steps is not None else (10 if gpu else 3)
    args.unique_clips = args.unique_clips or (256 if gpu else 48)
    args.repeats = args.repeats or (1 if gpu else 2)
    return parser, args


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    gpu, unique = args.gpu, args.unique_clips
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import torch

    if gpu and not torch.cuda.is_available():
        parser.error("--gpu: no CUDA device")
    if not gpu:
        torch.set_num_threads(os.cpu_count() or 1)
    needed = max((args.warmup + args.steps + 1) * args.batch_size, args.rows or (4096 if gpu else 1024))
    t0 = time.perf_counter()
    rows = make_rows(unique, max(needed, unique), workers=min(os.cpu_count() or 1, 16) if gpu else 1)
    durations = np.array([r["duration_s"] for r in rows[:unique]])
    print(
        f"{unique} distinct clips ({len(rows)} rows), {durations.mean():.2f} s mean, {np.median(durations):.2f} s median, "
        f"{durations.max():.1f} s max; made in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )

    pipelines = ("ours", "baseline") if args.baseline else ("ours",)
    runs: dict[str, list[dict]] = {p: [] for p in pipelines}
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for repeat in range(args.repeats):  # interleaved, so that a busy machine slows both alike
            for pipeline in pipelines:
                r = run(pipeline, args, rows, Path(tmp))
                runs[pipeline].append(r)
                line = (
                    f"{pipeline:8s} {r['precision']}: {r['audio_s_per_s']:8.1f} audio-s/s "
                    f"({r['audio_seconds']:.0f} audio-s in {r['seconds']:.1f} s, {args.steps} steps of "
                    f"{args.batch_size}, {r['padding_share']:.0%} padding)"
                )
                if gpu:
                    line += (
                        f", {r['model_tflops_per_s']:.0f} model TFLOP/s, {r['gflop_per_audio_s']:.0f} GFLOP/audio-s"
                        + (f", MFU {r['mfu']:.1%}" if r["mfu"] is not None else ", MFU: unknown peak (--peak_tflops)")
                        + f", peak memory {r['max_memory_gib']:.1f} GiB"
                    )
                print(f"[{repeat + 1}/{args.repeats}] {line}", flush=True)
                print_details(r)
    results = [max(runs[p], key=lambda r: r["audio_s_per_s"]) for p in pipelines]  # best of the repeats
    summary = {
        "device": torch.cuda.get_device_name() if gpu else f"CPU x{os.cpu_count()}",
        "arch": args.arch,
        "max_duration_s": args.max_duration_s,
        "results": results,
    }
    if args.baseline:
        summary["speedup"] = results[0]["audio_s_per_s"] / results[1]["audio_s_per_s"]
        print(f"ours / baseline (best of {args.repeats}): {summary['speedup']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
