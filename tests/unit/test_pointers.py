"""RFC 6901 pointers: how every error names a field and every form names its inputs.

A pointer that resolves to the wrong value would check (or price) the wrong field, and one
that raises would turn a citizen's typo into a 500, so resolution is tested on the RFC's own
examples, on hostile tokens and as a property: join then resolve finds the value again.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.pointers import MISSING, join_pointer, resolve_pointer

# The example document of RFC 6901, section 5.
RFC_DOC: dict[str, Any] = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
}


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("", RFC_DOC),
        ("/foo", ["bar", "baz"]),
        ("/foo/0", "bar"),
        ("/foo/1", "baz"),
        ("/", 0),
        ("/a~1b", 1),
        ("/c%d", 2),
        ("/e^f", 3),
        ("/g|h", 4),
        ("/i\\j", 5),
        ('/k"l', 6),
        ("/ ", 7),
        ("/m~0n", 8),
    ],
)
def test_resolves_the_rfc_6901_examples(pointer: str, expected: Any) -> None:
    assert resolve_pointer(RFC_DOC, pointer) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], ""),
        (["vehicle", "plates", 0], "/vehicle/plates/0"),
        (["a/b"], "/a~1b"),
        (["m~n"], "/m~0n"),
        (["~1"], "/~01"),  # "~" escaped first, so a literal "~1" survives the round trip
        ([""], "/"),
        (["", "x"], "//x"),
    ],
)
def test_join_escapes_tilde_then_slash(parts: list[str | int], expected: str) -> None:
    assert join_pointer(parts) == expected


def test_empty_tokens_are_keys_not_separators() -> None:
    doc = {"": {"x": 1, "": 2}, "x": 3}
    assert resolve_pointer(doc, "//x") == 1
    assert resolve_pointer(doc, "//") == 2
    assert resolve_pointer(doc, "/x") == 3


def test_escaped_tilde_one_is_not_decoded_twice() -> None:
    assert resolve_pointer({"~1": "literal", "/": "slash"}, "/~01") == "literal"


@pytest.mark.parametrize(
    "pointer",
    [
        "/missing",
        "/foo/2",  # past the end
        "/foo/-",  # "-" names the element after the last: never a value
        "/foo/-1",
        "/foo/01",  # RFC 6901: array indexes have no leading zeros
        "/foo/00",
        "/foo/+1",
        "/foo/ 1",
        "/foo/1.0",
        "/foo/²",  # str.isdigit() is true for superscripts, int() refuses them
        "/foo/\u0661",  # Arabic-Indic digit one: int() accepts it, RFC 6901 does not
        "/foo/0/x",  # descending into a string
        "/c%d/x",  # descending into an int
        "foo",  # not a pointer at all: no leading slash
        "foo/0",
    ],
)
def test_unresolvable_pointers_give_missing_and_never_raise(pointer: str) -> None:
    assert resolve_pointer(RFC_DOC, pointer) is MISSING


def test_none_is_a_value_not_missing() -> None:
    assert resolve_pointer({"a": None}, "/a") is None


def test_scalars_have_no_members() -> None:
    assert resolve_pointer("text", "/0") is MISSING
    assert resolve_pointer(42, "/a") is MISSING
    assert resolve_pointer(None, "") is None


_keys = st.text(max_size=6)
_steps = st.lists(st.one_of(_keys, st.integers(min_value=0, max_value=3)), max_size=5)


def _build(path: list[str | int], leaf: object) -> Any:
    value: Any = leaf
    for part in reversed(path):
        value = [None] * part + [value] if isinstance(part, int) else {part: value}
    return value


@given(path=_steps, leaf=st.integers())
def test_join_then_resolve_finds_the_value(path: list[str | int], leaf: int) -> None:
    document = _build(path, leaf)
    assert resolve_pointer(document, join_pointer(path)) == leaf


@given(
    pointer=st.text(max_size=20),
    document=st.recursive(
        st.none() | st.integers() | st.text(max_size=3),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=10,
    ),
)
def test_resolve_never_raises(pointer: str, document: Any) -> None:
    resolve_pointer(document, pointer)
