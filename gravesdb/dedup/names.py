"""Comparing place names across scripts, transliterations and spelling habits.

The same grave reaches us as Khasfa, al-Khasfa, Khafsa and الخسفة. The embedded
PostgreSQL has no unaccent or pg_trgm, so names are compared here, in Python,
on a *consonant skeleton*: diacritics and vowels are dropped (transliterators
disagree most about vowels), the Arabic article is stripped in either script,
Arabic letters and Latin digraphs are mapped to one set of consonant classes
(خ and "kh" both become ``x``), and doubled consonants collapse. Two spellings of
one name then differ by at most a letter or a swap, which the weighted edit
distance below forgives more than a change of consonant.

Generic words ("mass grave", "cementerio", "مقبرة") say nothing about which
grave is meant and are ignored; numbers are kept apart, because "Kocho grave 1"
and "Kocho grave 2" are different graves however alike the rest of the name is.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

# Latin letters that Unicode does not decompose into a base letter and a mark.
_LATIN_SPECIAL = str.maketrans({"đ": "dj", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d"})

# Marks transliterations use for ʿayn and hamza; they carry no consonant we can match.
_APOSTROPHES = "'’‘`ʿʾʼ"

# One consonant class per Arabic letter (Persian and Kurdish letters included).
# Long vowels (ا و ي ى) and ta marbuta are vowels here; ʿayn and hamza are dropped,
# as most Latin transliterations drop them.
_ARABIC = {
    "ب": "b", "پ": "b", "ت": "t", "ث": "t", "ط": "t", "ج": "j", "چ": "j", "ژ": "j",
    "ح": "h", "ه": "h", "ھ": "h", "خ": "x", "د": "d", "ذ": "d", "ض": "d", "ظ": "z",
    "ر": "r", "ڕ": "r", "ز": "z", "س": "s", "ص": "s", "ش": "S", "غ": "g", "گ": "g",
    "ف": "f", "ڤ": "f", "ق": "k", "ك": "k", "ک": "k", "ل": "l", "ڵ": "l", "م": "m", "ن": "n",
    "ا": "", "ى": "", "ة": "", "ع": "", "ء": "", "ٱ": "",
    "و": "w", "ۆ": "w", "ۇ": "w", "ي": "y", "ی": "y", "ێ": "y",
}

# Latin spellings of one Arabic consonant, longest first.
_DIGRAPHS = [
    ("tch", "j"), ("kh", "x"), ("gh", "g"), ("sh", "S"), ("ch", "j"), ("dj", "j"), ("zh", "j"),
    ("th", "t"), ("dh", "d"), ("ph", "f"), ("ck", "k"),
]
_LATIN = {
    "b": "b", "p": "b", "c": "k", "k": "k", "q": "k", "g": "g", "x": "x", "j": "j",
    "d": "d", "t": "t", "z": "z", "s": "s", "f": "f", "v": "f", "h": "h", "l": "l",
    "m": "m", "n": "n", "r": "r", "w": "w", "y": "y",
    "a": "", "e": "", "i": "", "o": "", "u": "",
}
_VOWELLIKE = {"w", "y"}

# Coarser classes for blocking: consonants transliterators confuse fall together, so
# Kasfa and Khasfa, Hadr and Hatra land in the same block and are at least compared.
_COARSE = str.maketrans({"x": "k", "g": "k", "S": "s", "z": "s", "d": "t", "w": "", "y": ""})

# Close consonant classes; substituting one for another costs half an edit.
_CLOSE = {frozenset(p) for p in ("kx", "kg", "gx", "sS", "sz", "td", "dz", "jg", "jS", "bf")}

_ARABIC_ARTICLE = "ال"
_LATIN_ARTICLE = re.compile(r"\b(?:al|el|il|ul|a[tdrzsn]|a(?:sh|th|dh)|e[tdrzsn])[-‐‑'’\s]+(?=\w)")

# Words that name the kind of place, not the place: they are left out of the comparison.
GENERIC_WORDS = frozenset(
    """
    mass grave graves site sites burial ground common collective pit pits trench trenches well wells
    sinkhole cemetery cemeteries village town near the of and in at by massacre execution killing
    fosa fosas comun comunes cementerio municipal de del la las los el y en paraje
    masovna grobnica grobnice groblje kod
    مقبرة مقابر جماعية جماعي موقع قرب قرية في
    """.split()
)

# Roman numerals that cannot be a word of a name ("i" is Bosnian "and").
# Words naming a kind of building or feature, in the languages of the lists we receive,
# mapped to one token: "Badush prison" and "سجن بادوش" then share both their words.
_DESCRIPTORS = {
    word: f"#{meaning}"
    for meaning, words in {
        "prison": "prison jail sijn سجن carcel zatvor",
        "school": "school madrasa madrasah مدرسة escuela skola",
        "college": "college kulliya كلية",
        "airport": "airport airbase matar مطار aeropuerto",
        "dam": "dam sadd سد presa brana",
        "palace": "palace palaces qasr qusur قصر القصور قصور palacio",
        "farm": "farm mazraa مزرعة granja cortijo farma",
        "factory": "factory masnaa مصنع معمل fabrica fabrika",
        "road": "road highway tariq طريق carretera cesta put",
        "hospital": "hospital mustashfa مستشفى bolnica",
        "camp": "camp base muaskar معسكر campamento",
        "mosque": "mosque masjid jami مسجد جامع dzamija",
        "bridge": "bridge jisr جسر puente most",
        "valley": "valley wadi وادي barranco valle dolina",
        "stadium": "stadium malab ملعب estadio stadion",
        "mine": "mine mina rudnik منجم",
        "station": "station railway mahatta محطة estacion",
        "institute": "institute mahad معهد instituto",
    }.items()
    for word in words.split()
}

_ROMAN = {"ii": 2, "iii": 3, "iv": 4, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class NameForm:
    """One name reduced for comparison: its word skeletons, all of them joined, its numbers.

    Descriptor words (prison, مدرسة) are tokens of the form ``#prison``; they count
    when names are compared word by word, but not in the joined skeleton or the
    blocking keys, where they would tie together every prison in the country.
    """

    tokens: tuple[str, ...]
    joined: str
    numbers: frozenset[int]

    @cached_property
    def blocking_keys(self) -> frozenset[str]:
        """Sorted coarse skeletons, so a swap of letters (Khasfa / Khafsa) keeps the key."""
        words = [t.translate(_COARSE) for t in self.tokens if not t.startswith("#")]
        # Single words, neighbouring pairs (Hamam al-Alil, whose words are short) and the
        # whole name (Tal Afar / تلعفر, written as one word in Arabic).
        pieces = words + [a + b for a, b in zip(words, words[1:])] + ["".join(words)]
        return frozenset("".join(sorted(p)) for p in pieces if len(p) >= 2)

    @cached_property
    def descriptors(self) -> frozenset[str]:
        return frozenset(t for t in self.tokens if t.startswith("#"))


def fold(text: str) -> str:
    """Lower case without diacritics or Arabic vowel marks: "Čančari" → "cancari"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c) and c != "\u0640")
    return unicodedata.normalize("NFC", stripped).casefold().translate(_LATIN_SPECIAL)


def _latin_classes(word: str):
    i = 0
    while i < len(word):
        for latin, cls in _DIGRAPHS:
            if word.startswith(latin, i):
                yield cls
                i += len(latin)
                break
        else:
            yield _LATIN.get(word[i], "")
            i += 1


@lru_cache(maxsize=200_000)
def _skeleton(word: str) -> str:
    if any("\u0600" <= c <= "\u06ff" for c in word):
        if word.startswith(_ARABIC_ARTICLE) and len(word) > 3:
            word = word[len(_ARABIC_ARTICLE):]
        classes = [_ARABIC.get(c, "") for c in word]
    else:
        if len(word) > 3 and word[-1] == "h" and word[-2] in "aeiou":
            word = word[:-1]  # -ah, -eh: ta marbuta, which the Arabic spelling shows as a vowel
        classes = list(_latin_classes(word))
    out = []
    for position, cls in enumerate(classes):
        if not cls or (cls in _VOWELLIKE and position > 0) or (out and out[-1] == cls):
            continue
        out.append(cls)
    return "".join(out)


@lru_cache(maxsize=500_000)
def name_form(name: str) -> NameForm:
    folded = _LATIN_ARTICLE.sub("", fold(name))
    for mark in _APOSTROPHES:
        folded = folded.replace(mark, "")
    tokens, numbers = [], set()
    for word in _TOKEN.findall(folded):
        if word.isdigit():
            numbers.add(int(word))
        elif word in _ROMAN and tokens:
            numbers.add(_ROMAN[word])
        elif word in _DESCRIPTORS:
            tokens.append(_DESCRIPTORS[word])
        elif word not in GENERIC_WORDS:
            skeleton = _skeleton(word)
            if skeleton:
                tokens.append(skeleton)
    joined = "".join(t for t in tokens if not t.startswith("#"))
    return NameForm(tokens=tuple(tokens), joined=joined, numbers=frozenset(numbers))


def _substitution_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.5 if frozenset((a, b)) in _CLOSE else 1.0


@lru_cache(maxsize=500_000)
def skeleton_similarity(a: str, b: str) -> float:
    """1 minus a weighted edit distance (swaps and close consonants cost half) over the longer length."""
    if a == b:
        return 1.0 if a else 0.0
    if not a or not b:
        return 0.0
    rows = [[float(j) for j in range(len(b) + 1)]]
    for i in range(1, len(a) + 1):
        row = [float(i)] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(
                rows[i - 1][j] + 1,
                row[j - 1] + 1,
                rows[i - 1][j - 1] + _substitution_cost(a[i - 1], b[j - 1]),
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 0.5)
        rows.append(row)
    return max(0.0, 1.0 - rows[-1][-1] / max(len(a), len(b)))


def form_similarity(a: NameForm, b: NameForm) -> float:
    """How alike two names are, 0 to 1, as words or as a whole (Tal Afar / تلعفر)."""
    whole = skeleton_similarity(a.joined, b.joined)
    if a.tokens and b.tokens:
        shorter, longer = (a.tokens, b.tokens) if len(a.tokens) <= len(b.tokens) else (b.tokens, a.tokens)
        by_word = sum(max(skeleton_similarity(s, t) for t in longer) for s in shorter) / len(shorter)
        # A name that is one word of the other ("Kocho" / "Kocho school") matches less than fully.
        by_word *= 1.0 - 0.1 * (len(longer) - len(shorter))
    else:
        by_word = 0.0
    similarity = max(whole, by_word)
    if a.numbers and b.numbers and not a.numbers & b.numbers:
        similarity *= 0.2  # Glogova 1 and Glogova 2 are two graves, however alike the rest
    if a.descriptors != b.descriptors:
        # The prison and the dam at Badush are two places; "Qayyarah" and "Qayyarah
        # airbase" may or may not be.
        similarity *= 0.5 if a.descriptors and b.descriptors and not a.descriptors & b.descriptors else 0.8
    return similarity


def best_name_match(names_a, names_b) -> tuple[float, str, str]:
    """The closest pair of names between two sites, with its similarity."""
    best = (0.0, "", "")
    for name_a in names_a:
        form_a = name_form(name_a)
        for name_b in names_b:
            similarity = form_similarity(form_a, name_form(name_b))
            if similarity > best[0]:
                best = (similarity, name_a, name_b)
                if similarity == 1.0:
                    return best
    return best
