"""How a word becomes bytes, everywhere skw2v writes one, and which str can be a word.

A word is a str that UTF-8 can hold as bytes: every str Python makes from bytes,
the undecodable ones included (``errors="surrogateescape"`` maps byte ``0xE9`` to
``"\\udce9"``, the way Python decodes file names and ``sys.argv``). Every place
where skw2v turns a word into bytes (the lexicon, model files, word2vec files,
the vectors cache, the CLI's output) uses :data:`ENCODING` and :data:`ERRORS`, so
such a word is written as the bytes it was read from and read back as the same
str. A str that no bytes decode to (a lone surrogate outside ``U+DC80..U+DCFF``,
or escapes that spell valid UTF-8) cannot be written anywhere; reading a corpus
refuses it, naming the token and its document (:func:`check_word`). The word2vec
formats also end a word at a space and a row at a newline, so reading a corpus
refuses empty tokens and those too (:func:`skw2v._word2vec_format.key_problem`).
"""

import json
import re

ENCODING, ERRORS = "utf-8", "surrogateescape"


class UnstorableWord(ValueError):
    """A word no bytes decode to: ``.index`` is its position in the list looked up."""

    def __init__(self, word, index):
        super().__init__(f"{word!r} cannot be stored: {_UNSTORABLE}")
        self.word, self.index = word, index


_UNSTORABLE = ("it holds surrogate characters that no bytes decode to (Python makes "
               "'\\udc80'-'\\udcff' alone, from undecodable bytes with errors='surrogateescape'), "
               "so no file could hold it. Decode the text with errors='surrogateescape' "
               "(the bytes are kept) or 'replace'.")


def check_word(word, index=0):
    """``word``'s bytes; :class:`UnstorableWord` if they would not decode back to ``word``."""
    try:
        data = word.encode(ENCODING, ERRORS)
        if data.decode(ENCODING, ERRORS) == word:
            return data
    except UnicodeEncodeError:
        pass
    raise UnstorableWord(word, index)


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_utf8(obj):
    """``obj`` as UTF-8 JSON bytes; a word's surrogate escapes written as ``\\udcXX``.

    ``json.loads`` gives the same str back, and the file stays valid UTF-8 (the
    escapes are JSON's own syntax) where raw surrogates would not encode at all.
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=True)
    try:
        return text.encode(ENCODING)
    except UnicodeEncodeError:  # only inside strings: json.dumps escapes nothing else
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode(ENCODING)
