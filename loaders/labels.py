"""The one label space of BiMotion/YueMotion and each corpus's map into it.

The 13 labels and their order are fixed by the paper's released code; every corpus annotates a
subset of them (its *label space*).  Labels outside a corpus's space are masked out of the loss and
the metrics, never treated as negatives.

The per-corpus maps are plain data: ``CORPUS_LABEL_MAPS[corpus][source_code] -> label``.
"""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "sadness",
    "fear",
    "anger",
    "happiness",
    "disgust",
    "neutral",
    "surprise",
    "positive",
    "negative",
    "excitement",
    "frustration",
    "other",
    "unknown",
)
LABEL2ID: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
# Three-letter codes, as IEMOCAP's (the field's usual short names), for tables too narrow for the names
LABEL_CODES: dict[str, str] = {
    "sadness": "sad", "fear": "fea", "anger": "ang", "happiness": "hap", "disgust": "dis", "neutral": "neu",
    "surprise": "sur", "positive": "pos", "negative": "neg", "excitement": "exc", "frustration": "fru",
    "other": "oth", "unknown": "unk",
}  # fmt: skip

# Emotion words a sheet may hold, by the languages they are words of: bimotion's groups' (English, Mandarin and
# Cantonese, simplified and traditional) and those of the groups its users bring (Indonesian, Malay, Tagalog/Filipino,
# Hokkien, Vietnamese, Thai).  A label typed as one of them (casefolded) is a word of its own, not a typo of a mapped
# label one character away ('害羞', shy, is not '害怕', afraid; 'mad' is not 'sad'; 'suka', joy, is not 'duka',
# grief; '擔心', worried, is not '傷心', sad), so loaders.metadata_cells guesses none.  One word per space.
EMOTION_WORDS_BY_LANGUAGE: dict[tuple[str, ...], str] = {
    ("eng",): """anger angry mad furious annoyed irritated rage hate happy happiness joy joyful glad cheerful amused
    content sad sadness sorrow unhappy upset hurt lonely fear afraid scared fearful anxious anxiety worried nervous
    disgust disgusted surprise surprised neutral calm bored boredom tired shy shame ashamed guilt guilty pride proud
    love contempt excited excitement frustrated frustration relief relieved jealous envy hope positive negative
    other""",
    (
        "zho",
        "yue",
    ): """生气 生氣 愤怒 憤怒 发火 發火 嬲 怒 开心 開心 快乐 快樂 高兴 高興 愉快 喜 伤心 傷心 难过 難過 悲伤 悲傷 哀
    害怕 恐惧 恐懼 惊 驚 惊讶 驚訝 惊喜 驚喜 惊吓 驚嚇 厌恶 厭惡 讨厌 討厭 恶心 噁心 中立 中性 平静 平靜 害羞 羞 紧张 緊張 焦虑
    焦慮 无聊 無聊 兴奋 興奮 沮丧 沮喪 失望 骄傲 驕傲 尴尬 尷尬 惭愧 慚愧 满足 滿足 孤独 孤獨 委屈 激动 激動 烦 煩 烦躁 煩躁 怕
    喜欢 喜歡 担心 擔心 忧郁 憂鬱 憎 恨""",
    ("yue",): "唔開心 唔开心 好開心 好开心 嬲嬲 激氣 激气 悶 闷 攰 驚慌 惊慌 肉酸 乞人憎 冇所謂 冇所谓",
    ("nan",): "歡喜 欢喜 受氣 受气 艱苦 艰苦 煩惱 烦恼",
    ("ind", "zsm"): """marah kesal jengkel geram murka benci senang gembira bahagia suka ceria riang sedih duka pilu
    sendu takut ngeri cemas khawatir gugup gelisah jijik muak terkejut kaget heran netral tenang bosan jenuh malu
    bangga kecewa frustrasi lega cemburu iri cinta sayang semangat positif negatif lainnya seronok risau bimbang
    meluat terperanjat hairan""",
    ("tgl", "fil"): "galit inis masaya saya tuwa malungkot lungkot takot kaba nandidiri pandidiri gulat nagulat hiya",
    ("vie",): "giận vui buồn sợ ghét chán",
    ("tha",): "โกรธ ดีใจ เสียใจ กลัว รังเกียจ ประหลาดใจ เศร้า",
}
EMOTION_WORDS: frozenset[str] = frozenset(
    word.casefold() for words in EMOTION_WORDS_BY_LANGUAGE.values() for word in words.split()
)

# Prefixes that make an emotion word its opposite ('unhappy', '不开心', '唔開心'), in the languages of
# EMOTION_WORDS_BY_LANGUAGE: a label one of them sets apart from a mapped one is another emotion, not its typo, so
# loaders.metadata_cells guesses none ('unhappy' is not 'happy'; Indonesian 'ga bahagia' is not 'bahagia').
NEGATIONS: tuple[str, ...] = (
    "un",
    "non",
    "non-",
    "not ",
    "not-",
    "not_",
    "dis",
    "in",
    "不",
    "唔",
    "冇",
    "没",
    "沒",
    "無",
    "无",
    "非",
    # Indonesian and Malay (tidak, its abbreviation tdk, tak, and the spoken ga, gak, nggak, enggak, ndak; bukan)
    "tidak ",
    "tdk ",
    "tak ",
    "ga ",
    "gak ",
    "nggak ",
    "enggak ",
    "ndak ",
    "bukan ",
    # Tagalog/Filipino, Vietnamese, Thai
    "hindi ",
    "di ",
    "không ",
    "chẳng ",
    "ไม่",
)

# The simplified and traditional forms of the characters of Chinese emotion words (EMOTION_WORDS' and the common ones
# beside them), pair by pair: a Hong Kong sheet typed with a simplified input method writes '开心' where its label map
# has '開心', which loaders.metadata_cells then names as the mapped label in the other script, not a new emotion.
CHINESE_SCRIPTS: tuple[str, str] = (
    "气愤发开乐兴伤难过惧惊讶吓厌恶讨静紧张虑无奋丧骄尴惭满独动烦欢担忧郁闷谓恼艰悦怀压爱叹泪惨怜恋乱骂闹惯",
    "氣憤發開樂興傷難過懼驚訝嚇厭惡討靜緊張慮無奮喪驕尷慚滿獨動煩歡擔憂鬱悶謂惱艱悅懷壓愛嘆淚慘憐戀亂罵鬧慣",
)

# Source code (as it appears in file names, folder names or label files) -> label name.
CORPUS_LABEL_MAPS: dict[str, dict[str, str]] = {
    "crema_d": {
        "ANG": "anger",
        "DIS": "disgust",
        "FEA": "fear",
        "HAP": "happiness",
        "NEU": "neutral",
        "SAD": "sadness",
    },
    "tess": {
        "angry": "anger",
        "disgust": "disgust",
        "fear": "fear",
        "happy": "happiness",
        "neutral": "neutral",
        "ps": "surprise",
        "sad": "sadness",
    },
    "esd": {
        "Angry": "anger",
        "Happy": "happiness",
        "Neutral": "neutral",
        "Sad": "sadness",
        "Surprise": "surprise",
    },
    "iemocap": {
        "neu": "neutral",
        "hap": "happiness",
        "exc": "excitement",
        "sad": "sadness",
        "ang": "anger",
        "fru": "frustration",
        "sur": "surprise",
        "fea": "fear",
        "dis": "disgust",
        "oth": "other",
        "xxx": "unknown",
    },
    # ElderReact's six binary columns, in file order.
    "elderreact": {
        "anger": "anger",
        "disgust": "disgust",
        "fear": "fear",
        "happiness": "happiness",
        "sadness": "sadness",
        "surprise": "surprise",
    },
    "csed": {
        "Positive": "positive",
        "Natural": "neutral",
        "Negative": "negative",
    },
    # YueMotion label ids 1-6.
    "yuemotion": {
        "1": "anger",
        "2": "happiness",
        "3": "sadness",
        "4": "neutral",
        "5": "fear",
        "6": "disgust",
    },
}


def label_space(corpus: str) -> tuple[str, ...]:
    """The labels ``corpus`` annotates, in the global label order."""
    try:
        mapped = set(CORPUS_LABEL_MAPS[corpus].values())
    except KeyError:
        raise KeyError(f"unknown corpus {corpus!r}; known: {', '.join(sorted(CORPUS_LABEL_MAPS))}") from None
    return tuple(label for label in LABELS if label in mapped)


def multi_hot(emotions: list[str] | tuple[str, ...]) -> list[int]:
    """0/1 vector over :data:`LABELS`."""
    present = set(emotions)
    unknown = present - set(LABELS)
    if unknown:
        raise ValueError(f"labels outside the label space: {sorted(unknown)}")
    return [int(label in present) for label in LABELS]


def mask(space: list[str] | tuple[str, ...]) -> list[int]:
    """1 where the label is annotated by the corpus, 0 where it must be ignored."""
    return multi_hot(space)
