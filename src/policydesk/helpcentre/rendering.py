"""An article's Markdown as HTML a page may print: markdown-it-py (CommonMark, tables) with raw
HTML turned off, then nh3 with a short list of tags, attributes and URL schemes. Two layers on
purpose: the parser escapes HTML typed into the text and refuses `javascript:` links, and the
sanitiser removes whatever a parser bug or a future plugin might let through."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

from policydesk.search.normalise import normalise

_PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
# h1 is the page's own title: an article's "# heading" becomes h2 (see `render`).
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}  # no style attributes: the site's CSP refuses inline styles (a table's column alignment is lost)
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})


def render(markdown: str) -> str:
    """Sanitised HTML of `markdown` (headings start at h2: the page's title is its h1)."""
    tokens = _PARSER.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )


def search_text(title: str, markdown: str) -> str:
    """What article search compares: title and text, folded like the ticket search folds them."""
    return normalise(f"{title}\n{markdown}")
