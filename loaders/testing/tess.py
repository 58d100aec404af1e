"""TESS in either circulating layout, with the real 2800 file names (200 words x 7 emotions x 2 speakers).

``layout="a"``: one flat folder ``TESS Toronto emotional speech set/``.  ``layout="b"``:
``TESS Toronto emotional speech set data/`` with the 14 emotion folders named as in a circulating copy
(case varies: ``OAF_Fear``, ``OAF_Pleasant_surprise``, ``YAF_pleasant_surprised``), one OAF file misfiled
in a YAF folder, and (``nested=True``) the whole tree duplicated one level deeper by hard links.
``size="small"`` writes 3 words (42 files per copy).  Audio is 24414 Hz PCM16 except, always, the files
in :data:`QUIRKS` (96 kHz, 32-bit float, AIFF bytes behind ``.wav``).  ``bad=True`` plants :data:`BAD`
(before the nested copy is made, so it holds the same bad files).
"""

from __future__ import annotations

from pathlib import Path

from ..labels import CORPUS_LABEL_MAPS
from ._common import FixtureWriter, _link

WORDS: tuple[str, ...] = tuple(
    """
    back bar base bath bean beg bite boat bone book bought burn cab calm came cause chain chair
    chalk chat check cheek chief choice cool dab date dead death deep dime dip ditch dodge dog doll
    door fail fall far fat fit five food gap gas gaze germ get gin goal good goose gun half hall
    hash hate have haze hire hit hole home hurl hush jail jar join judge jug juice keen keep keg
    kick kill king kite knock late laud lean learn lease lid life limb live loaf long lore lose lot
    love luck make match merge mess met mill mob mode mood moon mop mouse nag name near neat nice
    note numb pad page pain pass pearl peg perch phone pick pike pole pool puff rag raid rain raise
    rat reach read red ring ripe road room rose rot rough rush said sail search seize sell shack
    shall shawl sheep shirt should shout size soap soup sour south sub such sure take talk tape team
    tell thin third thought thumb time tip tire ton tool tough turn vine voice void vote wag walk
    wash week wheat when which whip white wife wire witch yearn yes young youth
    """.split()
)
EMOTIONS = ("angry", "disgust", "fear", "happy", "neutral", "ps", "sad")
SPEAKERS = {"OAF": "eld", "YAF": "adu"}  # speaker -> age group
SMALL_WORDS = WORDS[:3]
SAMPLE_RATE_HZ = 24414
FLAT_DIR = "TESS Toronto emotional speech set"
DATA_DIR = "TESS Toronto emotional speech set data"
FOLDERS: dict[tuple[str, str], str] = {
    ("OAF", "angry"): "OAF_angry",
    ("OAF", "disgust"): "OAF_disgust",
    ("OAF", "fear"): "OAF_Fear",
    ("OAF", "happy"): "OAF_happy",
    ("OAF", "neutral"): "OAF_neutral",
    ("OAF", "ps"): "OAF_Pleasant_surprise",
    ("OAF", "sad"): "OAF_Sad",
    ("YAF", "angry"): "YAF_angry",
    ("YAF", "disgust"): "YAF_disgust",
    ("YAF", "fear"): "YAF_fear",
    ("YAF", "happy"): "YAF_happy",
    ("YAF", "neutral"): "YAF_neutral",
    ("YAF", "ps"): "YAF_pleasant_surprised",
    ("YAF", "sad"): "YAF_sad",
}
MISFILED = ("OAF_back_neutral.wav", "YAF_neutral")  # layout b: an OAF file in a YAF folder
# Always written so: file -> FixtureWriter.audio options.
QUIRKS: dict[str, dict] = {
    "YAF_back_happy.wav": {"sample_rate_hz": 96000},
    "OAF_bar_sad.wav": {"subtype": "FLOAT"},
    "YAF_base_fear.wav": {"container": "AIFF"},
}
# Planted by bad=True: reason -> file name. The LFS stub and the truncated file replace real clips.
BAD: dict[str, str] = {
    "unknown_label": "OAF_back_bored.wav",
    "lfs_pointer": "OAF_bar_angry.wav",
    "truncated": "YAF_bar_disgust.wav",
}

_LABELS = CORPUS_LABEL_MAPS["tess"]


def file_names(words=WORDS) -> list[str]:
    return [f"{speaker}_{word}_{emotion}.wav" for speaker in SPEAKERS for word in words for emotion in EMOTIONS]


def make(writer: FixtureWriter, *, bad: bool = False, layout: str = "a", nested: bool = True) -> Path:
    """Write TESS below ``writer.out_dir`` in ``layout`` "a" or "b" and return its folder."""
    if layout not in ("a", "b"):
        raise ValueError(f"layout must be 'a' (flat) or 'b' (emotion folders), not {layout!r}")
    root = writer.out_dir / (FLAT_DIR if layout == "a" else DATA_DIR)
    for name in file_names(WORDS if writer.full else WORDS[: len(SMALL_WORDS) * writer.scale]):
        _write(writer, _folder(root, layout, name) / name, **QUIRKS.get(name, {}))
    if bad:
        _write(writer, _folder(root, layout, BAD["unknown_label"]) / BAD["unknown_label"])
        stub = _folder(root, layout, BAD["lfs_pointer"]) / BAD["lfs_pointer"]
        stub.unlink()  # never write through a hard link into the pool
        writer.lfs_pointer(stub)
        writer.truncate(_folder(root, layout, BAD["truncated"]) / BAD["truncated"])
    if layout == "b" and nested:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            copy = root / DATA_DIR / path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            _link(path, copy)
    return root


def _folder(root: Path, layout: str, name: str) -> Path:
    if layout == "a":
        return root
    if name == MISFILED[0]:
        return root / MISFILED[1]
    speaker, _, emotion = name.removesuffix(".wav").split("_")
    return root / FOLDERS.get((speaker, emotion), f"{speaker}_neutral")


def _write(writer: FixtureWriter, path: Path, **options) -> None:
    speaker, _, emotion = path.stem.split("_")
    options.setdefault("sample_rate_hz", SAMPLE_RATE_HZ)
    writer.audio(
        path,
        speaker=speaker,
        gender="f",
        age_group=SPEAKERS[speaker],
        language="eng",
        emotions=(_LABELS.get(emotion, "neutral"),),
        **options,
    )
