"""Natural keys that look the same but are not: a Cyrillic `\u0430` for `a`, a zero-width space, a BOM.

Two such names validate as two distinct objects, and a reviewer reading the plan cannot tell
them apart, so `validate` warns. This is a compact approximation of Unicode TR39's confusable
skeleton, not the full table: NFKC (fullwidth and compatibility forms), then every format
(Cf) and other default-ignorable character removed (zero-width spaces and joiners, BOM, bidi
marks, variation selectors, Hangul fillers), then the Cyrillic and Greek letters that look like
Latin ones mapped to them. Look-alikes within Latin (`l`/`1`/`I`, `rn`/`m`) are not folded:
those differences are visible.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from egain_provision.manifest.declared import Declared
from egain_provision.model import Diagnostic

# Default-ignorable code points outside category Cf (which is removed as a whole).
_IGNORABLE = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)

# Written as escapes: the letters themselves are the look-alikes this module is about.
_LOOK_ALIKES = str.maketrans(
    # Cyrillic: a e o p c y x s i j d h q w l, then A B E K M H O P C T X S I J Y Q W
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0501\u04bb\u051b\u051d\u04cf"
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0405\u0406\u0408\u04ae\u051a\u051c"
    # Greek: o a p v i k u, then A B E Z H I K M N O P T Y X
    "\u03bf\u03b1\u03c1\u03bd\u03b9\u03ba\u03c5"
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7",
    "aeopcyxsijdhqwlABEKMHOPCTXSIJYQWoapvikuABEZHIKMNOPTYX",
)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or ord(char) in _IGNORABLE


def skeleton(text: str) -> str:
    """What `text` looks like: equal skeletons, different texts are names a reader cannot tell apart."""
    normalized = unicodedata.normalize("NFKC", text)
    return "".join(char for char in normalized if not _invisible(char)).translate(_LOOK_ALIKES)


def unusual_characters(text: str) -> str:
    """The characters of `text` that are not printable ASCII, by code point and name."""
    seen = dict.fromkeys(char for char in text if not (char.isascii() and char.isprintable()))
    return ", ".join(f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}" for char in seen)


def confusable_keys(declared: Sequence[Declared]) -> list[Diagnostic]:
    """A warning at each natural key that looks like an earlier one of the same kind but differs."""
    first: dict[tuple[str, str], Declared] = {}
    diagnostics = []
    for obj in declared:
        key = obj.natural_key
        field = obj.kind.natural_key
        if key is None or obj.document.is_sensitive(obj.path(field)):
            continue
        earlier = first.setdefault((obj.kind.name, skeleton(key)), obj)
        if earlier is obj or earlier.natural_key == key:
            continue
        other = str(earlier.natural_key)
        differing = unusual_characters(key + other)
        diagnostics.append(
            Diagnostic(
                "warning",
                obj.locate(field),
                obj.path(field),
                f"{obj.kind.title} {key!r} looks the same as {other!r} (at {earlier.locate(field)}) "
                f"but is another name: they differ in invisible or look-alike characters ({differing})",
                "retype the name in plain characters; if two objects are meant, give them visibly different names",
            )
        )
    return diagnostics
