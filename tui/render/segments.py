"""CSS Text 3's segment-break rule: a line break in the source between two Chinese (or
Japanese) characters is no space.

When white space collapses, CSS Text Level 3 (section 4.1.3) removes a segment break
(with the spaces and tabs around it) when the characters on both sides have East Asian
Width F, W or H and neither is Hangul, or when one side is a zero-width space; any other
run of white space becomes one space. Prettified HTML puts a line break next to every
inline tag, so without the rule a Chinese sentence shows a space at each link or bold
word (``武汉的\\n  <a>新病毒</a>\\n  所造成`` reads ``武汉的 新病毒 所造成``). Firefox
follows the rule; Chromium does not yet, but the archives' unprettified copies of the
same articles have no such spaces.

The rule is applied to HTML before html2text (which collapses white space and so loses
the line breaks), looking through inline tags and the renderer's inline markers; the
Markdown stage applies it to Markdown soft breaks through :func:`joins_without_space`.
"""

from __future__ import annotations

import re
import unicodedata

from tui.render.text import LINK_END, MARK_OPEN, STYLE_MARKS, map_outside

_INLINE = (
    "a|abbr|acronym|b|bdi|bdo|big|cite|code|data|del|dfn|em|font|i|ins|kbd|label|mark|nobr"
    "|q|s|samp|small|span|strike|strong|sub|sup|time|tt|u|var|wbr"
)
_QUOTED_TAG_BODY = r"(?:\"[^\"]*\"|'[^']*'|[^>\"'])*"
INLINE_TAG = re.compile(rf"</?(?:{_INLINE})\b{_QUOTED_TAG_BODY}>", re.IGNORECASE)
"""An inline element's tag: it neither starts a block nor breaks a white-space run."""
_MARKS = "".join(STYLE_MARKS) + LINK_END
_TAGS_AND_MARKS = (
    rf"</?(?:{_INLINE})\b{_QUOTED_TAG_BODY}>|[{_MARKS}]|{MARK_OPEN}link[^{MARK_OPEN}]*{MARK_OPEN}"
)
"""What a white-space run may hold and still be one run: inline tags, and the style marks
and link placeholders that stand for inline tags."""
_BREAK_RUN = re.compile(
    rf"(?<![ \t\r\f{_MARKS}])(?:[ \t\r\f]|{_TAGS_AND_MARKS})*+"
    rf"\n(?:[ \t\n\r\f]|{_TAGS_AND_MARKS})*+",
    re.IGNORECASE,
)
"""A run holding a line break. Possessive, and never starting inside a run of spaces, so
a long run without a line break costs one pass, not one per character."""
_WHITE_OUTSIDE_TAGS = re.compile(rf"({_TAGS_AND_MARKS})|[ \t\n\r\f]+", re.IGNORECASE)
_BLOCK_NAMES = (
    r"p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|section|article|header|footer|nav|aside"
    r"|main|figure|figcaption|table|caption|thead|tbody|tfoot|tr|td|th|hr|br|address|details"
    r"|summary|form|fieldset|legend|center"
)
_BLOCK_TAG_START = re.compile(rf"</?(?:{_BLOCK_NAMES})\b", re.IGNORECASE)
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCK_NAMES})\b[^<>]*>", re.IGNORECASE)
_PRE = re.compile(r"<(pre|textarea|listing|plaintext|xmp)\b.*?(?:</\1\s*>|\Z)", re.I | re.S)
"""Elements whose white space is preserved (``white-space: pre``)."""
ZWSP = "\u200b"


def is_wide(char: str) -> bool:
    """East Asian Width F, W or H, and not Hangul (CSS Text 3's segment-break test)."""
    if char < "\u1100":
        return False  # nothing below U+1100 is wide: skip the lookups for Latin text
    return unicodedata.east_asian_width(char) in "FWH" and not _is_hangul(char)


def _is_hangul(char: str) -> bool:
    code = ord(char)
    return (
        0x1100 <= code <= 0x11FF
        or 0x3130 <= code <= 0x318F
        or 0xA960 <= code <= 0xA97F
        or 0xAC00 <= code <= 0xD7FF
        or 0xFFA0 <= code <= 0xFFDC
    )


def joins_without_space(before: str, after: str) -> bool:
    """Whether a segment break between ``before`` and ``after`` disappears."""
    if before == ZWSP or after == ZWSP:
        return True
    return is_wide(before) and is_wide(after)


def remove_segment_breaks(markup: str) -> str:
    """Remove the white space of each run holding a line break that CSS Text 3 removes.

    Tags and markers in the run are kept; ``pre`` and ``textarea`` are left alone.
    Character references must already be decoded (a wide character written ``&#20013;``
    is seen as ``;``), as :func:`tui.render.entities.protect_text` leaves the text.
    """
    if "\n" not in markup:
        return markup
    if "<" in markup and _PRE.search(markup):
        return map_outside(_PRE, markup, _remove)
    return _remove(markup)


def _remove(markup: str) -> str:
    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        before = markup[start - 1] if start else ""
        after = markup[end] if end < len(markup) else ""
        if (before and after and joins_without_space(before, after)) or _at_block_edge(
            markup, start, end
        ):
            return _WHITE_OUTSIDE_TAGS.sub(r"\1", match.group())
        return match.group()

    return _BREAK_RUN.sub(replace, markup)


def _at_block_edge(markup: str, start: int, end: int) -> bool:
    """Whether a run starts or ends a line (next to a block tag or ``<br>``, or at an end
    of the markup): CSS removes its white space anyway, and html2text would otherwise
    put it inside a code span (``` ` x` ```)."""
    if start == 0 or end == len(markup) or _BLOCK_TAG_START.match(markup, end):
        return True
    if markup[start - 1] != ">":
        return False
    opening = markup.rfind("<", 0, start)
    return opening >= 0 and _BLOCK_TAG.fullmatch(markup, opening, start) is not None
