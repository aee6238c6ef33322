"""A small rule-based English stemmer, so that a posting's "joins, aggregations" meets a competency's "join and
aggregate".

It follows the classic suffix-stripping scheme (Porter, 1980): inflections first (plurals, ``-ed``, ``-ing``),
then derivational suffixes, each removed only while enough of the word is left, measured in vowel-consonant
sequences. Two additions for job text: British ``-ise`` / ``-yse`` spellings are read as ``-ize`` / ``-yze``
(organise = organize, analyse = analyze), and tokens with digits or symbols (``c++``, ``node.js``, ``s3``)
are left alone. Stems are keys, not words ("aggregate" -> "aggreg"); they are only compared with each other.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["light_stem", "stem", "stemmer"]

_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """Number of vowel-run + consonant-run pairs ("tr|ee" 0, "tr|ou|bl|e" 1, "pr|iv|at|e" 2)."""
    m = 0
    prev_vowel = False
    for i in range(len(stem)):
        vowel = not _is_consonant(stem, i)
        if prev_vowel and not vowel:
            m += 1
        prev_vowel = vowel
    return m


def _has_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    """Ends consonant-vowel-consonant, the last not w, x or y ("hop", not "snow"): short words keep an "e"."""
    n = len(word)
    return (n >= 3 and _is_consonant(word, n - 1) and not _is_consonant(word, n - 2)
            and _is_consonant(word, n - 3) and word[-1] not in "wxy")


_BRITISH = (("isations", "izations"), ("isation", "ization"), ("ising", "izing"), ("ised", "ized"),
            ("ises", "izes"), ("iser", "izer"), ("isers", "izers"), ("ise", "ize"), ("ysing", "yzing"),
            ("ysed", "yzed"), ("yses", "yzes"), ("yse", "yze"), ("ysis", "yze"))

# (suffix, replacement) by step; within a step the first (longest listed) matching suffix decides.
_STEP2 = (("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
          ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
          ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
          ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
          ("logi", "log"))
_STEP3 = (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""),
          ("ness", ""))
# "anc" / "enc" are "-ance" / "-ence" after step 1b took "-ed" off ("experienced" meets "experience").
_STEP4 = ("ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "anc", "enc", "ism", "ate", "iti",
          "ous", "ive", "ize", "ion", "al", "er", "ic", "ou")


def _replace(word: str, rules: tuple[tuple[str, str], ...], min_measure: int) -> str:
    for suffix, repl in rules:
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            return base + repl if _measure(base) >= min_measure else word
    return word


def _inflections(w: str) -> str:
    """Porter's steps 1a-1c on a lower-case word of four or more letters, after British -ise/-yse spellings:
    plurals, -eed / -ed / -ing, and y -> i. Both stemmers start here."""
    if len(w) > 5:
        for brit, us in _BRITISH:
            if w.endswith(brit):
                w = w[: -len(brit)] + us
                break
    # Step 1a: plurals.
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    # Step 1b: -eed, -ed, -ing.
    if w.endswith("eed"):
        if _measure(w[:-3]) > 0:
            w = w[:-1]
    else:
        for suffix in ("ed", "ing"):
            if w.endswith(suffix) and _has_vowel(w[: -len(suffix)]):
                w = w[: -len(suffix)]
                if w.endswith(("at", "bl", "iz")):
                    w += "e"
                elif _double_consonant(w) and w[-1] not in "lsz":
                    w = w[:-1]
                elif _measure(w) == 1 and _cvc(w):
                    w += "e"
                break
    # Step 1c: y -> i after a vowel-bearing stem (query, queries -> queri).
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    return w


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem of one lower-case token.

    Parameters
    ----------
    word
        A token, normally lower case already (it is lower-cased again).

    Returns
    -------
    str
        The stem; tokens of fewer than four letters, or with digits or symbols, unchanged.

    Examples
    --------
    >>> [stem(w) for w in ("joins", "aggregations", "aggregate", "organising", "organized", "c++")]
    ['join', 'aggreg', 'aggreg', 'organ', 'organ', 'c++']
    """
    w = word.lower()
    if len(w) <= 3 or not w.isalpha() or not w.isascii():
        return w
    w = _inflections(w)
    w = _replace(w, _STEP2, 1)
    w = _replace(w, _STEP3, 1)
    # Step 4: drop a derivational suffix from long enough stems.
    for suffix in _STEP4:
        if w.endswith(suffix):
            base = w[: -len(suffix)]
            if _measure(base) > 1 and (suffix != "ion" or base.endswith(("s", "t"))):
                w = base
                if _double_consonant(w) and w[-1] not in "lsz":  # "programmer" meets "program"
                    w = w[:-1]
            break
    # Step 5: a final "e", and "ll" -> "l", on long stems.
    if w.endswith("e"):
        base = w[:-1]
        m = _measure(base)
        if m > 1 or (m == 1 and not _cvc(base)):
            w = base
    if w.endswith("ll") and _measure(w) > 1:
        w = w[:-1]
    return w


@lru_cache(maxsize=200_000)
def light_stem(word: str) -> str:
    """Inflections only: British ``-ise`` / ``-yse`` spellings, plurals, ``-ed`` / ``-ing`` and a final ``y``
    (Porter's steps 1a-1c), without the derivational steps that merge "organ" with "organising" or
    "general" with "generate".

    >>> [light_stem(w) for w in ("joins", "aggregations", "aggregate", "organising", "organ", "queries")]
    ['join', 'aggregation', 'aggregat', 'organiz', 'organ', 'queri']
    """
    w = word.lower()
    if len(w) <= 3 or not w.isalpha() or not w.isascii():
        return w
    w = _inflections(w)
    # Porter's step 5a: a final "e" on long stems ("manage" meets "managing", "analyse" meets "analysing").
    if w.endswith("e"):
        base = w[:-1]
        m = _measure(base)
        if m > 1 or (m == 1 and not _cvc(base)):
            w = base
    return w


def stemmer(mode: bool | str):
    """The stemming function of ``MatchConfig.stemming``: ``True`` / ``"porter"`` :func:`stem`, ``"light"``
    :func:`light_stem`, ``False`` ``None`` (no stemming)."""
    if mode is True or mode == "porter":
        return stem
    if mode == "light":
        return light_stem
    return None
