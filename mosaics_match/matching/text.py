"""Posting text handling: splitting a posting into requirements and finding the words a feature came from."""

from __future__ import annotations

import re
import unicodedata

_BULLET = re.compile(r"^\s*(?:[-*+\u2022\u00b7\u25aa\u25cf\u2013\u2014>]+|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)](?=\s))\s*")
_SENTENCE_END = re.compile(r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<=[.!?;])\s+(?=[^a-z\s])|(?<=[!?;])\s+")
_WORD = re.compile(r"[^\W_]+(?:[+#.'-][^\W_]*)*", re.UNICODE)
_HAS_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")


def _is_header(line: str) -> bool:
    # "Requirements:", "What you'll bring:" — short lines ending in a colon introduce a list, they are not asks.
    return line.endswith(":") and len(line.split()) <= 6


def _split_list(sentence: str) -> list[str]:
    # "Python, SQL, Docker" is three requirements; "design, build and test services" is one.
    parts = [p.strip() for p in re.split(r"\s*[,/|]\s*", sentence.rstrip(". "))]
    if len(parts) >= 3 and all(0 < len(p.split()) <= 3 for p in parts):
        return parts
    return [sentence]


def split_requirements(posting: str, *, max_requirements: int | None = None) -> list[str]:
    """Split a job posting into requirement strings.

    Each non-empty line is a candidate; bullet markers are stripped, lines are split into sentences, short
    comma-separated skill lists (``"Python, SQL, Docker"``) into items, and short headers ending in ``:`` are
    dropped, as are fragments without a letter. Duplicates (case-insensitive) are removed, order is kept.

    Parameters
    ----------
    posting
        Free text pasted by an industry partner.
    max_requirements
        Keep at most this many (the first ones); ``None`` keeps all.

    Returns
    -------
    list of str
        The requirements, possibly empty.
    """
    out: list[str] = []
    seen: set[str] = set()
    for raw_line in _normalise(posting).split("\n"):
        line = _BULLET.sub("", raw_line).strip()
        if not line or _is_header(line):
            continue
        for sentence in _SENTENCE_END.split(line):
            sentence = sentence.strip()
            if not sentence or _is_header(sentence):
                continue
            for item in _split_list(sentence):
                item = item.strip(" \t-*:;")
                key = " ".join(item.lower().split())
                if not item or not _HAS_LETTER.search(item) or key in seen:
                    continue
                seen.add(key)
                out.append(item)
                if max_requirements is not None and len(out) >= max_requirements:
                    return out
    return out


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (keeps ``c++``, ``c#``, ``node.js`` style tokens together)."""
    return [w.lower() for w in _WORD.findall(_normalise(text))]
