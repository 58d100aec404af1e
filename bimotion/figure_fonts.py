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
def _glyphs(families: tuple[str, ...] | None = None) -> frozenset[int]:
    """The code points the fonts of ``families`` (default :func:`font_families`) hold a glyph of: each family
    as matplotlib finds it for a text drawn in that list (one not installed passed over, matplotlib's
    default font where none is)."""
    from matplotlib import font_manager, ft2font

    paths = set()
    for family in font_families() if families is None else families:
        try:
            paths.add(font_manager.findfont(font_manager.FontProperties(family=[family]), fallback_to_default=False))
        except ValueError:  # not installed: matplotlib's text passes over it too
            continue
    paths = paths or {font_manager.findfont(font_manager.FontProperties())}
    return frozenset(code for path in paths for code in ft2font.FT2Font(path).get_charmap())


def drawable(text: str, families: tuple[str, ...] | None = None) -> bool:
    """Whether a figure draws every character of ``text`` (none as an empty box, for want of a font
    holding it: Chinese on a machine with no Chinese font); ``families``: the fonts it is drawn in
    (default :func:`font_families`)."""
    return all(ord(ch) in _glyphs(families) for ch in text if not ch.isspace())


# matplotlib's own font, always there: it holds the marks figures print (†, ‡, −) and BOX
BUNDLED_FONT = "DejaVu Sans"
BOX = "\u25a1"  # □: what a character no font holds is drawn as (matplotlib draws an empty box, warning of each)


def figure_families() -> tuple[str, ...]:
    """The fonts a figure made by :func:`with_figure_fonts` is drawn in: the families matplotlib's settings
    name now (the user's own, or :func:`font_families` as :func:`bimotion.figures.pyplot` set them), then
    the installed fonts holding Chinese and matplotlib's own font (:data:`BUNDLED_FONT`), which a glyph the
    first lacks is taken from (``font.family: cmr10`` holds no †, ‡ or −)."""
    import matplotlib

    return tuple(dict.fromkeys([*matplotlib.rcParams["font.family"], *font_families(), BUNDLED_FONT]))


def with_figure_fonts(make):
    """A function making a figure (returning it, or it and its axes, or None), made to draw it in
    :func:`figure_families` whatever matplotlib's settings are when the figure is saved: each of its texts
    keeps that list (a text's fonts are fixed when it is made, and a tick label made at drawing copies the
    first one's), and a character none of them holds is drawn as :data:`BOX`, said once
    (:func:`box_figure`), so a user's own ``savefig`` draws every glyph with no warning.  Every figure
    function of bimotion's is made so: the heat map, the confusion figure and the projections."""

    @functools.wraps(make)
    def made(*args, **kwargs):
        import logging
        import warnings

        import matplotlib

        logging.getLogger("matplotlib.font_manager").addFilter(no_weight_note)  # once: the same filter
        with matplotlib.rc_context({"font.family": list(figure_families())}), warnings.catch_warnings():
            warnings.filterwarnings("ignore", GLYPH_WARNING, UserWarning)  # its layout's, of text not yet boxed
            out = make(*args, **kwargs)
            fig = out[0] if isinstance(out, tuple) else out
            if fig is not None:
                box_figure(fig)  # in the figure's fonts: a tick it makes copies them
        return out

    return made


def box_figure(fig) -> None:
    """Every text of ``fig`` as :func:`boxed` draws it (a character no font of :func:`figure_families`
    holds as :data:`BOX`, said once): its texts', and the tick labels its axes write again at each drawing
    where their ticks are fixed (``set_xticks(ticks, labels)``'s)."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedLocator

    texts = [t for t in fig.findobj(Text) if t.get_text()]
    ticks = []  # (axis, minor, its labels) of each axis's fixed ticks
    for axis in (axis for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)):
        for minor, locator, formatter in ((False, axis.get_major_locator(), axis.get_major_formatter()),
                                          (True, axis.get_minor_locator(), axis.get_minor_formatter())):  # fmt: skip
            if isinstance(locator, FixedLocator):
                ticks.append((axis, minor, [str(label) for label in formatter.format_ticks(locator.locs)]))
    shown = iter(boxed([*(t.get_text() for t in texts), *(label for *_, labels in ticks for label in labels)]))
    for text in texts:
        text.set_text(next(shown))
    for axis, minor, labels in ticks:
        if (drawn := [next(shown) for _ in labels]) != labels:
            axis.set_ticklabels(drawn, minor=minor)


def boxed(texts: list[str]) -> list[str]:
    """``texts`` as a figure made by :func:`with_figure_fonts` can draw them: each character no font of
    :func:`figure_families` holds as :data:`BOX`, the empty box matplotlib would draw, warning at every
    save of the figure (a user's own ``savefig`` included) for each glyph; said once in a process
    instead, naming the first such text and how to install a font holding it (:class:`MissingGlyphWarning`)."""
    families = figure_families()
    _warn_missing(texts, families)
    held = _glyphs(families)
    return ["".join(ch if ch.isspace() or ord(ch) in held else BOX for ch in text) for text in texts]


# Chinese, Japanese and Korean script, which a font of CJK_FONT_HINT's holds: hangul, radicals to CJK punctuation,
# kana, ideographs (extensions A to H), compatibility, vertical and full-width forms, kana supplements.
CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
              (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F),
              (0xFF00, 0xFFEF), (0x1AFF0, 0x1B16F), (0x20000, 0x323AF))  # fmt: skip


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is Chinese, Japanese or Korean script (:data:`CJK_RANGES`): not an emoji, as wide as one."""
    return any(low <= ord(ch) <= high for low, high in CJK_RANGES)


_PACKAGE_FILE = str(
    Path(__file__).parent / "__init__.py"
)  # bimotion's: a warning points at the first caller outside it


class MissingGlyphWarning(UserWarning):
    """A figure's text holds characters no installed font has a glyph of: drawn as empty boxes."""


_WARNED: set[str] = set()  # the kinds of missing glyphs (CJK, other) warned of in this process: once each


def warn_missing_glyphs(fig) -> list[str]:
    """Warn once in a process (:class:`MissingGlyphWarning`) where ``fig`` has text that no font of
    :func:`font_families` can draw (Chinese on a machine with no Chinese font), naming the first such text
    and how to install a font holding it; matplotlib's own warning, one per missing glyph, is then kept
    quiet in bimotion's drawing (a user's own figures still get it).  Returns the texts that cannot be drawn."""
    from matplotlib.text import Text

    missing = _warn_missing([t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()])
    if missing:
        quiet_glyph_warnings()  # said above, once (a figure bimotion.figures.pyplot did not make)
    return missing


def _warn_missing(texts: list[str], families: tuple[str, ...] | None = None) -> list[str]:
    """:func:`warn_missing_glyphs`' warning of ``texts`` drawn in ``families`` (default :func:`font_families`),
    pointed at the first caller outside bimotion; the texts that cannot be drawn."""
    import warnings

    from loaders.errors import outside_level

    missing = list(dict.fromkeys(t for t in texts if not drawable(t, families)))
    if not missing:
        return []
    held = _glyphs(families)
    chars = "".join(dict.fromkeys(ch for text in missing for ch in text if not ch.isspace() and ord(ch) not in held))
    cjk = any(map(is_cjk, chars))
    if ("CJK" if cjk else "other") not in _WARNED:
        _WARNED.add("CJK" if cjk else "other")
        fix = CJK_FONT_HINT if cjk else "install a font holding these characters"
        warnings.warn(f"a figure's text {' '.join(missing[0].split())!r} has characters no installed font holds "
                      f"({chars[:8]}; {len(missing)} text(s) of this figure), drawn as empty boxes: {fix}, then remove "
                      f"matplotlib's font list ({_font_cache()}) so that it finds the font", MissingGlyphWarning,
                      stacklevel=outside_level(__file__))  # bimotion's caller  # fmt: skip
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
