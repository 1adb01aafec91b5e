"""What a job post may hide for whoever reads it: instructions planted for an assistant drafting a proposal,
and contact details that take the work off Upwork. Both are reported (quoted), never obeyed.

Posts disguise both: spaced or dotted letters (`W h a t s A p p`), look-alike letters from other scripts
(a Cyrillic `а`), digits for letters (`wh@ts4pp`), invisible characters inside a word, fullwidth forms,
`[at]` and `dot` for an address. The text is folded out of each disguise before the patterns look at it;
a quote shows the sentence as it was written (cleaned of invisible characters).
"""

from __future__ import annotations

import re
import unicodedata

from ..text import clean

# Letters from other scripts that look like Latin ones (the common Cyrillic and Greek look-alikes).
_LOOKALIKES = str.maketrans(
    "аеорсхуіѕјԁһкмтвнАЕОРСХУІЅЈКМТВНαεορτυχικνΑΕΟΡΤΥΧΙΚΝ",
    "aeopcxyisjdhkmtbhaeopcxyisjkmtbhaeoptuxikvaeoptyxikn",
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
# Runs of single letters split by one separator: "w h a t s a p p", "w.h.a.t.s", "t-e-l-e-g-r-a-m".
_SPACED = re.compile(r"(?<![\w])(?:[a-z0-9@$][ .\-_*·•|/]{1,2}){3,}[a-z0-9@$](?![\w])")
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")

_APPS = r"(?:whats\s?app|wh?atsap+|wa\.me|telegram|tele\s?gram|t\.me|skype|discord|signal|wechat|viber|kik|line\s?app)"
_CONTACT_VERBS = (
    r"(?:contact|reach|message|msg|text|ping|add|find|dm|write|call|hit|talk|chat|connect|email|e-mail|mail|"
    r"whatsapp|telegram|skype)"
)
_OFF_PLATFORM = [
    re.compile(p)
    for p in (
        rf"\b{_CONTACT_VERBS}\s+(?:me|us)\b(?:\s+\w+){{0,3}}\s+(?:on|at|via|through|over|in|using)\s+{_APPS}",
        rf"\b{_APPS}\s+(?:me|us)\b",
        rf"\bmy\s+{_APPS}\b",
        rf"\b{_APPS}\s*(?:id|number|no|handle|username|user|account|contact)?\s*[:=\-]?\s*[@+]\s*[\w(]",
        rf"\b{_APPS}\s*(?:id|number|handle|username)\b",
        r"\b(?:wa\.me|t\.me|discord\.gg)/\w+",
        r"\blive:[\w.]+",
        r"\b(?:outside|off)\s+(?:of\s+)?(?:the\s+)?(?:upwork|platform|this\s+(?:site|platform))\b",
        r"\boff-?\s?platform\b",
        r"\b(?:avoid|skip|save\s+on|bypass)\s+(?:the\s+)?upwork(?:'s)?\s+(?:fees?|commission)",
        r"\b(?:pay|paid|payment|paying)\s+(?:you\s+)?(?:directly|outside|via\s+paypal|through\s+paypal|by\s+paypal|"
        r"in\s+crypto|with\s+crypto|via\s+crypto|in\s+bitcoin|in\s+usdt|via\s+wise|western\s+union)",
        rf"\b(?:pay|paid|payment|paying|invoice)\s+(?:you\s+)?(?:via|through|by|over|on|with|in)\s+{_APPS}",
        r"\b(?:email|e-mail|mail)\s+(?:me|us)\b",
        r"\b(?:call|text|phone|sms|whatsapp)\s*(?:me|us)?\s*(?:at|on)?\s*[:\-]?\s*\+?\d[\d\s().-]{7,}\d",
    )
]
_ADDRESS = [
    re.compile(p)
    for p in (
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}",
        r"\+\s?\d[\d\s().-]{8,}\d",
    )
]
_PLANTED = [
    re.compile(p)
    for p in (
        r"\b(?:start|begin|open|preface|lead|head)\s+(?:off\s+)?(?:your|the|each)\s+(?:proposal|cover\s?letter|"
        r"application|reply|response|message|bid|answer|first\s+line)\s+(?:with|by)\b",
        r"\b(?:include|mention|use|write|say|type|add|put|insert)\s+(?:the\s+|this\s+|a\s+)?(?:word|phrase|code\s?word|"
        r"keyword|key\s?word|emoji|password|secret\s+word|magic\s+word)\b",
        r"\b(?:put|write|type|add|place|say|insert)\s+['\"“‘]?[\w\s!-]{1,30}['\"”’]?\s+(?:at\s+the\s+(?:top|start|"
        r"beginning)|as\s+the\s+first\s+(?:line|word|sentence)|in\s+the\s+first\s+line|first)\b",
        r"\b(?:ignore|disregard|forget|override|skip)\s+(?:all\s+|any\s+|every\s+)?(?:the\s+|your\s+)?(?:previous|prior|"
        r"above|earlier|preceding|other|original|system)\s+(?:instructions?|prompts?|rules|directions|guidelines)",
        r"\bforget\s+(?:everything|all)\s+(?:above|before|you\s+were\s+told)",
        r"\bif\s+you\s*(?:are|'re|re)\s+(?:an?\s+)?(?:ai|a\.i\.|bot|robot|language\s+model|llm|chat\s?gpt|gpt|"
        r"claude|gemini|assistant|automated|machine)\b",
        r"\b(?:ai|llm|gpt|chatgpt|claude|bots?|assistants?|language\s+models?)\s+(?:models?\s+|agents?\s+|tools?\s+)?"
        r"(?:reading|applying|processing|parsing)\s+this\b",
        r"\b(?:note|message|instruction|attention|hey)\s*(?:to|for)?\s*(?:all\s+)?(?:the\s+)?(?:ai|llm|gpt|chatgpt|"
        r"bots?|assistants?|language\s+models?)\s*[:,!]",
        r"\bto\s+(?:show|prove|confirm|demonstrate)\s+(?:to\s+me\s+)?(?:that\s+)?you\s+(?:have\s+)?(?:read|"
        r"understood|actually\s+read)",
        r"\b(?:first|top|opening)\s+(?:line|word|sentence)\s+of\s+your\s+(?:proposal|cover\s?letter|application|"
        r"reply|response|bid)\b",
        r"\byour\s+(?:first|opening)\s+(?:line|word|sentence)\s+(?:must|should|has\s+to|needs\s+to)\b",
        r"\b(?:new|updated|real|actual|hidden|secret)\s+instructions?\s*[:\-]",
        r"(?:^|\s)(?:\[|<\|?|<<)\s*(?:system|inst|im_start|sys)\s*(?:\]|\|?>|>>)",
        r"\bsystem\s*(?:prompt|message)?\s*:\s*you\s+(?:are|must|will)\b",
        r"\b(?:reveal|print|show|repeat|output)\s+(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)\b",
        r"\byou\s+(?:are|must)\s+now\s+(?:act|behave|respond|pretend)\b",
        r"\b(?:answer|respond|reply)\s+(?:only\s+)?with\s+['\"“‘][\w\s!-]{1,30}['\"”’]\s+(?:at\s+the\s+"
        r"(?:start|beginning|top)|first)",
    )
]


def fold(text: str) -> str:
    """The text as the patterns read it: invisible characters out, fullwidth and look-alike letters folded,
    lower case, letters spread out with spaces or dots joined again."""
    text = unicodedata.normalize("NFKC", clean(text) or "").translate(_LOOKALIKES).lower()
    return _SPACED.sub(lambda m: re.sub(r"[ .\-_*·•|/]", "", m.group(0)), text)


def _addresses(text: str) -> str:
    """`john [at] gmail [dot] com` and `john at gmail dot com` as the address they spell."""
    text = re.sub(r"\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*", "@", text)
    text = re.sub(r"\s*[\[({<]\s*dot\s*[\])}>]\s*", ".", text)
    text = re.sub(r"(\w)\s+at\s+([a-z0-9-]+)\s+dot\s+([a-z]{2,6})\b", r"\1@\2.\3", text)
    return re.sub(r"@([a-z0-9-]+)\s+dot\s+([a-z]{2,6})\b", r"@\1.\2", text)


def _sentences(text: str) -> list[tuple[str, str]]:
    """Each sentence as written (cleaned, for quoting) and folded (for matching)."""
    out = []
    for sentence in _SENTENCES.split(clean(text) or ""):
        if sentence.strip():
            out.append((sentence.strip(), fold(sentence)))
    return out


def planted_instructions(text: str) -> list[str]:
    """The sentences of `text` that instruct whoever reads it (an assistant drafting a proposal)."""
    found = []
    for written, folded in _sentences(text):
        if any(p.search(variant) for variant in (folded, folded.translate(_LEET)) for p in _PLANTED):
            found.append(written[:160])
    return found


def off_platform_contact(text: str) -> list[str]:
    """The sentences of `text` that ask to move the conversation or the payment off Upwork, or give an
    address or number to do it."""
    found = []
    for written, folded in _sentences(text):
        variants = (folded, folded.translate(_LEET))
        spelled = _addresses(folded)
        if any(p.search(v) for v in variants for p in _OFF_PLATFORM) or any(p.search(spelled) for p in _ADDRESS):
            found.append(written[:160])
    return found
