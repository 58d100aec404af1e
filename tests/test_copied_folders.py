"""A folder named as a second copy ('Angry (1)/', 'Natural - Copy/') with no original beside it, and two
such copies of one folder that is not there: read as that folder, the other as its copy (loaders.copies)."""

from __future__ import annotations

import os
import shutil
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pytest

import loaders
from loaders import BadFileError, SkipReport, testing
from loaders.errors import InputWarning

# (reader, the folder a clip's label, speaker, split or labels are found by, the name it is given)
ALONE = [
    ("esd", "0001/Angry", "Angry (1)"),
    ("esd", "0001", "Copy of 0001"),
    ("csed", "Training Data (wav)/Natural", "Natural - Copy"),
    ("tess", "OAF_angry", "Copy of OAF_angry"),
    ("iemocap", "Session1", "Session1 (1)"),
    ("iemocap", "Session1/sentences/wav", "wav (1)"),
    ("iemocap", "Session1/dialog/EmoEvaluation", "EmoEvaluation - Copy"),
    ("iemocap", "Session1/dialog", "dialog copy"),
    ("crema_d", "AudioWAV", "AudioWAV - Kopie"),
    ("elderreact", "ElderReact_Data/ElderReact_train", "ElderReact_train (1)"),
    ("yuemotion", "data", "data(1)"),
]

# the folder copied twice, where it is not the first above (IEMOCAP walks only the one sentences/wav)
TWO = {"iemocap": "Session1"}


def _load_quietly(name: str, root: Path, **options) -> list:
    """``loaders.load(name, root, **options)``, the InputWarnings it gives (copies read once, ...) ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        return loaders.load(name, root, **options)


def records_of(name: str, root: Path) -> list[tuple]:
    report = SkipReport()
    records = _load_quietly(name, root, report=report)
    assert not report, report.to_dict()
    return [(r.id, r.emotions, r.speaker_id, r.official_split, r.text) for r in records]


def corpus(name: str, tmp_path: Path) -> Path:
    """A generated corpus of reader ``name`` (``carehome``: your own corpus, loaders.audiofolder)."""
    generator = "audiofolder" if name == "carehome" else name
    return testing.make_corpus(generator, tmp_path, **({"layout": "b"} if name == "tess" else {}))


def copy_name_error(name: str, root: Path, path: Path) -> BadFileError:
    """The error reading ``root`` as ``name`` stops at (its warnings aside): a ``copy_name`` naming ``path``."""
    with pytest.raises(BadFileError) as caught:
        _load_quietly(name, root)
    assert (caught.value.reason, caught.value.path) == ("copy_name", path)
    return caught.value


@pytest.mark.parametrize(("name", "folder", "renamed"), ALONE, ids=[f"{n}-{r}" for n, _, r in ALONE])
def test_a_folder_named_as_a_copy_beside_no_original_is_read_as_that_folder(tmp_path, name, folder, renamed):
    """ESD's 'Angry (1)/' and CSED's 'Natural - Copy/' alone (a folder renamed or unzipped badly) gave one
    unknown_emotion or unexpected_location per clip, IEMOCAP's 'wav (1)/' a missing_audio per clip (its
    wavs never walked); IEMOCAP's 'Session1 (1)/' and CREMA-D's 'AudioWAV (1)/' alone were read as their
    folder. Every reader reads a folder so named, beside no such folder, as that folder."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    if name == "tess":  # TESS takes a speaker from its folder only for a name without it: OAF_back_angry.wav
        clip = next((root / folder).glob("OAF_*.wav"))
        clip.rename(clip.with_name(clip.name[4:]))
    (root / folder).rename((root / folder).with_name(renamed))
    assert records_of(name, root) == before


@pytest.mark.parametrize("name", loaders.READERS)
def test_two_copies_of_a_folder_that_is_not_there_are_read_once(tmp_path, name):
    """'AudioWAV (1)/' and 'AudioWAV - Copy/' alone stopped at duplicate_id (ElderReact, YueMotion, CREMA-D,
    IEMOCAP's duplicate_entry), or reported each clip (ESD, CSED). The first in name order is read as the
    folder, the other as its copy file by file: read once, counted as duplicate copies, named in one warning;
    a file of other bytes there is one copy_name error naming both folders."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    folder = root / TWO.get(name, next(folder for n, folder, _ in ALONE if n == name))
    first = folder.rename(folder.with_name(f"{folder.name} (1)"))
    copy = Path(shutil.copytree(first, folder.with_name(f"{folder.name} - Copy")))
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"names a second copy of a file \(or its folder\)") as said:
        read = loaders.load(name, root, report=report)
    assert records_of(name, root) == before and report.files[(name, "duplicate")] >= 1
    assert f"read once, as {first.name}/" in next(str(w.message) for w in said if "(or its folder)" in str(w.message))
    clips = [copy / Path(r.path).relative_to(first) for r in read if Path(r.path).is_relative_to(first)]
    shutil.copyfile(clips[1], clips[0])  # another recording under the copy's name: which one is right?
    error = copy_name_error(name, root, clips[0])
    assert (
        f"in {copy.name}/, named as Windows Explorer in English names a second copy of {folder.name}/, which is "
        f"not there ({first.name}/, first in name order of its copies, is read as it): a second copy of "
        f"{first.name}/{clips[0].relative_to(copy).as_posix()}, but its bytes differ"
    ) in error.message


def test_the_folder_read_among_copies_of_one_that_is_not_there_is_the_first_in_name_order(tmp_path):
    from loaders import copies

    for folder in ("b - Copy", "b (1)", "c", "Copy of c"):
        (tmp_path / folder).mkdir()
    assert copies.stand_in(tmp_path, "b") == tmp_path / "b (1)" and copies.stand_in(tmp_path, "c") == tmp_path / "c"
    assert copies.stand_in(tmp_path, "d") is None
    assert copies.copied_folder(tmp_path / "b - Copy", tmp_path)[:2] == (tmp_path / "b - Copy", tmp_path / "b (1)")
    assert copies.copied_folder(tmp_path / "b (1)", tmp_path) is None
    assert copies.folder_name("Copy of 0001 - Copy") == "0001" and copies.folder_name("Angry") == "Angry"


@pytest.mark.parametrize("copied", ["Session1/sentences/wav", "Session1/sentences"])
def test_iemocap_walks_a_copy_of_its_wav_folder_not_passes_it_over(tmp_path, copied):
    """IEMOCAP walks only sentences/wav: 'wav - Copy/' beside it (or 'sentences - Copy/') was never walked, its
    files not even counted as seen, and one of other bytes there passed over unsaid; CREMA-D walks its
    'AudioWAV - Copy/'. Its files are read once as copies (counted, named in one warning) or reported."""
    root = corpus("iemocap", tmp_path)
    before = records_of("iemocap", root)
    copy = Path(shutil.copytree(root / copied, (root / copied).with_name(f"{Path(copied).name} - Copy")))
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"names a second copy of a file \(or its folder\)"):
        loaders.load("iemocap", root, report=report)
    clips = sorted(copy.rglob("Ses01*.wav"))  # not ._Ses01F_impro01_F000.wav, a resource fork
    assert records_of("iemocap", root) == before and report.files[("iemocap", "duplicate")] == len(clips)
    shutil.copyfile(clips[1], clips[0])
    copy_name_error("iemocap", root, clips[0])


def test_a_folder_of_your_own_corpus_pasted_beside_itself_is_read_once_not_one_unlisted_file_per_clip(tmp_path):
    """'clips/s1 - Copy/' beside 'clips/s1/' (Explorer's paste), no row naming its files: each was an
    unlisted_file ("its emotion, language and age are unknown"), as a built-in corpus's were before. Its files
    with their counterpart's bytes are read once, as that file; one of other bytes is copy_name; one of its
    own is still unlisted; and one a row lists is read (the rows name the corpus's files)."""
    root = testing.make_corpus("audiofolder", tmp_path)
    before = records_of("carehome", root)
    copy = Path(shutil.copytree(root / "clips" / "ind-eld-s1", root / "clips" / "ind-eld-s1 - Copy"))
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"read once, as ind-eld-s1/ind-eld-s1_000.wav"):
        loaders.load("carehome", root, report=report)
    clips = sorted(copy.glob("*.wav"))
    assert records_of("carehome", root) == before and report.files[("carehome", "duplicate")] == len(clips)
    shutil.copyfile(clips[1], clips[0])
    (copy / "mine.wav").write_bytes(clips[1].read_bytes())
    report = SkipReport()
    _load_quietly("carehome", root, skip_bad=True, report=report)
    assert report.to_dict() == {"carehome/copy_name": 1, "carehome/unlisted_file": 1}
    assert [
        path for (_, reason), found in report.examples.items() for path, _, _ in found if reason == "copy_name"
    ] == [str(clips[0])]
    meta = root / "metadata.csv"
    row = next(line for line in meta.read_text().splitlines() if line.startswith("clips/ind-eld-s1/"))
    with meta.open("a") as f:
        f.write(f"clips/ind-eld-s1 - Copy/mine.wav,{row.split(',', 1)[1]}\n")  # a row names it: a clip of its own
    report = SkipReport()
    read = _load_quietly("carehome", root, skip_bad=True, report=report)
    assert report.to_dict() == {"carehome/copy_name": 1} and str(copy / "mine.wav") in {r.path for r in read}


@pytest.mark.parametrize(
    ("name", "folder", "capitals"), [("crema_d", "AudioWAV", "AUDIOWAV"), ("iemocap", "Session1", "SESSION1")]
)
def test_a_copy_beside_its_folder_named_in_capitals_is_its_copy(tmp_path, name, folder, capitals):
    """'AudioWAV - Copy/' beside 'AUDIOWAV/' (an old FAT copy's name for the release's folder, read as it): the
    copy was no copy of a folder beside it, read again, and stopped at duplicate_id."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    original = (root / folder).rename(root / capitals)
    shutil.copytree(original, root / f"{folder} - Copy")
    report = SkipReport()
    with pytest.warns(InputWarning, match=rf"read once, as {capitals}/"):
        loaders.load(name, root, report=report)
    assert records_of(name, root) == before and report.files[(name, "duplicate")] >= 1


@pytest.mark.parametrize("name", [*loaders.READERS, "carehome"])
def test_one_clip_in_two_letter_cases_is_read_once_or_reported_as_one(tmp_path, name):
    """'AudioWAV/1001_IEO_ANG_HI.wav' beside '1001_ieo_ang_hi.wav' (a copy from a disk that ignores case merged
    into one that does not) stopped at duplicate_id, also with skip_bad (CREMA-D, ESD, CSED, ElderReact); TESS
    set the second aside as a duplicate without a word, whatever its bytes; where a table names the clips
    (YueMotion, IEMOCAP, ElderReact, your own corpus) the file it does not name exactly was an error of its own
    (missing_metadata, unexpected_name, unlisted_file: 'another file or row is named alike'). With the same
    bytes it is read once, as the release's (or the table's) name, counted as a duplicate copy and named in one
    warning; with other bytes it is one copy_name error naming both, and with skip_bad a counted skip, the
    release's own name read."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    clips = [Path(r.path) for r in loaders.load(name, root)]
    first = next((clip for clip in clips if clip.stem.swapcase() != clip.stem), clips[0])  # ESD's: digits, x.WAV
    twin = first.with_name(first.stem.lower() + first.suffix if name == "crema_d" else first.name.swapcase())
    shutil.copyfile(first, twin)
    report = SkipReport()
    with pytest.warns(InputWarning, match=rf"named as {first.name} beside it in other letters, with the same bytes"):
        read = loaders.load(name, root, report=report)
    assert records_of(name, root) == before and report.files[(name, "duplicate")] >= 1
    assert str(first) in {r.path for r in read} and str(twin) not in {r.path for r in read}
    shutil.copyfile(Path(read[-1].path), twin)  # another recording: which one is right?
    error = copy_name_error(name, root, twin)
    assert f"named as {first.name} beside it in other letters" in error.message
    assert error.hint.startswith(f"keep the right one as {first.name} and delete the other")
    report = SkipReport()
    read = loaders.load(name, root, skip_bad=True, report=report)
    assert [r.id for r in read] == [r for r, *_ in before] and str(first) in {r.path for r in read}
    assert report.to_dict() == {f"{name}/copy_name": 1} and report.file_skips[(name, "copy_name")] == 1


TWIN_FOLDERS = [("crema_d", "AudioWAV", "AUDIOWAV"), ("esd", "0011/Angry", "ANGRY"), ("csed", "Natural", "NATURAL")]
TWIN_FOLDERS += [("iemocap", "Session1/sentences/wav/Ses01F_impro01", "SES01F_IMPRO01")]


@pytest.mark.parametrize(("name", "folder", "renamed"), TWIN_FOLDERS, ids=[n for n, *_ in TWIN_FOLDERS])
def test_a_folder_beside_its_twin_in_other_letters_holds_copies_read_once_or_reported(tmp_path, name, folder, renamed):
    """'AUDIOWAV/' beside 'AudioWAV/' (a FAT copy merged onto a case-sensitive disk) stopped at duplicate_id
    ('crema_d/1001_IEO_ANG_HI is also at ...AudioWAV/1001_IEO_ANG_HI.wav (112 clips are there more than once)'),
    even with identical bytes.  As a file beside its twin in other letters: with the same bytes read once, the
    folder read as the release's kept, one warning; with other bytes one copy_name naming both."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    found = next(p for p in root.rglob("*") if p.is_dir() and p.relative_to(root).as_posix().endswith(folder))
    twin = Path(shutil.copytree(found, found.with_name(renamed)))
    report = SkipReport()
    with pytest.warns(
        InputWarning, match=rf"/{renamed}/.* more: named as {found.name}/\S+ beside it in other letters, wi"
    ):
        read = loaders.load(name, root, report=report)
    assert records_of(name, root) == before and not report and all(f"/{renamed}/" not in r.path for r in read)
    assert report.files[(name, "duplicate")] == len([p for p in twin.rglob("[!.]*") if p.suffix.lower() == ".wav"])
    clip = sorted(p for p in twin.rglob("*.wav") if not p.name.startswith("."))[0]
    other = next(p for p in found.rglob("*.wav") if p.name != clip.name and not p.name.startswith("."))
    shutil.copyfile(other, clip)  # another recording: which one is right?
    error = copy_name_error(name, root, clip)
    assert f"named as {found.name}/{clip.name} beside it in other letters" in error.message
    assert error.hint.startswith(f"keep the right one as {found.name}/{clip.name} and delete the other")


@pytest.mark.parametrize("twin", ["ses01f_impro01.txt", "SES01F_IMPRO01.TXT"])
def test_an_iemocap_evaluation_file_beside_its_twin_in_other_letters_is_read_once_or_reported(tmp_path, twin):
    """'ses01f_impro01.txt' beside 'Ses01F_impro01.txt' (a FAT copy merged onto a case-sensitive disk) stopped
    at 'line 3: Ses01F_impro01_F000 is also evaluated in .../Ses01F_impro01.txt' ('keep one copy of the
    evaluation files'), even with its bytes.  As other twins in other letters: with the same bytes read once,
    the release's name read, one warning; with other bytes one copy_name naming both."""
    root = corpus("iemocap", tmp_path)
    before = records_of("iemocap", root)
    evaluation = next(root.rglob("Ses01F_impro01.txt"))
    copy = shutil.copyfile(evaluation, evaluation.with_name(twin))
    report = SkipReport()
    with pytest.warns(InputWarning, match=rf"{twin}: named as Ses01F_impro01.txt beside it in other letters, with"):
        loaders.load("iemocap", root, report=report)
    assert records_of("iemocap", root) == before and report.files[("iemocap", "duplicate")] == 1 and not report
    other = next(p for p in root.rglob("Ses0*.txt") if p.parent.name == "EmoEvaluation" and p != evaluation)
    shutil.copyfile(other, copy)  # another dialog's evaluations
    error = copy_name_error("iemocap", root, copy)
    assert "named as Ses01F_impro01.txt beside it in other letters" in error.message
    assert error.hint.startswith("keep the right one as Ses01F_impro01.txt and delete the other")
    report = SkipReport()  # with skip_bad: the release's name read
    read = loaders.load("iemocap", root, skip_bad=True, report=report)
    assert [r.id for r in read] == [r for r, *_ in before] and report.to_dict() == {"iemocap/copy_name": 1}
    assert report.file_skips[("iemocap", "copy_name")] == 1


@pytest.mark.parametrize(
    ("copied", "renamed"),
    [
        ("Session1/dialog", "dialog - Copy"),
        ("Session1/dialog/EmoEvaluation", "EmoEvaluation - Copy"),
        ("Session1/dialog/EmoEvaluation", "EmoEvaluation (1)"),
    ],
)
def test_iemocap_reads_a_copy_of_its_evaluation_folder_as_copies_not_passes_it_over(tmp_path, copied, renamed):
    """IEMOCAP reads its evaluation files from dialog/EmoEvaluation only: 'EmoEvaluation - Copy/' beside it (or
    'dialog - Copy/' beside dialog/) was never read nor counted, one of other bytes there passed over unsaid. Its
    files are compared with their counterparts, as a copied evaluation file beside its own is: with the same
    bytes counted as duplicate copies (one warning), with other bytes one copy_name per file."""
    root = corpus("iemocap", tmp_path)
    before = records_of("iemocap", root)
    copy = Path(shutil.copytree(root / copied, (root / copied).with_name(renamed)))
    evaluation = next(p for p in copy.rglob("Ses01F_impro01.txt") if p.parent.name in ("EmoEvaluation", renamed))
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"names a second copy of a file \(or its folder\)") as said:
        loaders.load("iemocap", root, report=report)
    assert records_of("iemocap", root) == before and not report
    assert report.files[("iemocap", "duplicate")] == 1 and str(evaluation) in str(said[0].message)
    evaluation.write_text(evaluation.read_text().replace("[4", "[3", 1))  # another timing: which one is right?
    error = copy_name_error("iemocap", root, evaluation)
    assert f"a second copy of {Path(copied).name}/" in error.message
    report = SkipReport()
    assert len(loaders.load("iemocap", root, skip_bad=True, report=report)) == len(before)
    assert report.to_dict() == {"iemocap/copy_name": 1} and report.file_skips[("iemocap", "copy_name")] == 1


@pytest.mark.parametrize("name", [*loaders.READERS, "carehome"])
def test_finders_keep_both_copy_is_read_once_only_with_the_bytes_of_the_file_it_names(tmp_path, name):
    """macOS Finder's "Keep Both" names a second copy 'x 2.wav', as recordings are named of their own
    ('recording 7.wav'): it was no copy (a bad name, or in your own corpus an unlisted file) even beside an
    x.wav of its bytes. Beside the file it names, with its bytes, it is read once, as that file, counted as a
    duplicate copy and named in one warning; with other bytes it is a file of its own, as it was (never a
    copy_name), and in your own corpus a row names it as any other clip."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    first, other = (Path(r.path) for r in loaders.load(name, root)[:2])
    kept = first.with_name(f"{first.stem} 2{first.suffix}")
    shutil.copyfile(first, kept)
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"names a second copy of a file \(or its folder\)") as said:
        read = loaders.load(name, root, report=report)
    assert records_of(name, root) == before and str(kept) not in {r.path for r in read}
    assert report.files[(name, "duplicate")] >= 1 and not report
    assert f"{kept}: named as a browser or a file manager names a second copy" in str(said[-1].message)
    assert f"read once, as {first.name} " in str(said[-1].message)
    assert loaders.copies.folder_name("Angry 2") == "Angry 2"  # a folder so named: its own (no bytes to compare)
    shutil.copyfile(other, kept)  # another recording named so: a file of its own
    report = SkipReport()
    assert [r.id for r in _load_quietly(name, root, skip_bad=True, report=report)] == [r for r, *_ in before]
    assert len(report.examples) == 1 and "copy_name" not in report.to_dict()
    assert [path for found in report.examples.values() for path, _, _ in found] == [str(kept)]
    if name == "carehome":  # listed: a recording of its own, read as any other
        meta = root / "metadata.csv"
        row = next(
            line for line in meta.read_text().splitlines() if line.startswith(first.relative_to(root).as_posix())
        )
        with meta.open("a") as f:
            f.write(f"{kept.relative_to(root).as_posix()},{row.split(',', 1)[1]}\n")
        assert f"carehome/{kept.relative_to(root).as_posix()}" in {r for r, *_ in records_of(name, root)}


@pytest.mark.parametrize("name", ["crema_d", "tess", "carehome"])
def test_finders_keep_both_copy_of_a_numbered_file_is_its_copy(tmp_path, name):
    """Finder numbers a copy of 'x 2.wav' 'x 3.wav'; 'x 3.wav' was compared with 'x.wav' only, so beside an
    'x 2.wav' of its bytes (and an x.wav of other bytes) it was a file of its own: reported a second time (a bad
    name) in a corpus, and in your own corpus an unlisted file beside the listed 'x 2.wav'. It is that file's
    copy: read once, as 'x 2.wav', counted as a duplicate copy and named in one warning."""
    root = corpus(name, tmp_path)
    first, other = (Path(r.path) for r in loaders.load(name, root)[:2])
    second, third = (first.with_name(f"{first.stem} {n}{first.suffix}") for n in (2, 3))
    shutil.copyfile(other, second)  # another recording, named as Finder names a copy of x.wav
    shutil.copyfile(other, third)  # Finder's copy of 'x 2.wav'
    if name == "carehome":  # listed: a recording of its own
        meta = root / "metadata.csv"
        row = next(
            line for line in meta.read_text().splitlines() if line.startswith(first.relative_to(root).as_posix())
        )
        with meta.open("a") as f:
            f.write(f"{second.relative_to(root).as_posix()},{row.split(',', 1)[1]}\n")
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"names a second copy of a file \(or its folder\)") as said:
        read = {r.path for r in loaders.load(name, root, skip_bad=True, report=report)}
    assert str(third) not in read and report.files[(name, "duplicate")] >= 1
    assert f"{third}: named as a browser or a file manager names a second copy" in str(said[-1].message)
    assert f"read once, as {second.name} " in str(said[-1].message)
    if name == "carehome":
        assert str(second) in read and not report
    else:  # 'x 2.wav' is a file of its own, reported once (a bad name), its copy not again
        assert [path for found in report.examples.values() for path, _, _ in found] == [str(second)]


# a folder copied beside itself, for each reader (ESD's speaker folder as well as its emotion folder)
OWN = [(name, folder) for name, folder, _ in ALONE if name != "iemocap"] + [("iemocap", "Session1")]


@pytest.mark.parametrize(("name", "folder"), OWN, ids=[f"{n}-{f}" for n, f in OWN])
def test_a_clip_only_in_the_copy_of_its_folder_is_read_not_set_aside(tmp_path, name, folder):
    """A clip the folder lost and its second copy beside it kept ('0001 - Copy/Angry/0001_000352.wav' with no
    0001/Angry/0001_000352.wav) is a file of its own there: read, as every reader reads it. ESD set it aside
    as a duplicate copy when the copy was of a speaker folder (counted among 'duplicate copies', never read)."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    original = root / folder
    copy = Path(shutil.copytree(original, original.with_name(f"{original.name} - Copy")))
    copied = SkipReport()
    read = _load_quietly(name, root, report=copied)
    lost = next(Path(r.path) for r in read if Path(r.path).is_relative_to(original))
    lost.unlink()
    report = SkipReport()
    after = _load_quietly(name, root, report=report)
    kept = copy / lost.relative_to(original)
    assert [(r.id, r.emotions, r.speaker_id, r.official_split, r.text) for r in after] == before
    assert str(kept) in {r.path for r in after}
    # one copy fewer set aside: the one left without its counterpart is read, not counted as a duplicate copy
    assert report.files[(name, "duplicate")] == copied.files[(name, "duplicate")] - 1


@pytest.mark.parametrize(("name", "folder"), OWN, ids=[f"{n}-{f}" for n, f in OWN])
def test_a_copy_of_a_copy_beside_its_folder_is_its_copy(tmp_path, name, folder):
    """'AudioWAV - Copy - Copy/' beside 'AudioWAV/' (Explorer's paste of a copy, the first copy since deleted) was
    no copy of a folder beside it: CREMA-D never walked it (its files not even counted as seen), ESD warned of
    speaker folders found twice, the others read its clips again (duplicate_id). It is read as 'AudioWAV -
    Copy/' is: its files read once (counted as duplicate copies, named in one warning), or reported."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    original = root / folder
    copy = Path(shutil.copytree(original, original.with_name(f"{original.name} - Copy")))
    reports = []
    for _ in range(2):
        reports.append(SkipReport())
        with pytest.warns(InputWarning, match=rf"read once, as {original.name}/") as said:
            read = loaders.load(name, root, report=reports[-1])
        assert not [str(w.message) for w in said if "found more than once" in str(w.message)]
        assert records_of(name, root) == before and not any(r.path.startswith(f"{copy}{os.sep}") for r in read)
        copy = copy.rename(copy.with_name(f"{copy.name} - Copy"))  # then 'AudioWAV - Copy - Copy/' alone
    assert reports[1].files == reports[0].files and not reports[1] and reports[1].files[(name, "duplicate")] >= 1
    clips = [copy / Path(r.path).relative_to(original) for r in read if Path(r.path).is_relative_to(original)]
    shutil.copyfile(clips[1], clips[0])  # another recording under the copy's name: the message names the folder
    error = copy_name_error(name, root, clips[0])
    assert f"names a second copy of {original.name}/: a second copy of {original.name}/" in error.message


@pytest.mark.parametrize(("name", "folder"), OWN, ids=[f"{n}-{f}" for n, f in OWN])
def test_a_file_of_a_copied_folder_named_in_other_letters_is_a_copy_of_its_counterpart(tmp_path, name, folder):
    """'AudioWAV - Copy/1001_ieo_ang_lo.wav' beside 'AudioWAV/1001_IEO_ANG_LO.wav' (a copy through a disk that
    ignores case, which changed its letters) was a file of its own, read again: duplicate_id, or a second
    record. It is its counterpart's copy, as one in the same letters is: read once with its bytes, else
    copy_name naming that file."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    original = root / folder
    copy = original.with_name(f"{original.name} - Copy")
    baseline = SkipReport()
    read = _load_quietly(name, root, report=baseline)
    first = next(Path(r.path) for r in read if Path(r.path).is_relative_to(original))
    twin = copy / first.relative_to(original).with_name(first.name.swapcase())
    twin.parent.mkdir(parents=True)
    shutil.copyfile(first, twin)
    report = SkipReport()
    with pytest.warns(InputWarning, match=rf"read once, as {original.name}/{first.relative_to(original).as_posix()}"):
        loaders.load(name, root, report=report)
    duplicates = report.files[(name, "duplicate")] - baseline.files[(name, "duplicate")]
    assert records_of(name, root) == before and duplicates == 1 and not report
    twin.write_bytes(first.read_bytes()[:-2] + b"\x01\x02")  # another recording: which one is right?
    error = copy_name_error(name, root, twin)
    assert f"a second copy of {original.name}/{first.relative_to(original).as_posix()}" in error.message


# An audit hook stays for the rest of the process: it is added once, by the first _opened_files(), and records
# only within one (in that block's context), so the tests after it in a worker are neither recorded nor slowed
# by more than one comparison an audit event.
_RECORDING: ContextVar[list[str] | None] = ContextVar("opened_files", default=None)
_HOOKED = False


def _listen(event: str, args: tuple) -> None:
    if event == "open" and (opened := _RECORDING.get()) is not None and isinstance(args[0], str | bytes | os.PathLike):
        opened.append(os.fsdecode(args[0]))


@contextmanager
def _opened_files() -> Iterator[list[str]]:
    """The paths of the files opened within the block (by its thread), in order, in the list it gives."""
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_listen)
        _HOOKED = True
    opened: list[str] = []
    token = _RECORDING.set(opened)
    try:
        yield opened
    finally:
        _RECORDING.reset(token)


def test_the_open_listener_records_only_within_its_block_and_once(tmp_path):
    """_opened_files() twice adds one audit hook (a second would record each open twice), and between its
    blocks, or after them, nothing is recorded."""
    inside, between, again = (tmp_path / name for name in ("inside", "between", "again"))
    with _opened_files() as first:
        inside.write_text("x")
    between.write_text("x")
    with _opened_files() as second:
        again.write_text("x")
    assert (first, second) == ([str(inside)], [str(again)])


def test_numbered_copies_of_one_size_are_each_read_once(tmp_path):
    """kept_both compared 'take 100.wav' by content with each of the 98 files below its number: 99 numbered files of
    one size (other bytes) in one folder were 4,851 comparisons, each reading both files (0.18 s, growing with the
    square). Each file is now read once (a digest per file and its stat), whatever their number; what is found a
    copy is unchanged: 'take 101.wav' with the bytes of 'take 40.wav' is its copy."""
    from loaders.copies import kept_both

    folder = tmp_path / "numbered"
    folder.mkdir()
    paths = [folder / f"take {n}.wav" for n in range(2, 101)]
    for n, path in enumerate(paths):
        path.write_bytes(n.to_bytes(4, "big") * 4000)
    shutil.copyfile(paths[38], folder / "take 101.wav")
    with _opened_files() as opened:
        found = [kept_both(path) for path in [*paths, folder / "take 101.wav"]]
    assert found[:-1] == [None] * len(paths) and found[-1] == (paths[38], "macOS Finder (Keep Both)")
    assert max(opened.count(str(path)) for path in paths) == 1 and len(opened) <= len(paths) + 1


def test_a_numbered_copy_rewritten_in_place_with_its_size_and_modified_time_is_compared_anew(tmp_path):
    """kept_both kept a file's digest per (device, size, inode, modified time): 'take 2.wav' rewritten in place with
    other bytes of its size within one tick of a coarse clock (FAT's 2 s), or with its modified time set back (rsync
    -t, a restore, os.utime), kept its old digest, so it still counted as a copy of 'take.wav', whose bytes it no
    longer holds, in the same process (a notebook reading the corpus again); the key holds the change time too, which
    no one sets back."""
    from loaders.copies import kept_both

    original, copy = tmp_path / "take.wav", tmp_path / "take 2.wav"
    original.write_bytes(b"a" * 1000)
    copy.write_bytes(b"a" * 1000)
    assert kept_both(copy) == (original, "macOS Finder (Keep Both)")
    before = os.stat(copy)
    for _ in range(100):  # until the change time moves (the kernel's clock ticks every few ms)
        with open(copy, "r+b") as f:  # in place: the same inode
            f.write(b"b" * 1000)
        os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
        if os.stat(copy).st_ctime_ns != before.st_ctime_ns:
            break
        time.sleep(0.01)
    after = os.stat(copy)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert kept_both(copy) is None  # other bytes now: a file of its own


def test_a_numbered_copy_is_found_by_a_relative_path_or_an_absolute_one(tmp_path, monkeypatch):
    """kept_both adds each name to its folder's path (bench/bench_walk.py): a path with no folder ('take 2.wav' in the
    working folder) names its original with none either (not '/take.wav'), an absolute one in its own folder."""
    from loaders.copies import kept_both

    (tmp_path / "take.wav").write_bytes(b"a" * 100)
    (tmp_path / "take 2.wav").write_bytes(b"a" * 100)
    monkeypatch.chdir(tmp_path)
    assert kept_both(Path("take 2.wav")) == (Path("take.wav"), "macOS Finder (Keep Both)")
    assert str(kept_both(Path("take 2.wav").absolute())[0]) == str(tmp_path / "take.wav")


# the readers whose table lists each clip: a clip not read is a row's missing_audio too
ROWS = ("iemocap", "elderreact", "yuemotion")
LONE = [(name, form) for name in loaders.READERS for form in ("{} 2", "{} (1)", "{} - Copy")]


@pytest.mark.parametrize(("name", "form"), LONE, ids=[f"{n}-{f.format('x')}" for n, f in LONE])
def test_a_copy_named_file_with_no_original_beside_it_is_read_as_that_clip(tmp_path, name, form, capsys):
    """A Finder or Explorer copy with no original beside it ('x 2.wav', 'x (1).wav', 'x - Copy.wav', the original
    renamed or lost) was reported, as a bad file name or as a second copy of a file not there, though it is
    plainly the clip x (by every reader: CSED, ESD, ElderReact and YueMotion too). It is read as x (its record as the original's, from the copy's path), counted in the
    summary and named in one warning."""
    from bimotion.cli import main

    root = corpus(name, tmp_path)
    before, start = records_of(name, root), SkipReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)  # TESS's generated copy holds deeper copies: their warning
        first = Path(loaders.load(name, root, report=start)[0].path)
    copy = first.with_name(f"{form.format(first.stem)}{first.suffix}")
    first.rename(copy)
    report = SkipReport()
    with pytest.warns(InputWarning, match="no .* beside it") as said:
        read = loaders.load(name, root, report=report)
    assert records_of(name, root) == before and not report
    assert str(copy) in {r.path for r in read} and str(first) not in {r.path for r in read}
    assert (
        report.files[(name, "lone_copy")] == 1 and report.files[(name, "duplicate")] == start.files[(name, "duplicate")]
    )
    message = next(str(w.message) for w in said if "beside it" in str(w.message))
    assert f"read {copy.name!r} as {first.stem}: no {first.name} beside it" in message
    assert main(["scan", "-q", "--source", f"{name}={root}", "-o", str(tmp_path / "m.jsonl")]) == 0
    assert "read under a copy's name, no original beside it 1" in capsys.readouterr().out


@pytest.mark.parametrize("name", loaders.READERS)
def test_two_lone_copies_of_one_clip_are_read_once_or_not_at_all(tmp_path, name):
    """Two copies of one clip with no original beside them ('x (1).wav' and 'x 2.wav'): with one content the first
    in name order is read as x and the other counted as its duplicate copy; with two contents neither is read
    (which is x is the user's to say), each a copy_name naming the other."""
    root = corpus(name, tmp_path)
    before, start = records_of(name, root), SkipReport()
    first, other = (Path(r.path) for r in _load_quietly(name, root, report=start)[:2])
    browser, finder = (first.with_name(f"{first.stem}{n}{first.suffix}") for n in (" (1)", " 2"))
    shutil.copyfile(first, finder)
    first.rename(browser)
    report = SkipReport()
    read = _load_quietly(name, root, report=report)
    assert records_of(name, root) == before and not report
    assert str(browser) in {r.path for r in read} and str(finder) not in {r.path for r in read}
    assert report.files[(name, "lone_copy")] == 1
    assert report.files[(name, "duplicate")] == start.files[(name, "duplicate")] + 1
    shutil.copyfile(other, finder)  # another recording under the other copy's name
    error = copy_name_error(name, root, browser)
    assert f"there is no {first.name} beside it; {finder.name}, named as its copy too, holds other bytes" in str(error)
    report = SkipReport()
    read = _load_quietly(name, root, skip_bad=True, report=report)
    assert not {str(browser), str(finder)} & {r.path for r in read}  # TESS reads its deeper copy of the clip then
    row = {f"{name}/missing_audio": 1} if name in ROWS else {}  # its evaluation's or label file's row names it
    assert report.to_dict() == {f"{name}/copy_name": 2, **row} and report.files[(name, "lone_copy")] == 0


@pytest.mark.parametrize(("name", "table"), [("elderreact", "Annotations/notes.txt"), ("yuemotion", "notes.csv")])
def test_lone_copies_of_a_text_file_beside_the_clips_are_no_clips(tmp_path, name, table):
    """ElderReact walks its .txt label files, YueMotion its .csv tables, beside their clips: a lone copy's name is
    read as its clip's for the clips only ('x 2.mp4'), so 'notes (1).txt' and 'notes 2.txt', two texts with no
    notes.txt, are counted as not audio as before, not stopped at as one clip's two recordings (copy_name)."""
    root, start, report = corpus(name, tmp_path), SkipReport(), SkipReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        before = [r.id for r in loaders.load(name, root, report=start)]
        path = root / table
        for n, form in enumerate(("{} (1)", "{} 2")):
            path.with_name(f"{form.format(path.stem)}{path.suffix}").write_text(f"note {n}\n")
        assert [r.id for r in loaders.load(name, root, report=report)] == before and not report
    assert report.files[(name, "not_audio")] == start.files[(name, "not_audio")] + 2


CASED = [(name, form) for name in ("crema_d", "iemocap") for form in ("{} 2", "{} (1)")]


@pytest.mark.parametrize(("name", "form"), CASED, ids=[f"{n}-{f.format('X')}" for n, f in CASED])
def test_a_copy_named_file_beside_its_original_in_other_letters_is_its_copy_not_a_second_clip(tmp_path, name, form):
    """'x.wav' renamed to small letters by a FAT copy (read as X.wav) and Finder's 'X 2.wav' (or 'X (1).wav') beside
    it: the copy was taken as a lone copy (no 'X.wav' in these letters) and read as X too, so loading stopped at
    'is also at', even with skip_bad.  The original is now looked for in any letters, as the reader reads it: with
    its bytes the copy is a duplicate; with other bytes 'X (1).wav' is a copy_name naming x.wav, and 'X 2.wav' a
    name of its own (Finder's, a copy only beside a file of its bytes): the reader's counted skip."""
    root = corpus(name, tmp_path)
    before = records_of(name, root)
    first, other = (Path(r.path) for r in _load_quietly(name, root)[:2])
    copy, lower = first.with_name(f"{form.format(first.stem)}{first.suffix}"), first.with_name(first.name.lower())
    shutil.copyfile(first, copy)
    first.rename(lower)
    report = SkipReport()
    read = _load_quietly(name, root, report=report)
    assert records_of(name, root) == before and not report and str(lower) in {r.path for r in read}
    assert report.files[(name, "duplicate")] == 1 and report.files[(name, "lone_copy")] == 0
    shutil.copyfile(other, copy)  # another recording under the copy's name
    report = SkipReport()
    read = _load_quietly(name, root, skip_bad=True, report=report)
    assert [r.id for r in read] == [r for r, *_ in before] and str(copy) not in {r.path for r in read}
    own = {"crema_d": "bad_name", "iemocap": "unexpected_name"}[name] if form == "{} 2" else "copy_name"
    assert report.to_dict() == {f"{name}/{own}": 1}
    if own == "copy_name":
        assert f"a second copy of {lower.name}, but its bytes differ from that file's beside it" in report.format()


def test_a_copied_folders_warning_names_five_of_its_copies_and_lists_every_one_beside_the_output(tmp_path, capsys):
    """The warning naming the second copies of a copied folder named the first and "and 7 more": the other 7 were
    named nowhere (naming all inline was 1 MB of one line for a copied corpus). It names the first five and says
    where every one is listed: OUTPUT.warned.tsv, beside OUTPUT.skipped.tsv; a Python caller finds them in the
    report's ``named``."""
    import csv

    from bimotion.cli import main

    root = testing.make_corpus("csed", tmp_path / "raw")
    data = root / "Training Data (wav)"
    copies = []
    for folder in ("Positive", "Negative"):
        shutil.copytree(data / folder, data / f"{folder} - Copy")
        copies += [str(p) for p in (data / f"{folder} - Copy").glob("[!.]*.wav")]  # not ._x.wav, Finder's
    out = tmp_path / "manifest.jsonl"
    assert main(["scan", "--source", f"csed={root}", "--output", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    listed = Path(f"{out}.warned.tsv")
    warning = next(line for line in err.splitlines() if "second copy of a file (or its folder)" in line)
    assert f"and {len(copies) - 1} more: " in warning and f"(the other {len(copies) - 1}: " in warning, warning
    where = f"every one in {listed}, or in {out}.failed.warned.tsv if this run fails"  # a failed run's list
    assert warning.endswith(f"and {len(copies) - 5} more; {where})"), warning
    assert sum(copy in warning for copy in copies) == 5, warning
    assert all(warning.count(copy) <= 1 for copy in copies), warning  # the first was named twice
    assert f"every file a warning named: {listed}" in err
    with listed.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    assert rows[0] == ["corpus", "warning", "file", "of"] and sorted(row[2] for row in rows[1:]) == sorted(copies)
    assert {tuple(row[:2]) for row in rows[1:]} == {("csed", "copies")}
    prepared = tmp_path / "prepared"  # prepare's, beside its folder
    assert main(["prepare", "--source", f"csed={root}", "--output", str(prepared), "--quiet"]) == 0
    assert f"every one in {prepared}.warned.tsv, or in {prepared}.failed.warned.tsv if" in capsys.readouterr().err
    assert Path(f"{prepared}.warned.tsv").read_bytes() == listed.read_bytes()
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"every one in the SkipReport's `named`\)$"):
        loaders.load("csed", root, report=report)
    assert sorted(file for file, _ in report.named[("csed", "copies")]) == sorted(copies)
    shutil.rmtree(data / "Positive - Copy"), shutil.rmtree(data / "Negative - Copy")
    assert main(["scan", "--source", f"csed={root}", "--output", str(out), "--quiet"]) == 0
    assert not listed.exists()  # nothing named: the earlier run's list is not left to mislead
