"""Language codes and names: the English names of the ISO 639-3 codes bimotion names, their ISO 639-1
(two-letter) codes, whether a code is in ISO 639-3 at all (SIL's code table, shipped as
``loaders/data/iso639-3.tsv``), and the code a metadata cell meant when it gave a two-letter code, a
locale tag (``en-US``) or a name."""

from __future__ import annotations

import functools
import re
from importlib import resources


class LanguageNames(dict):
    """ISO 639-3 code -> English name: bimotion's own (``zho``: Mandarin), else the reference name of
    SIL's table (:func:`iso639_3`); a code in neither reads as ``language 'xyz'``."""

    def known(self, code: str) -> str | None:
        """The English name of ``code``, or None where neither names it."""
        return self.get(code) or iso639_3().get(code, ("", ""))[1] or None

    def __missing__(self, code: str) -> str:
        return self.known(code) or f"language '{code}'"


LANGUAGE_NAMES = LanguageNames(
    eng="English", zho="Mandarin", yue="Cantonese",
    # a few more, for the groups users bring (any other ISO 639-3 code works, named by SIL's table)
    ind="Indonesian", zsm="Malay", nan="Hokkien (Min Nan)", hak="Hakka", wuu="Wu", tgl="Tagalog",
    fil="Filipino", vie="Vietnamese", tha="Thai", khm="Khmer", mya="Burmese", jpn="Japanese", kor="Korean",
    hin="Hindi", ben="Bengali", tam="Tamil", urd="Urdu", ara="Arabic", tur="Turkish", fas="Persian",
    spa="Spanish", por="Portuguese", fra="French", deu="German", ita="Italian", nld="Dutch", rus="Russian",
    pol="Polish", swa="Swahili", yor="Yoruba", hau="Hausa", amh="Amharic", jav="Javanese", sun="Sundanese",
    ceb="Cebuano", ilo="Ilocano", lao="Lao", nep="Nepali", sin="Sinhala", tel="Telugu", mar="Marathi",
    pan="Punjabi", guj="Gujarati", kan="Kannada", mal="Malayalam", zul="Zulu", xho="Xhosa", ibo="Igbo",
    ell="Greek", ukr="Ukrainian",
)  # fmt: skip
# ISO 639-3 -> ISO 639-1 for the languages of LANGUAGE_NAMES, the Hub's choice where a macrolanguage's code
# serves a member (zsm -> ms, cmn -> zh); yue, nan, hak, wuu, fil, ceb and ilo have no two-letter code
ISO_639_1 = {
    "eng": "en", "zho": "zh", "cmn": "zh", "ind": "id", "zsm": "ms", "msa": "ms", "tgl": "tl", "vie": "vi",
    "tha": "th", "khm": "km", "mya": "my", "jpn": "ja", "kor": "ko", "hin": "hi", "ben": "bn", "tam": "ta",
    "urd": "ur", "ara": "ar", "tur": "tr", "fas": "fa", "spa": "es", "por": "pt", "fra": "fr", "deu": "de",
    "ita": "it", "nld": "nl", "rus": "ru", "pol": "pl", "swa": "sw", "yor": "yo", "hau": "ha", "amh": "am",
    "jav": "jv", "sun": "su", "lao": "lo", "nep": "ne", "sin": "si", "tel": "te", "mar": "mr", "pan": "pa",
    "guj": "gu", "kan": "kn", "mal": "ml", "zul": "zu", "xho": "xh", "ibo": "ig", "ell": "el", "ukr": "uk",
}  # fmt: skip
# an individual language's ISO 639-3 code where bimotion's groups name that language by its macrolanguage's:
# Mandarin is zho (zho_eld, zho_adu: CSED's and ESD's Mandarin), so a corpus's rows written 'cmn' made a group
# of their own, cmn_eld ("Mandarin Chinese"), which the unions, the grid and advise took for another language
# Malay is zsm, Standard Malay (Malaysia's, Singapore's, Brunei's), an individual language as Indonesian, ind, is:
# msa, the macrolanguage (Indonesian among its members), named Malay too, made a second Malay group of the same rows
GROUP_CODE = {"cmn": "zho", "msa": "zsm"}
# why a code of GROUP_CODE is not its language's, where that is more than another code for the same language
GROUP_CODE_WHY = {
    "msa": "'msa' is Malay the macrolanguage, whose members include Indonesian ('ind'): Standard Malay is 'zsm'",
}
_OF_TWO_LETTERS = {two: three for three, two in reversed(ISO_639_1.items())}  # zh -> zho, ms -> zsm
# names a sheet gives in the language's own script (a Hong Kong team types 粵語, not Cantonese)
NATIVE_NAMES = {
    **dict.fromkeys(("粵語", "粤语", "廣東話", "广东话", "廣州話", "广州话", "白話", "白话"), "yue"),
    **dict.fromkeys(("普通話", "普通话", "國語", "国语", "華語", "华语"), "zho"),
    **dict.fromkeys(("英語", "英语", "英文"), "eng"),
}
_OF_NAME = {name.casefold(): code for code, name in reversed(LANGUAGE_NAMES.items())} | NATIVE_NAMES
# what names Chinese without saying which: Hong Kong's and Macau's locale tags (where Cantonese is spoken), 中文
_EITHER_CHINESE = re.compile(r"zh([-_]hant)?[-_](hk|mo)|中文|漢語|汉语|中國話|中国话", re.IGNORECASE)
_CHINESE_EXTLANG = re.compile(r"zh[-_]([a-z]{3})", re.IGNORECASE)  # BCP 47's zh-yue (Cantonese), zh-cmn, zh-nan
CODE_TABLE = "iso639-3.tsv"  # in loaders/data: code, ISO 639-1 code, reference name; '#' lines say its source
LOCAL_USE = re.compile(r"q[a-t][a-z]")  # qaa-qtz: reserved by ISO 639 for local use, never assigned
_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})+")  # a locale or BCP 47 tag: en-US, zh_Hant_TW, yue-HK


@functools.cache
def iso639_3() -> dict[str, tuple[str, str]]:
    """Every ISO 639-3 code -> (its ISO 639-1 code or "", its reference name), from the shipped table."""
    text = resources.files("loaders").joinpath("data", CODE_TABLE).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return {code: (two, name) for code, two, name in rows[1:]}


def is_language_code(code: str) -> bool:
    """Whether ``code`` (lower case) is an ISO 639-3 code, or one reserved for local use (qaa-qtz)."""
    return code in iso639_3() or bool(LOCAL_USE.fullmatch(code))


def _meant(text: str) -> tuple[str, str] | None:
    """(the ISO 639-3 code ``text`` meant, what ``text`` is), where one is clear."""
    lower, table = text.lower(), iso639_3()
    extlang = _CHINESE_EXTLANG.fullmatch(lower)  # zh-yue is Cantonese; zh-cmn, Mandarin, is bimotion's zho (zh)
    if extlang and extlang.group(1) in table and extlang.group(1) != "cmn":
        return extlang.group(1), f"a language tag; {extlang.group(1)!r} is the ISO 639-3 code"
    if tag := _TAG.fullmatch(lower):  # en-US -> en -> eng; yue-HK -> yue
        primary = tag.group(1)
        found = (primary, "the ISO 639-3 code") if primary in table else _meant(primary)
        return (found[0], f"a locale tag; {tag.group(1)!r} is {found[1]}") if found else None
    if lower in _OF_TWO_LETTERS:  # the Hub's choice for a macrolanguage: ms -> zsm, zh -> zho
        return _OF_TWO_LETTERS[lower], "the ISO 639-1 code"
    by_two, by_name = _table_codes()
    if lower in by_two:
        return by_two[lower], "the ISO 639-1 code"
    if code := _OF_NAME.get(text.casefold()) or by_name.get(text.casefold()):
        return code, "the name"
    return None


@functools.cache
def _table_codes() -> tuple[dict[str, str], dict[str, str]]:
    """The table's ISO 639-3 codes by ISO 639-1 code and by reference name (casefolded), made once: made
    for each bad cell, they took a millisecond a row (5 s for 5000 rows giving a name, with --skip-bad)."""
    table = iso639_3()
    return (
        {two: code for code, (two, _) in table.items() if two},
        {name.casefold(): code for code, (_, name) in table.items()},
    )


def language_hint(given: str) -> str:
    """What to write instead of ``given``, a language cell that is no ISO 639-3 code: the code of a
    two-letter code (``jv`` -> ``jav``), of a locale tag (``en-US`` -> ``eng``) or of an English name
    (``Javanese``, ``Swedish``) where it is known."""
    text = given.strip()
    if _EITHER_CHINESE.fullmatch(text):
        return (
            f"write 'yue' for Cantonese or 'zho' for Mandarin: {text!r} says Chinese"
            + (", as used where Cantonese is spoken," if "-" in text or "_" in text else "")
            + " but not which language"
        )
    if found := _meant(text):
        code, kind = found
        if hint := group_code_hint(code):  # 'Mandarin Chinese', cmn-CN: cmn, which rows may not be written as
            return f"{hint} ({text!r} is {kind})"
        return f"write {code!r}, the ISO 639-3 code of {LANGUAGE_NAMES[code]} ({text!r} is {kind})"
    if re.fullmatch(r"[a-z]{3}", text.lower()):
        return (
            f"{text.lower()!r} is not in ISO 639-3 (SIL's code table, https://iso639-3.sil.org/code_tables/639): "
            "look the language up there, or use one of qaa-qtz, reserved for local use"
        )
    return "give an ISO 639-3 code, three letters (in any case), e.g. 'ind' (Indonesian), 'yue' (Cantonese), 'nan' (Hokkien)"


def group_code_hint(code: str) -> str | None:
    """What to write instead of ``code``, a valid ISO 639-3 code of a language bimotion's groups name by
    another code (``cmn`` -> ``zho``), or None where ``code`` is the one they use."""
    if (meant := GROUP_CODE.get(code)) is None:
        return None
    groups = ", ".join(f"{meant}_{age}" for age in ("eld", "adu"))
    return (
        f"write {meant!r}, the code bimotion's groups give {LANGUAGE_NAMES[meant]} ({groups}): as {code!r} its rows "
        f"would be a group of their own ({code}_eld, {code}_adu), apart from {meant}'s and compared with them as "
        "another language" + (f" ({GROUP_CODE_WHY[code]})" if code in GROUP_CODE_WHY else "")
    )
