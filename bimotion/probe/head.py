"""The probe's head: standardised frozen features -> (a learned weighted sum of encoder layers) ->
a linear layer or a one-hidden-layer MLP -> 13 logits, trained with the masked multi-label loss
(:func:`bimotion.training.loss.masked_bce`), the best epoch on validation loss kept; training stops
early once the validation loss has not improved for ``early_stopping_patience`` epochs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from bimotion.training.parsing import DROPOUT, NON_NEGATIVE, POSITIVE, Range, check_ranges
from loaders.labels import LABELS

HEADS = ("linear", "mlp")


@dataclass
class ProbeArguments:
    """How a probe head is built and trained (``recipes/probe.py --help``; the grid config's
    ``training:`` for ``backend: probe``)."""

    head: str = field(default="mlp", metadata={"help": "linear or mlp (one hidden layer)"})
    hidden_size: int = field(default=256, metadata={"help": "the MLP's hidden width"})
    dropout: float = field(default=0.2, metadata={"help": "dropout before each linear layer"})
    layer: int | None = field(
        default=None,
        metadata={
            "help": "an encoder's hidden state to probe, 0 (its CNN output) to its layer count; default: a learned "
            "weighted sum (logmel and egemaps have no layers)"
        },
    )
    feature_clip: float = field(
        default=10.0,
        metadata={
            "help": "standardised features are clipped to +-this many training standard deviations (0: not clipped)"
        },
    )
    learning_rate: float = field(default=1e-3, metadata={"help": "AdamW learning rate"})
    weight_decay: float = field(default=1e-2, metadata={"help": "AdamW weight decay"})
    num_train_epochs: int = field(default=60, metadata={"help": "epochs over the training features"})
    batch_size: int = field(default=32, metadata={"help": "clips per step"})
    early_stopping_patience: int = field(
        default=10,
        metadata={"help": "stop after this many epochs without a lower validation loss (0: run every epoch)"},
    )

    def check(self) -> None:
        """Raises ValueError naming the first bad argument."""
        if self.head not in HEADS:
            raise ValueError(f"--head must be one of {list(HEADS)}, not {self.head!r}")
        check_ranges(self, RANGES)


# the numbers of a probe (an unset --layer is not checked; NaN and infinity never pass)
RANGES = {
    "hidden_size": POSITIVE,
    "learning_rate": POSITIVE,
    "num_train_epochs": POSITIVE,
    "batch_size": POSITIVE,
    "dropout": DROPOUT,
    "early_stopping_patience": Range(0, note="0: run every epoch"),
    "weight_decay": NON_NEGATIVE,
    "feature_clip": NON_NEGATIVE,
    "layer": NON_NEGATIVE,
}


def build_head(input_shape: tuple[int, ...], args: ProbeArguments, mean: np.ndarray, std: np.ndarray):
    """A :class:`torch.nn.Module` for features of ``input_shape`` (``(dim,)`` or ``(layers, dim)``)."""
    import torch
    from torch import nn

    class ProbeHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
            self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
            layers = input_shape[0] if len(input_shape) == 2 else 0
            self.layer = args.layer if layers else None  # the one hidden state it reads (None: all of them)
            self.layer_logits = nn.Parameter(torch.zeros(layers)) if layers and args.layer is None else None
            dim = input_shape[-1]
            body: list[nn.Module] = [nn.Dropout(args.dropout)]
            if args.head == "mlp":
                body += [nn.Linear(dim, args.hidden_size), nn.ReLU(), nn.Dropout(args.dropout)]
                dim = args.hidden_size
            self.body = nn.Sequential(*body)
            self.classifier = nn.Linear(dim, len(LABELS))

        def pooled(self, x):
            """The input of the last linear layer (what the projections draw)."""
            x = (x - self.mean) / self.std
            if args.feature_clip:  # one clip's eGeMAPS stddevNorm at 8,000 sd ruled the validation loss
                x = x.clamp(-args.feature_clip, args.feature_clip)
            if x.dim() == 3:
                x = (
                    x[:, args.layer]
                    if self.layer_logits is None
                    else torch.einsum("l,bld->bd", self.layer_logits.softmax(0), x)
                )
            return self.body(x)

        def forward(self, x):
            return self.classifier(self.pooled(x))

    return ProbeHead()


def head_outputs(head, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(logits, pooled)`` of a trained head on ``features``: its 13 label logits and the input of
    its last linear layer (what the projections draw), as float32 arrays."""
    import torch

    head.eval()
    with torch.no_grad():
        pooled = head.pooled(torch.as_tensor(np.asarray(features), dtype=torch.float32))
        return head.classifier(pooled).numpy(), pooled.numpy()


def clipped_clips(head, features: np.ndarray, clip: float, rows: int = 256) -> int:
    """How many clips of ``features`` have a standardised value beyond ``clip`` training standard
    deviations (0: none is clipped), which the head clips (``feature_clip``): in the head's float32,
    ``rows`` clips at a time (an encoder's features, ``(layers, hidden)`` a clip, are gigabytes); of a
    head that reads one layer (``--layer``), only that layer's values count."""
    if not clip or not len(features):
        return 0
    mean, std, layer = head.mean.numpy(), head.std.numpy(), head.layer
    if layer is not None:
        mean, std = mean[layer], std[layer]
    count = 0
    for start in range(0, len(features), rows):
        chunk = features[start : start + rows] if layer is None else features[start : start + rows, layer]
        z = (np.asarray(chunk, dtype=np.float32) - mean) / std
        count += int((np.abs(z) > clip).reshape(len(z), -1).any(1).sum())
    return count


def _mean_loss(head, x, labels, mask) -> float:
    import torch

    from bimotion.training.loss import masked_bce

    head.eval()
    with torch.no_grad():
        return float(masked_bce(head(x), labels, mask))


def fit_head(train: dict, validation: dict, args: ProbeArguments, *, seed: int):
    """Train a head on ``train`` features (``{"features", "labels", "label_mask"}`` arrays) and keep
    the epoch with the lowest validation loss (stopping ``early_stopping_patience`` epochs after it);
    returns ``(head, history)``.  The same seed and data give the same head (seeded initialisation,
    shuffling and dropout; one CPU thread order).  Validation without rows (or without an annotated
    label) is a ValueError: its loss, 0 every epoch, would keep epoch 1 without a word."""
    import torch

    args.check()
    rows, annotated = len(validation["label_mask"]), int(np.count_nonzero(validation["label_mask"]))
    if not annotated:
        raise ValueError(
            f"fit_head: the validation set has {rows} rows{' and no annotated label' if rows else ''}, and the "
            "epoch to keep is chosen on their loss: pass validation rows (features, labels, label_mask) of a "
            "split other than training's"
        )

    def tensors(d):
        return [torch.as_tensor(np.asarray(d[k]), dtype=torch.float32) for k in ("features", "labels", "label_mask")]

    x, y, m = tensors(train)
    vx, vy, vm = tensors(validation)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a head this small runs fastest on one thread (on a busy CPU, ~25x faster)
    try:
        return _fit(x, y, m, (vx, vy, vm), args, seed)
    finally:
        torch.set_num_threads(threads)


def _fit(x, y, m, validation, args: ProbeArguments, seed: int):
    import torch

    from bimotion.training.loss import masked_bce

    axes = (0, 1) if x.dim() == 3 and args.layer is None else 0
    mean, std = x.mean(axes), x.std(axes).clamp(min=1e-5)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        head = build_head(tuple(x.shape[1:]), args, mean.numpy(), std.numpy())
        optimizer = torch.optim.AdamW(head.parameters(), lr=args.learning_rate, weight_decay=args.weight_decay)
        order = torch.Generator().manual_seed(seed)
        best, best_epoch, best_state, history = float("inf"), 0, None, []
        for epoch in range(args.num_train_epochs):
            if args.early_stopping_patience and epoch - best_epoch >= args.early_stopping_patience:
                break
            head.train()
            for rows in torch.randperm(len(x), generator=order).split(args.batch_size):
                optimizer.zero_grad()
                loss = masked_bce(head(x[rows]), y[rows], m[rows])
                loss.backward()
                optimizer.step()
            val = _mean_loss(head, *validation)
            history.append({"epoch": epoch + 1, "train_loss": _mean_loss(head, x, y, m), "validation_loss": val})
            if val < best:
                best, best_epoch, best_state = val, epoch + 1, {k: v.clone() for k, v in head.state_dict().items()}
    head.load_state_dict(best_state)
    head.eval()
    return head, history


def head_config(input_shape: tuple[int, ...], args: ProbeArguments) -> dict:
    return {"input_shape": list(input_shape), "arguments": asdict(args)}
