"""The fonts a figure's text is drawn in, and text no installed font holds: a glyph matplotlib's default font
lacks (a corpus of one's own named 耆樂情緒語料) is taken from an installed Chinese, Japanese or Korean font
(:func:`font_families`, which :func:`bimotion.figures.pyplot` sets); :func:`drawable` says whether any holds a
text's glyphs, and :func:`warn_missing_glyphs` says once in a process, with how to install one, where none does
(:class:`MissingGlyphWarning`).  Sizes, wrapping and saving are :mod:`bimotion.figures`'."""

from __future__ import annotations

import functools
from pathlib import Path

# Fonts holding Chinese (and Japanese) glyphs, as Windows, macOS and Linux install them: a figure's text
# that matplotlib's default font lacks a glyph of (a corpus of one's own named 耆樂情緒語料) takes it from
# the first of these installed (matplotlib's font fallback), instead of drawing an empty box.
CJK_FONTS = ("Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans TC",
             "Source Han Sans SC", "Microsoft JhengHei", "Microsoft YaHei", "PingFang HK", "PingFang TC",
             "PingFang SC", "Hiragino Sans GB", "Heiti TC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "AR PL UMing TW", "Arial Unicode MS")  # fmt: skip


@functools.cache
def font_families() -> tuple[str, ...]:
    """The families every figure's text is drawn in: matplotlib's default (``sans-serif``), then each
    installed font of :data:`CJK_FONTS`, which a glyph the default lacks is taken from."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ("sans-serif", *(name for name in CJK_FONTS if name in installed))


@functools.cache
def _glyphs() -> frozenset[int]:
    """The code points the fonts of :func:`font_families` hold a glyph of."""
    from matplotlib import font_manager, ft2font

    paths = {font_manager.findfont(font_manager.FontProperties(family=[family])) for family in font_families()}
    return frozenset(code for path in paths for code in ft2font.FT2Font(path).get_charmap())


def drawable(text: str) -> bool:
    """Whether a figure draws every character of ``text`` (none as an empty box, for want of a font
    holding it: Chinese on a machine with no Chinese font)."""
    return all(ord(ch) in _glyphs() for ch in text if not ch.isspace())


# Chinese, Japanese and Korean script, which a font of CJK_FONT_HINT's holds: hangul, radicals to CJK punctuation,
# kana, ideographs (extensions A to H), compatibility, vertical and full-width forms, kana supplements.
CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
              (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F),
              (0xFF00, 0xFFEF), (0x1AFF0, 0x1B16F), (0x20000, 0x323AF))  # fmt: skip


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is Chinese, Japanese or Korean script (:data:`CJK_RANGES`): not an emoji, as wide as one."""
    return any(low <= ord(ch) <= high for low, high in CJK_RANGES)


class MissingGlyphWarning(UserWarning):
    """A figure's text holds characters no installed font has a glyph of: drawn as empty boxes."""


_WARNED: set[str] = set()  # the kinds of missing glyphs (CJK, other) warned of in this process: once each


def warn_missing_glyphs(fig) -> list[str]:
    """Warn once in a process (:class:`MissingGlyphWarning`) where ``fig`` has text that no font of
    :func:`font_families` can draw (Chinese on a machine with no Chinese font), naming the first such text
    and how to install a font holding it; matplotlib's own warning, one per missing glyph, is then kept
    quiet in bimotion's drawing (a user's own figures still get it).  Returns the texts that cannot be drawn."""
    import warnings

    from matplotlib.text import Text

    texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    missing = list(dict.fromkeys(t for t in texts if not drawable(t)))
    if not missing:
        return []
    chars = "".join(
        dict.fromkeys(ch for text in missing for ch in text if not ch.isspace() and ord(ch) not in _glyphs())
    )
    cjk = any(map(is_cjk, chars))
    if ("CJK" if cjk else "other") not in _WARNED:
        _WARNED.add("CJK" if cjk else "other")
        fix = CJK_FONT_HINT if cjk else "install a font holding these characters"
        warnings.warn(f"a figure's text {' '.join(missing[0].split())!r} has characters no installed font holds "
                      f"({chars[:8]}; {len(missing)} text(s) of this figure), drawn as empty boxes: {fix}, then remove "
                      f"matplotlib's font list ({_font_cache()}) so that it finds the font", MissingGlyphWarning,
                      stacklevel=3)  # fmt: skip
    quiet_glyph_warnings()  # said above, once (a figure bimotion.figures.pyplot did not make)
    return missing


GLYPH_WARNING = r"Glyph \d+ .*missing from font"  # matplotlib's warning, one per glyph of a text drawn


def quiet_glyph_warnings() -> None:
    """Keep matplotlib's warning per missing glyph quiet where bimotion's own code draws (it names the first
    caller outside matplotlib: a tight_layout or savefig of bimotion's), not a user's own figures: what no
    font holds :func:`warn_missing_glyphs` says once, with how to install one, when the figure is saved.
    Set before the first drawing (:func:`bimotion.figures.pyplot`): set at the first save, the first
    figure's tight_layout had already said each glyph (six lines for a corpus named 耆樂情緒語料)."""
    import re
    import warnings

    quiet = ("ignore", re.compile(GLYPH_WARNING, re.IGNORECASE), UserWarning, re.compile(r"bimotion\."), 0)
    # first, before a filter set since (simplefilter("always")); set again where first already, it would only
    # reset every warning's "said once" record
    if not warnings.filters or warnings.filters[0] != quiet:
        warnings.filterwarnings("ignore", GLYPH_WARNING, UserWarning, module=r"bimotion\.")


CJK_FONT_HINT = "install a font holding Chinese, Noto Sans CJK (Debian, Ubuntu: apt-get install fonts-noto-cjk)"


def _font_cache() -> str:
    """The files where matplotlib keeps the fonts it found (read once: a font installed after is not seen)."""
    import matplotlib

    return str(Path(matplotlib.get_cachedir()) / "fontlist-*.json")


def no_weight_note(record) -> bool:
    """A CJK font with no face of normal weight (WenQuanYi Zen Hei's is medium) is used as it is: without
    matplotlib's log line for each text drawn in it."""
    return not str(record.msg).startswith("findfont: Failed to find font weight")
