"""One row of a user corpus's ``metadata.csv`` / ``metadata.jsonl`` (:mod:`loaders.metadata` reads the rows), its
cells read as an :class:`~loaders.record.Utterance`'s fields: its emotions (:func:`row_emotions`, through the corpus's
label map) and its language, age, age group, gender, speaker, split and text (:func:`row_fields`), each cell in the
spellings a sheet gives it (:data:`GENDER_SPELLINGS`, :data:`AGE_GROUPS`, :data:`SPLITS`, ages with a unit of
:data:`YEARS`), or a :class:`~loaders.errors.BadFileError` naming the clip, the metadata's line and the fix.  Cells
are read in Unicode's composed form (:func:`~loaders.metafiles.composed`)."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from .errors import SKIP_BAD, BadFileError, bad
from .labels import CHINESE_SCRIPTS, CORPUS_LABEL_MAPS, EMOTION_WORDS, LABEL_CODES, LABELS, NEGATIONS
from .languages import group_code_hint, is_language_code, language_hint
from .metafiles import composed
from .record import ELDERLY_MIN_AGE, LANGUAGE_CODE, OWN_MIN_AGE, age_group_of, elderly_min_age

# with the spaces around them ("happy, sad"); and as a Chinese or Japanese input method types them: the
# full-width comma, semicolon and bar, and the enumeration comma ("開心、驚", "開心，驚")
SEPARATORS = re.compile(r"\s*[;,|\uff0c\uff1b\uff5c\u3001]\s*")
MIN_AGE_YEARS, MAX_AGE_YEARS = OWN_MIN_AGE, 130
# a unit of years an age may be written with after its number (in any case, with or without a space):
# 72 years, 72 yrs, 72y, 72 y.o., 72 year old, 72-year-old, 72歲 (traditional), 72岁 (simplified), 72 tahun
# and 72 thn, 72 th (Indonesian, Malay); any other (72 months) leaves the cell what it is, no number of years: a bad_age
YEARS = ("years old", "year old", "years-old", "year-old", "years", "year", "tahun", "thn", "th", "y.o.", "yrs", "yr",
         "yo", "y", "歲", "岁")  # fmt: skip
# an age cell giving a decade, "80s", "80's", as a sheet writes a resident's age it does not know exactly
DECADE = re.compile(r"([1-9]\d?0)\s*['\u2019]?s", re.IGNORECASE)
# a gender cell's spellings (in any case) per gender: English, Chinese, and Indonesian (P, Perempuan,
# Wanita; L, Laki-laki, Pria) and Malay (Perempuan, Wanita; Lelaki), whose forms sheets abbreviate to P/L;
# one spelling means one gender (tests/test_loader_audiofolder.py checks that none is listed twice)
GENDER_SPELLINGS = {
    "f": ("f", "female", "woman", "w", "女", "女性", "p", "perempuan", "wanita"),
    "m": ("m", "male", "man", "男", "男性", "l", "laki-laki", "pria", "lelaki"),
}
GENDERS = {spelling: gender for gender, spellings in GENDER_SPELLINGS.items() for spelling in spellings}
# a cell saying it is not known: as typed, as pandas (nan) and R (NA) write it, Excel's #N/A; an age or
# age_group so given is one not given
UNKNOWN = ("", "unknown", "na", "n/a", "none", "null", "nan", "#n/a")
AGE_GROUPS = {"eld": "eld", "elderly": "eld", "adu": "adu", "adult": "adu", "adults": "adu",
              **dict.fromkeys(("長者", "长者", "老年", "老人"), "eld"), **dict.fromkeys(("成人", "成年"), "adu"),
              # Indonesian and Malay: lansia (lanjut usia), manula; Malay warga emas; dewasa, adult in both
              **dict.fromkeys(("lansia", "lanjut usia", "manula", "warga emas"), "eld"), "dewasa": "adu"}  # fmt: skip
SPLITS = {"train": "train", "test": "test", **dict.fromkeys(("validation", "valid", "val", "dev"), "validation"),
          "訓練": "train", "训练": "train", "驗證": "validation", "验证": "validation", "測試": "test", "测试": "test"}  # fmt: skip


class Where(NamedTuple):
    """A metadata row's clip and its place in the metadata (``metadata.csv line 7``)."""

    path: Path
    line: str


def cell(cells: dict, key: str) -> str:
    """A row's ``key`` cell as text without spaces around it, in composed form; ``""`` where it has none."""
    value = cells.get(key)
    return "" if value is None else composed(str(value).strip())


def row_emotions(at: Where, cells: dict, labels: dict) -> tuple[tuple[str, ...], dict[str, list[str]]]:
    """The shared labels a row's ``emotion``/``emotions`` cell names (:data:`SEPARATORS` between them, or a JSON list),
    each mapped by ``labels`` (a :class:`~loaders.label_map.LabelMap`) or a shared label's name in any case; and
    the user's own label names that gave them, where other than the shared label's (``{"anger": ["marah"]}``, as
    the label map spells them), which the record keeps (``extra["label_words"]``) for the notes to name."""
    value = cells.get("emotions", cells.get("emotion"))
    names = (
        [composed(str(v).strip()) for v in value]
        if isinstance(value, list)
        else SEPARATORS.split(cell(cells, "emotions") or cell(cells, "emotion"))
    )
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise bad(at.path, "missing_label", f"{at.line}: no emotion", "give the clip's emotion(s)", SKIP_BAD)
    out, words = [], {}
    for name in names:
        key = composed(name.casefold())
        targets = labels.get(key) or ((name.lower(),) if name.lower() in LABELS else None)
        if targets is None:
            mapped = ", ".join(sorted(labels)) or "none"
            if scripts := _other_script(key, sorted(labels)):  # '开心' with '開心' mapped
                other, script = scripts
                meant = (
                    f" (in {script} characters, the label map's {other!r}: write {other!r} in {at.line}, or map it too)"
                )
            elif near := _near_label(key, [*sorted(labels), *LABELS]):
                meant = f" (did you mean {near!r}? then correct it in {at.line})"  # 'marh': marah
            else:
                meant = ""
            raise bad(
                at.path,
                "unknown_label",
                f"{at.line}: emotion {name!r}{meant} is not mapped onto the shared labels (mapped: {mapped}; "
                f"shared: {', '.join(LABELS)})",
                labels.how_to_add(name),  # a loaders.label_map.LabelMap: the fix in the form of its file
                SKIP_BAD,
            )
        out.extend(targets)
        word = getattr(labels, "spelling", {}).get(key, name)  # the user's own name, as the label map spells it
        for target in (t for t in targets if t != word.casefold()):
            if word not in words.setdefault(target, []):
                words[target].append(word)
    return tuple(dict.fromkeys(out)), words


TO_TRADITIONAL, TO_SIMPLIFIED = str.maketrans(*CHINESE_SCRIPTS), str.maketrans(*reversed(CHINESE_SCRIPTS))


def _other_script(name: str, mapped: list[str]) -> tuple[str, str] | None:
    """The mapped label ``name`` writes in the other Chinese script (:data:`~loaders.labels.CHINESE_SCRIPTS`), and
    the script ``name`` is in: ``开心`` with ``開心`` mapped, ``('開心', 'simplified')``, a spelling of a mapped label,
    not another emotion (which :func:`_near_label` takes every emotion word for); None where there is none."""
    for table, script in ((TO_TRADITIONAL, "simplified"), (TO_SIMPLIFIED, "traditional")):
        if (other := name.translate(table)) != name and other in mapped:
            return other, script
    return None


def _near_label(name: str, known: list[str]) -> str | None:
    """The label ``name`` was likely a typo of: a close match (``marh``: ``marah``), or of a short name, where no
    match is that close, the one label of its length differing from it in one character (``傷新``: ``傷心``, an
    input method's homophone; two characters differing in one match only half as closely), unless ``name`` is
    itself an emotion word bimotion knows (:func:`_emotion_word`: ``害羞``, shy, one character from ``害怕``,
    afraid; ``mad`` from ``sad``), which one character makes another word, not a typo, nor a close match of another
    emotion (``唔開心``, unhappy, from ``開心``, happy; ``tenang``, calm, from ``senang``, glad); nor, of a close
    match, the label ``name`` negates or that negates it (:func:`_negated`: ``不高兴`` with ``高兴`` mapped)."""
    if _emotion_word(name):
        return None
    if near := difflib.get_close_matches(name, known, n=1, cutoff=0.8):
        return None if _negated(name, near[0]) else near[0]  # 'unhappy' is not a typo of 'happy'
    one_off = {k for k in known if 2 <= len(k) == len(name) <= 4 and sum(a != b for a, b in zip(k, name)) == 1}
    return one_off.pop() if len(one_off) == 1 else None


def _negated(name: str, label: str) -> bool:
    """Whether ``name`` and ``label`` differ only by a prefix that makes one the other's opposite (``NEGATIONS``:
    ``unhappy`` and ``happy``, ``不开心`` and ``开心``): two emotions, not a typo."""
    return any(name == prefix + label or label == prefix + name for prefix in NEGATIONS)


def _emotion_word(name: str) -> bool:
    """Whether ``name`` (casefolded) is an emotion word of a language bimotion knows: a shared label, its code, a
    built-in corpus's label (``CORPUS_LABEL_MAPS``) or a word of ``EMOTION_WORDS``."""
    codes = (code.casefold() for labels in CORPUS_LABEL_MAPS.values() for code in labels)
    return name in EMOTION_WORDS or name in LABELS or name in LABEL_CODES.values() or name in codes


def _spelling(cells: dict, column: str, accepted, fail) -> str:
    """The ``column`` cell lower-cased, when it is empty or one of the ``accepted`` spellings (in any
    case); else the ``bad_<column>`` error showing the cell as written and listing them."""
    written = cell(cells, column)
    if not written or written.lower() in accepted:
        return written.lower()
    hint = f"write one of {', '.join(accepted)} (in any case), or leave it empty"
    raise fail(f"bad_{column}", f"{column} {written!r} is not a spelling this reader knows", hint)


def row_fields(at: Where, cells: dict, ages_of: Callable[[dict], str]) -> dict:
    """A row's language, age, age_group, gender, speaker_id, official_split and text; ``ages_of``: what the other rows
    of its speaker give as its age, said where it gives none."""

    def fail(reason: str, message: str, hint: str) -> BadFileError:
        return bad(at.path, reason, f"{at.line}: {message}", hint, SKIP_BAD)

    language = cell(cells, "language").lower()
    if not language:
        raise fail(
            "missing_language",
            "no language is given on this line",
            "give the ISO 639-3 code of the language spoken, e.g. 'ind' (Indonesian), 'yue' (Cantonese)",
        )
    if not LANGUAGE_CODE.fullmatch(language) or not is_language_code(language):
        raise fail(
            "bad_language",
            f"language {cell(cells, 'language')!r} is not an ISO 639-3 code",
            language_hint(cell(cells, "language")),
        )
    if hint := group_code_hint(language):
        raise fail("bad_language", f"language {cell(cells, 'language')!r} is not the code bimotion's groups use", hint)
    age = age_years(cell(cells, "age"), language, fail)
    given = AGE_GROUPS.get(_spelling(cells, "age_group", (*AGE_GROUPS, *filter(None, UNKNOWN)), fail), "")
    if age is None and not given:
        raise fail(
            "missing_age",
            f"neither age nor age_group is given{ages_of(cells)}",
            "give the speaker's age in years or age group",
        )
    age_group = given or age_group_of(age, language)
    if age is not None and age_group != age_group_of(age, language):
        raise fail(
            "bad_age",
            f"age {age:g} is not in age_group {cell(cells, 'age_group')!r} ({_elderly_means(language)})",
            f"fix one of them (for age {age:g}: age_group {age_group_of(age, language)}, or leave age_group empty)",
        )
    gender = _spelling(cells, "gender", (*GENDERS, *filter(None, UNKNOWN)), fail)
    split = _spelling(cells, "split", SPLITS, fail)
    return {
        "language": language,
        "age_group": age_group,
        "age": age,
        "gender": GENDERS.get(gender),
        "speaker_id": cell(cells, "speaker_id") or None,
        "official_split": SPLITS.get(split),
        "text": cell(cells, "text") or None,
    }


def _elderly_means(language: str) -> str:
    """What elderly means for ``language``'s rows, and why where it is not the paper's 60."""
    low = elderly_min_age(language)
    if low == ELDERLY_MIN_AGE:
        return f"elderly means {low} or more, the paper's"
    return (
        f"in {language} rows elderly means {low} or more: YueMotion's authors grouped its speakers so, "
        "and every corpus's rows of its groups are grouped alike"
    )


def age_years(text: str, language: str, fail) -> float | None:
    if text.lower() in UNKNOWN:
        return None
    number = _without_years(text)
    try:  # a decimal comma (70,5), as spreadsheets write it in many locales, reads as 70.5
        age = float(number.replace(",", ".") if number.count(",") == 1 and "." not in number else number)
    except ValueError:
        age = math.nan
    if not math.isfinite(age) or not MIN_AGE_YEARS <= age <= MAX_AGE_YEARS:
        raise fail(
            "bad_age",
            f"age {text!r} is not a number of years from {MIN_AGE_YEARS} to {MAX_AGE_YEARS}",
            _no_age_fix(text, language)
            or f"give the age in years, a number (72) or with a unit of years ({', '.join(YEARS)}: 72 years, 72歲; "
            f"the groups are adults and the elderly, {elderly_min_age(language)}+), or leave it empty and give "
            "age_group",
        )
    return age


def _no_age_fix(text: str, language: str) -> str | None:
    """The fix of an age cell that says an age group (``elderly``, ``長者``: :data:`AGE_GROUPS`) or a decade
    (``80s``, ``80's``) instead of an age, as a care home's sheet writes it: where it goes, or the age group
    the decade's ages share (none where they straddle ``language``'s elderly age, ``50s`` in Cantonese); never
    an age to write, which would be made up."""
    if group := AGE_GROUPS.get(text.lower()):
        return f"{text!r} is an age group: give it in an age_group column ({text!r} or {group}) and leave age empty"
    if not (decade := DECADE.fullmatch(text)):
        return None
    low, high, elderly = int(decade[1]), int(decade[1]) + 9, elderly_min_age(language)
    ages = f"{text!r} is a decade, not one age: give the age in years where it is known"
    if low < elderly <= high:
        return f"{ages} (of ages {low} to {high} some are adults and some elderly, {elderly}+ in {language} rows)"
    group = age_group_of(low, language)
    words = f"elderly: {elderly} or more" if group == "eld" else f"adults: under {elderly}"
    return f"{ages}, or leave it empty and give age_group {group} (ages {low} to {high} are all {words})"


def _without_years(text: str) -> str:
    """An age cell's number without the unit of years (:data:`YEARS`) written after it (``72 years``,
    ``72y``, ``72-year-old``, ``72歲``: ``72``); any other cell as it is."""
    for unit in YEARS:  # "72 years old" before "72 years": no unit ends another listed before it
        number = text[: -len(unit)].rstrip(" -")  # 72-year-old
        if text.lower().endswith(unit) and number[-1:].isdigit():
            return number
    return text
