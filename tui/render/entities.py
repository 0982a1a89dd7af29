"""Character references decoded once, as an HTML5 browser decodes them.

html2text hands every ``&name`` it meets to :mod:`html.parser`, which appends a
semicolon to the names it does not know (``AT&T`` became ``AT&T;``), and it writes the
characters it decodes without escaping them, so ``&ast;&ast;x&ast;&ast;`` came out as
bold Markdown. The HTML stage therefore decodes every reference in text itself, before
html2text, and writes the two characters html2text would read again (``&`` and ``<``)
as private-use stand-ins that :func:`tui.render.text.clean_inline` turns back. Attribute
values follow the HTML5 attribute rule, under which ``?a=1&copy=2`` keeps its ``&copy``.
"""

from __future__ import annotations

import html
import re
from html.entities import html5

from tui.render.text import AMP, LT, map_outside, strip_reserved

_REFERENCE = re.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;\ue000-\ue00f]{1,32};?)")
"""What :func:`html.unescape` treats as a character reference (its own pattern), ended
by the renderer's private markers, which no reference holds."""
_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]*)(;?)")
TAG = re.compile(r"<[A-Za-z/!?](?:(?:\"[^\"]*\"|'[^']*'|[^>\"'])*|[^>]*)>")
"""A tag as html.parser reads one: ``>`` inside a quoted attribute value does not end it.
A ``<`` that starts no tag (``a < b``) is text."""


def decode_attribute(value: str) -> str:
    """Decode an attribute value's references, once, by HTML5's attribute rule.

    The rule differs from text in one case: a legacy name without its semicolon that is
    followed by ``=`` or a letter or digit is not a reference, so the URL
    ``?a=1&copy=2&ampx`` keeps both.
    """
    if "&" not in value:
        return value
    parts: list[str] = []
    last = 0
    for match in _NAMED.finditer(value):
        if not _is_attribute_reference(match, value):
            # Kept as written: out of html.unescape's reach, which applies the text rule.
            parts.append(html.unescape(value[last : match.start()]))
            parts.append(match.group())
            last = match.end()
    parts.append(html.unescape(value[last:]))
    return "".join(parts)


def _is_attribute_reference(match: re.Match[str], value: str) -> bool:
    """Whether a named reference is decoded in an attribute value.

    With its semicolon it must be a known name; without, a legacy name (one that may
    omit it) not followed by ``=``. A legacy name followed by more letters (``&ampx``,
    ``&notit;``) is not a reference there, though it is one in text.
    """
    name, semicolon = match.groups()
    if semicolon:
        return name + ";" in html5
    return _longest_legacy_prefix(name) == name and value[match.end() : match.end() + 1] != "="


def _longest_legacy_prefix(name: str) -> str | None:
    """The longest start of ``name`` that is a reference without a semicolon."""
    for end in range(len(name), 1, -1):
        if name[:end] in html5:
            return name[:end]
    return None


def _protected(match: re.Match[str]) -> str:
    decoded = html.unescape(match.group())
    # A decoded character may be one of the renderer's private markers (&#xE000;).
    return strip_reserved(decoded).replace("&", AMP).replace("<", LT)


def protect_text(markup: str) -> str:
    """Decode the references in the text between tags, for html2text to read as is.

    Tags (and the placeholders already inserted) are left alone; in text, each reference
    is decoded and every ``&`` and ``<``, decoded or bare, becomes its stand-in, so
    html2text meets no reference and no ``<`` that it could read again.
    """
    if "&" not in markup and "<" not in markup:
        return markup
    return map_outside(TAG, markup, _protect_segment)


def _protect_segment(text: str) -> str:
    if "&" in text:
        text = _REFERENCE.sub(_protected, text).replace("&", AMP)
    return text.replace("<", LT) if "<" in text else text
