"""CREMA-D in its real layout: ``CREMA-D/VideoDemographics.csv`` (by default the 91 real rows) and
``AudioWAV/{ActorID}_{Sentence}_{Emotion}_{Level}.wav`` with the real file names.

``size="full"`` writes all 7442 clips: 91 actors x 82 clips, less the clips missing from the release
(1002 and 1076 lack one neutral clip, 1008/1009/1019 a whole sentence).  ``size="small"`` writes four
actors (two elderly) and three sentences.  Always present: the near-silent, very short
``1076_MTI_SAD_XX.wav`` (when actor 1076 and sentence MTI are written), an AppleDouble ``._`` file in
``AudioWAV/``, ``SentenceFilenames.csv`` and the ``AudioMP3/``/``VideoFlash/`` folders holding git-LFS
stubs (as after ``git lfs pull --include AudioWAV``).  ``bad=True`` plants :data:`BAD`.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import numpy as np
import soundfile

from ..labels import CORPUS_LABEL_MAPS
from ..record import age_group_of
from ._common import FixtureWriter
from .synth import stable_seed

# The release's VideoDemographics.csv, verbatim (quoted strings, unquoted ints).
DEMOGRAPHICS_CSV = """\
"ActorID","Age","Sex","Race","Ethnicity"
1001,51,"Male","Caucasian","Not Hispanic"
1002,21,"Female","Caucasian","Not Hispanic"
1003,21,"Female","Caucasian","Not Hispanic"
1004,42,"Female","Caucasian","Not Hispanic"
1005,29,"Male","African American","Not Hispanic"
1006,58,"Female","Caucasian","Not Hispanic"
1007,38,"Female","African American","Not Hispanic"
1008,46,"Female","Caucasian","Not Hispanic"
1009,24,"Female","Caucasian","Not Hispanic"
1010,27,"Female","Caucasian","Not Hispanic"
1011,32,"Male","Caucasian","Not Hispanic"
1012,23,"Female","Caucasian","Not Hispanic"
1013,22,"Female","Caucasian","Hispanic"
1014,24,"Male","Caucasian","Not Hispanic"
1015,32,"Male","African American","Not Hispanic"
1016,61,"Male","Caucasian","Not Hispanic"
1017,42,"Male","Caucasian","Not Hispanic"
1018,25,"Female","Caucasian","Hispanic"
1019,29,"Male","Asian","Not Hispanic"
1020,61,"Female","Caucasian","Not Hispanic"
1021,30,"Female","Caucasian","Not Hispanic"
1022,22,"Male","Caucasian","Not Hispanic"
1023,22,"Male","Caucasian","Not Hispanic"
1024,59,"Female","Caucasian","Not Hispanic"
1025,48,"Female","Caucasian","Not Hispanic"
1026,33,"Male","Caucasian","Not Hispanic"
1027,44,"Male","Caucasian","Not Hispanic"
1028,57,"Female","Caucasian","Not Hispanic"
1029,33,"Female","African American","Not Hispanic"
1030,42,"Female","African American","Not Hispanic"
1031,31,"Male","Caucasian","Hispanic"
1032,30,"Male","African American","Not Hispanic"
1033,31,"Male","Caucasian","Not Hispanic"
1034,74,"Male","Caucasian","Not Hispanic"
1035,48,"Male","Caucasian","Not Hispanic"
1036,49,"Male","African American","Not Hispanic"
1037,45,"Female","Caucasian","Not Hispanic"
1038,21,"Male","African American","Not Hispanic"
1039,51,"Male","African American","Not Hispanic"
1040,42,"Male","Caucasian","Not Hispanic"
1041,42,"Male","Caucasian","Not Hispanic"
1042,37,"Male","African American","Not Hispanic"
1043,25,"Female","Caucasian","Hispanic"
1044,40,"Male","Caucasian","Not Hispanic"
1045,22,"Male","Asian","Not Hispanic"
1046,22,"Female","Caucasian","Hispanic"
1047,22,"Female","Unknown","Hispanic"
1048,38,"Male","Caucasian","Hispanic"
1049,25,"Female","Caucasian","Hispanic"
1050,62,"Male","African American","Not Hispanic"
1051,56,"Male","Caucasian","Not Hispanic"
1052,33,"Female","Caucasian","Not Hispanic"
1053,35,"Female","Caucasian","Not Hispanic"
1054,36,"Female","Caucasian","Not Hispanic"
1055,57,"Female","Caucasian","Not Hispanic"
1056,52,"Female","African American","Not Hispanic"
1057,25,"Male","Caucasian","Not Hispanic"
1058,36,"Female","Caucasian","Not Hispanic"
1059,21,"Male","African American","Not Hispanic"
1060,28,"Female","African American","Not Hispanic"
1061,51,"Female","African American","Not Hispanic"
1062,56,"Male","Caucasian","Not Hispanic"
1063,33,"Female","African American","Not Hispanic"
1064,53,"Male","Caucasian","Not Hispanic"
1065,38,"Male","Caucasian","Not Hispanic"
1066,25,"Male","Caucasian","Not Hispanic"
1067,66,"Male","Caucasian","Not Hispanic"
1068,34,"Male","Caucasian","Not Hispanic"
1069,27,"Male","Caucasian","Not Hispanic"
1070,25,"Male","African American","Not Hispanic"
1071,41,"Male","Caucasian","Not Hispanic"
1072,33,"Female","Asian","Not Hispanic"
1073,24,"Female","African American","Hispanic"
1074,31,"Female","African American","Not Hispanic"
1075,40,"Female","Caucasian","Not Hispanic"
1076,25,"Female","Caucasian","Not Hispanic"
1077,20,"Male","Caucasian","Not Hispanic"
1078,21,"Female","Caucasian","Not Hispanic"
1079,21,"Female","Caucasian","Hispanic"
1080,21,"Male","African American","Not Hispanic"
1081,30,"Male","Asian","Not Hispanic"
1082,20,"Female","Caucasian","Not Hispanic"
1083,45,"Male","African American","Not Hispanic"
1084,46,"Female","Caucasian","Not Hispanic"
1085,34,"Male","Asian","Not Hispanic"
1086,33,"Male","Caucasian","Not Hispanic"
1087,62,"Male","Caucasian","Not Hispanic"
1088,23,"Male","African American","Not Hispanic"
1089,24,"Female","Caucasian","Not Hispanic"
1090,50,"Male","Asian","Not Hispanic"
1091,29,"Female","Asian","Not Hispanic"
"""

ACTORS = tuple(str(n) for n in range(1001, 1092))
SENTENCES = ("IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI")
EMOTIONS = ("NEU", "HAP", "SAD", "ANG", "FEA", "DIS")
LEVELS = ("LO", "MD", "HI")  # only sentence IEO has them (and its neutral take is XX)
# Clips the release lacks (read off SentenceFilenames.csv).
MISSING: dict[str, set[str]] = {
    "1002": {"1002_TIE_NEU_XX"},
    "1076": {"1076_ITS_NEU_XX"},
    **{
        actor: {f"{actor}_{sentence}_{e}_XX" for e in EMOTIONS}
        for actor, sentence in (("1008", "WSI"), ("1009", "MTI"), ("1019", "ITH"))
    },
}
NEAR_SILENT = "1076_MTI_SAD_XX"
SMALL_ACTORS = ("1001", "1016", "1020", "1076")  # 1016 and 1020 are 61: elderly
SMALL_SENTENCES = ("IEO", "TIE", "MTI")

# Planted by bad=True: reason -> file in AudioWAV/. The first three replace real clips.
BAD: dict[str, str] = {
    "lfs_pointer": "1001_IEO_HAP_HI.wav",
    "truncated": "1016_MTI_ANG_XX.wav",
    "not_audio": "1020_TIE_SAD_XX.wav",
    "unknown_label": "1001_IEO_BOR_XX.wav",
    "missing_metadata": "1092_DFA_ANG_XX.wav",  # actor 1092 has no row in VideoDemographics.csv
}

_LABELS = CORPUS_LABEL_MAPS["crema_d"]
_APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(58)


def clip_names(actors=ACTORS, sentences=SENTENCES) -> list[str]:
    """The release's clip names (without ``.wav``) for these actors and sentences."""
    names = []
    for actor in actors:
        for sentence in sentences:
            if sentence == "IEO":
                takes = ["NEU_XX"] + [f"{e}_{level}" for e in EMOTIONS[1:] for level in LEVELS]
            else:
                takes = [f"{e}_XX" for e in EMOTIONS]
            names += [n for take in takes if (n := f"{actor}_{sentence}_{take}") not in MISSING.get(actor, ())]
    return names


def small_sentences(scale: int = 1) -> tuple[str, ...]:
    """The small size's sentences: ``SMALL_SENTENCES``, then more of the 12 for ``scale`` > 1."""
    more = tuple(s for s in SENTENCES if s not in SMALL_SENTENCES)
    return SMALL_SENTENCES + more[: len(SMALL_SENTENCES) * (scale - 1)]


def make(writer: FixtureWriter, *, bad: bool = False, demographics: str | os.PathLike | None = None) -> Path:
    """Write ``CREMA-D/`` below ``writer.out_dir`` and return it.

    ``demographics``: a VideoDemographics.csv to copy in instead of the embedded real rows."""
    corpus = writer.out_dir / "CREMA-D"
    audio = corpus / "AudioWAV"
    csv_path = corpus / "VideoDemographics.csv"
    if demographics is None:
        writer.text(csv_path, DEMOGRAPHICS_CSV)
    else:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demographics, csv_path)
    voices = _voices()
    names = clip_names() if writer.full else clip_names(SMALL_ACTORS, small_sentences(writer.scale))
    for name in names:
        actor, _, code, _ = name.split("_")
        path = audio / f"{name}.wav"
        if name == NEAR_SILENT:
            _near_silent(path, writer.seed)
        else:
            gender, age_group = voices[actor]
            writer.audio(
                path, speaker=actor, gender=gender, age_group=age_group, language="eng", emotions=(_LABELS[code],)
            )
    listing = ['"Stimulus_Number","Filename"'] + [f'{i},"{name}"' for i, name in enumerate(names, 1)]
    writer.text(corpus / "SentenceFilenames.csv", "\n".join(listing) + "\n")
    for folder, suffix in (("AudioMP3", ".mp3"), ("VideoFlash", ".flv")):
        for name in names[:3]:
            writer.lfs_pointer(corpus / folder / f"{name}{suffix}")
    (audio / f"._{names[0]}.wav").write_bytes(_APPLEDOUBLE)
    if bad:
        _plant_bad(writer, audio, voices)
    return corpus


def _voices() -> dict[str, tuple[str, str]]:
    """actor -> (gender, age group), from the embedded real rows."""
    rows = csv.DictReader(io.StringIO(DEMOGRAPHICS_CSV))
    return {
        row["ActorID"]: ("m" if row["Sex"] == "Male" else "f", age_group_of(int(row["Age"]), "eng")) for row in rows
    }


def _near_silent(path: Path, seed: int) -> None:
    """0.2 s of noise at about -70 dBFS, like the release's broken 1076_MTI_SAD_XX.wav."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(stable_seed("near-silent", seed))
    soundfile.write(str(path), (rng.standard_normal(3200) * 3e-4).astype(np.float32), 16000, subtype="PCM_16")


def _plant_bad(writer: FixtureWriter, audio: Path, voices: dict[str, tuple[str, str]]) -> None:
    for reason in ("lfs_pointer", "not_audio"):
        (audio / BAD[reason]).unlink(missing_ok=True)  # never write through a hard link into the pool
    writer.lfs_pointer(audio / BAD["lfs_pointer"])
    writer.not_audio(audio / BAD["not_audio"])
    writer.truncate(audio / BAD["truncated"])
    for reason, actor in (("unknown_label", "1001"), ("missing_metadata", "1092")):
        gender, age_group = voices.get(actor, ("f", "adu"))
        writer.audio(
            audio / BAD[reason],
            speaker=actor,
            gender=gender,
            age_group=age_group,
            language="eng",
            emotions=("neutral",),
        )
