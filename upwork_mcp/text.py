"""Text written by third parties, cleaned of what can hide or reorder it: invisible, bidi-control, tag and
other format characters. The MCP surface cleans what the model reads with it; the watches clean what they
send to a sink (a phone, a chat, a webhook) with it."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing (or as blank space that is not a space) and so can hide text:
# format controls are caught by their category; these are letters, marks and symbols that look empty.
_BLANK_LOOKING = (
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u180b-\u180f"  # Mongolian variation selectors and vowel separator
    "\u2800"  # braille pattern blank
    "\ufe00-\ufe0f"  # variation selectors
    "\U000e0100-\U000e01ef"  # variation selectors supplement
    "\U000e0000-\U000e007f"  # tag characters
    "\U0001bca0-\U0001bca3"  # shorthand format controls
)
_HIDDEN = re.compile(f"[{_BLANK_LOOKING}]")
_LINE_BREAKS = re.compile("[\u2028\u2029\u0085\r\x0b\x0c]")
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


def clean(text: str | None) -> str | None:
    """Strip invisible, bidi-control and other hidden characters; newlines and tabs stay."""
    if text is None:
        return None
    if text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable():
        # No control, format, private-use or unassigned character (checked in C): only the blank-looking
        # printable ones can hide text.
        return text if text.isascii() else _HIDDEN.sub("", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _HIDDEN.sub("", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in _DROP_CATEGORIES)
