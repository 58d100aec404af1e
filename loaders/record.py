"""The one record type every corpus reader returns."""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import asdict, dataclass, field

from .labels import mask, multi_hot

ELDERLY_MIN_AGE = 60  # the paper (§3.1): elderly = age >= 60, adults = 20-59
# The youngest adults' age the cards state: the paper's 20, true of the seven corpora (none of their speakers
# with an age is younger); a corpus of one's own may give ages from 18 (loaders.metadata_cells), and its 18- and
# 19-year-olds are adults by the same rule (under the elderly age), so its adults' band starts at 18.
ADULT_MIN_AGE = 20
OWN_MIN_AGE = 18
# Where a benchmark's authors drew the line elsewhere, by the language of its groups: YueMotion's authors
# grouped Cantonese speakers aged 59 or more as elderly (their code; only 59 reproduces the published
# 660 adult / 420 elderly utterances). Every corpus's Cantonese rows, a user's own too, are grouped so,
# so that yue_eld means one age range whichever corpus a row comes from.
ELDERLY_MIN_AGE_OF_LANGUAGE = {"yue": 59}

LANGUAGES = ("eng", "zho", "yue")  # the paper's; a user's corpus (loaders.audiofolder) may hold any ISO 639-3 code
LANGUAGE_CODE = re.compile(r"[a-z]{3}")
AGE_GROUPS = ("eld", "adu")


def elderly_min_age(language: str) -> int:
    """The age in years from which a speaker of ``language`` (ISO 639-3) is elderly: 60, the paper's,
    or 59 for Cantonese, YueMotion's (:data:`ELDERLY_MIN_AGE_OF_LANGUAGE`).  The one rule every reader,
    a user's metadata included, groups ages by, and the bands the groups are described with."""
    return ELDERLY_MIN_AGE_OF_LANGUAGE.get(language, ELDERLY_MIN_AGE)


def age_band(language: str, age_group: str, youngest: int = ADULT_MIN_AGE) -> str:
    """``elderly (60+)``, ``adults (20-59)``; Cantonese's ``elderly (59+)``, ``adults (20-58)``; ``youngest``:
    the youngest adults' age in the corpora described (:data:`OWN_MIN_AGE` with a corpus of one's own:
    ``adults (18-59)``)."""
    low = elderly_min_age(language)
    return f"elderly ({low}+)" if age_group == "eld" else f"adults ({youngest}-{low - 1})"


def age_group_of(age: float | None, language: str) -> str:
    """``eld`` or ``adu`` for a speaker of ``language`` aged ``age`` years (:func:`elderly_min_age`)."""
    if age is None:
        raise ValueError("age is unknown: the reader must set the corpus's age group explicitly")
    return "eld" if age >= elderly_min_age(language) else "adu"


@dataclass(frozen=True)
class Utterance:
    """One utterance of one corpus, in the shared label space.

    ``id`` is ``<corpus>/<corpus-native id>``: stable across machines and unique across corpora.
    ``emotions`` are label names from :data:`loaders.labels.LABELS` (several for multi-label
    corpora, none for an ElderReact clip with no emotion); ``label_space`` are the labels the
    corpus annotates, so a missing label is a negative only inside that space.
    """

    id: str
    corpus: str
    path: str
    language: str
    age_group: str
    emotions: tuple[str, ...]
    label_space: tuple[str, ...]
    duration_s: float
    sample_rate_hz: int
    num_channels: int = 1
    age: float | None = None
    gender: str | None = None
    speaker_id: str | None = None
    official_split: str | None = None
    text: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        for name in ("emotions", "label_space"):  # a list given: kept as a tuple, so records stay hashable
            if isinstance(getattr(self, name), str):
                raise TypeError(
                    f"{self.id}: {name} must be a tuple of label names, not the string {getattr(self, name)!r}"
                )
            if not isinstance(getattr(self, name), tuple):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.age is not None:  # one type whichever reader gave it (CREMA-D's are whole years)
            if isinstance(self.age, bool) or not isinstance(self.age, numbers.Real) or not math.isfinite(self.age):
                raise ValueError(f"{self.id}: age must be a number of years, not {self.age!r}")
            object.__setattr__(self, "age", float(self.age))
        if not (isinstance(self.duration_s, numbers.Real) and self.duration_s >= 0):
            raise ValueError(f"{self.id}: duration_s must be a number of seconds >= 0, not {self.duration_s!r}")
        if (
            isinstance(self.sample_rate_hz, bool)
            or not isinstance(self.sample_rate_hz, numbers.Integral)
            or self.sample_rate_hz <= 0
        ):
            raise ValueError(f"{self.id}: sample_rate_hz must be a positive integer, not {self.sample_rate_hz!r}")
        if not LANGUAGE_CODE.fullmatch(self.language):
            raise ValueError(f"{self.id}: language {self.language!r} is not an ISO 639-3 code (e.g. {LANGUAGES})")
        if self.age_group not in AGE_GROUPS:
            raise ValueError(f"{self.id}: age_group {self.age_group!r} not in {AGE_GROUPS}")
        if self.gender not in ("f", "m", None):
            raise ValueError(f"{self.id}: gender {self.gender!r} must be 'f', 'm' or None")
        if self.official_split not in ("train", "validation", "test", None):
            raise ValueError(f"{self.id}: official_split {self.official_split!r}")
        outside = set(self.emotions) - set(self.label_space)
        if outside:
            raise ValueError(f"{self.id}: emotions {sorted(outside)} are outside the corpus label space")

    @property
    def group(self) -> str:
        """The BiMotion/YueMotion group, e.g. ``eng_eld``."""
        return f"{self.language}_{self.age_group}"

    @property
    def labels(self) -> list[int]:
        """Multi-hot over the 13 labels."""
        return multi_hot(self.emotions)

    @property
    def label_mask(self) -> list[int]:
        """1 for each label this corpus annotates."""
        return mask(self.label_space)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["emotions"] = list(self.emotions)
        d["label_space"] = list(self.label_space)
        if not d["extra"]:
            d.pop("extra")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Utterance:
        d = dict(d)
        d["emotions"] = tuple(d["emotions"])
        d["label_space"] = tuple(d["label_space"])
        return cls(**d)
