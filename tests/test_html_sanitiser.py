"""The one sanitising module: what it removes and what it keeps intact."""

from __future__ import annotations

import pytest

from pressimus.lib.html import clean_html, html_to_text, is_blank_html


@pytest.mark.parametrize(
    "dirty",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">hi</p>',
        '<svg onload="alert(1)"><circle r="1"/></svg>',
        '<iframe src="https://evil.example/"></iframe>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<a href="java&#x200b;script:alert(1)">x</a>',
        '<a href="java\u200bscript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<form><button formaction="javascript:alert(1)">go</button></form>',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style>",
        '<style>body{background:url("javascript:alert(1)")}</style>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<!--<script>alert(1)</script>-->",
        '<object data="data:text/html,<script>alert(1)</script>"></object>',
    ],
)
def test_dangerous_markup_is_removed(dirty):
    clean = clean_html(dirty).lower()
    for needle in ("<script", "onerror", "onclick", "onload", "javascript:", "data:", "vbscript:"):
        assert needle not in clean
    for tag in ("<img", "<svg", "<iframe", "<form", "<button", "<style", "<object", "style="):
        assert tag not in clean


def test_script_contents_are_dropped_not_left_as_text():
    assert clean_html("<p>Before</p><script>steal(document.cookie)</script><p>after</p>") == (
        "<p>Before</p><p>after</p>"
    )


def test_news_markup_is_kept_intact():
    html = (
        "<h2>What we know</h2><p>The <strong>ministry</strong> said <em>nothing</em>.</p>"
        "<ul><li>One</li><li>Two</li></ul><ol><li>First</li></ol>"
        '<blockquote cite="https://example.org/a"><p>Quoted</p></blockquote>'
        "<h3>Sub</h3><p>x<sub>2</sub> and <code>code</code></p>"
    )
    assert clean_html(html) == html


@pytest.mark.parametrize(
    "href", ["https://example.org/a?b=1&amp;c=2", "http://example.org/", "mailto:desk@example.org"]
)
def test_allowed_links_keep_their_target_and_get_nofollow_noopener(href):
    clean = clean_html(f'<p><a href="{href}">link</a></p>')
    assert clean == f'<p><a href="{href}" rel="nofollow noopener">link</a></p>'


def test_a_link_cannot_choose_its_own_rel_or_target():
    clean = clean_html('<a href="https://example.org/" rel="opener" target="_blank">x</a>')
    assert clean == '<a href="https://example.org/" rel="nofollow noopener">x</a>'


def test_bare_addresses_in_text_become_safe_links():
    assert clean_html("<p>See https://example.org/report</p>") == (
        '<p>See <a href="https://example.org/report" rel="nofollow noopener">'
        "https://example.org/report</a></p>"
    )


def test_control_characters_are_removed_but_newlines_and_tabs_stay():
    assert (
        clean_html("<p>a\x00b\x08c\x0bd\x1fe\x7ff</p>\n<p>g\th</p>") == "<p>abcdef</p>\n<p>g\th</p>"
    )


def test_unknown_tags_are_stripped_but_their_text_kept():
    assert clean_html("<p><span class='x'>Kept</span> <font>text</font></p>") == "<p>Kept text</p>"


def test_text_that_looks_like_markup_is_escaped():
    assert clean_html("<p>1 < 2 & 3 > 2</p>") == "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"


@pytest.mark.parametrize(
    ("html", "blank"),
    [
        ("", True),
        ("<p></p>", True),
        ("<p>&nbsp; <br></p>", True),
        ("<p>\u200b</p>", True),
        ("<p>x</p>", False),
    ],
)
def test_blank_markup_is_recognised(html, blank):
    assert is_blank_html(html) is blank


def test_html_to_text_gives_plain_words():
    assert html_to_text("<p>Amnesty &amp; HRW</p>\n<p>report</p>") == "Amnesty & HRW report"
