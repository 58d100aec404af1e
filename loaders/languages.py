"""Language codes and names: the English names of the ISO 639-3 codes bimotion names, their ISO 639-1
(two-letter) codes, and the code a metadata cell meant when it gave a two-letter code or a name."""

from __future__ import annotations


class LanguageNames(dict):
    """ISO 639-3 code -> English name; a code without one reads as ``language 'xyz'``."""

    def __missing__(self, code: str) -> str:
        return f"language '{code}'"


LANGUAGE_NAMES = LanguageNames(
    eng="English", zho="Mandarin", yue="Cantonese",
    # a few more, for the groups users bring (any other ISO 639-3 code works, named by its code)
    ind="Indonesian", zsm="Malay", msa="Malay", nan="Hokkien (Min Nan)", hak="Hakka", wuu="Wu", tgl="Tagalog",
    fil="Filipino", vie="Vietnamese", tha="Thai", khm="Khmer", mya="Burmese", jpn="Japanese", kor="Korean",
    hin="Hindi", ben="Bengali", tam="Tamil", urd="Urdu", ara="Arabic", tur="Turkish", fas="Persian",
    spa="Spanish", por="Portuguese", fra="French", deu="German", ita="Italian", nld="Dutch", rus="Russian",
    pol="Polish", swa="Swahili", yor="Yoruba", hau="Hausa", amh="Amharic", jav="Javanese", sun="Sundanese",
    ceb="Cebuano", ilo="Ilocano", lao="Lao", nep="Nepali", sin="Sinhala", tel="Telugu", mar="Marathi",
    pan="Punjabi", guj="Gujarati", kan="Kannada", mal="Malayalam", zul="Zulu", xho="Xhosa", ibo="Igbo",
    ell="Greek", ukr="Ukrainian",
)  # fmt: skip
# ISO 639-3 -> ISO 639-1 for the languages of LANGUAGE_NAMES (the Hub's codes where the optional iso639-lang
# package is absent); yue, nan, hak, wuu, fil, ceb and ilo have no two-letter code
ISO_639_1 = {
    "eng": "en", "zho": "zh", "cmn": "zh", "ind": "id", "zsm": "ms", "msa": "ms", "tgl": "tl", "vie": "vi",
    "tha": "th", "khm": "km", "mya": "my", "jpn": "ja", "kor": "ko", "hin": "hi", "ben": "bn", "tam": "ta",
    "urd": "ur", "ara": "ar", "tur": "tr", "fas": "fa", "spa": "es", "por": "pt", "fra": "fr", "deu": "de",
    "ita": "it", "nld": "nl", "rus": "ru", "pol": "pl", "swa": "sw", "yor": "yo", "hau": "ha", "amh": "am",
    "jav": "jv", "sun": "su", "lao": "lo", "nep": "ne", "sin": "si", "tel": "te", "mar": "mr", "pan": "pa",
    "guj": "gu", "kan": "kn", "mal": "ml", "zul": "zu", "xho": "xh", "ibo": "ig", "ell": "el", "ukr": "uk",
}  # fmt: skip
_OF_TWO_LETTERS = {two: three for three, two in reversed(ISO_639_1.items())}  # zh -> zho, ms -> zsm
_OF_NAME = {name.casefold(): code for code, name in reversed(LANGUAGE_NAMES.items())}


def language_hint(given: str) -> str:
    """What to write instead of ``given``, a language cell that is no ISO 639-3 code: the code of a
    two-letter code (``jv`` -> ``jav``) or of an English name (``Javanese``) where it is known."""
    text = given.strip()
    code = _OF_TWO_LETTERS.get(text.lower()) or _OF_NAME.get(text.casefold())
    if code:
        kind = "the ISO 639-1 code" if text.lower() in _OF_TWO_LETTERS else "the name"
        return f"write {code!r}, the ISO 639-3 code of {LANGUAGE_NAMES[code]} ({text!r} is {kind})"
    return "give three lower-case letters, e.g. 'ind' (Indonesian), 'yue' (Cantonese), 'nan' (Hokkien)"
