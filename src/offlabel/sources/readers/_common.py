"""What every reader shares: the error type, opening plain or gzipped input, small text helpers.

Error contract (all readers): a reader is a generator that yields every good record it can
read, in file order. Each bad record (and any stretch between records that is not a record)
becomes one `ReaderError` naming the file, the line and the record:

    export.nbib:41: record 4 (after PMID 123456): not a MEDLINE 'TAG - value' line: 'junk'
    export.nbib:40: after record 3 (PMID 123456): continuation line outside a record

What happens to it is the caller's choice, through the reader's `on_error` argument:

* `on_error=None` (the default): the first one is raised, after the good records before it.
  For a caller that must not go on with a damaged input (an EFetch response is fetched
  again rather than half used).
* `on_error=callback`: the reader calls it with each error and goes on to the next record
  (it resynchronises at the next record's start), so every good record of a damaged file is
  read and every bad one reported. `read_records(path, errors=[...])` collects them in a
  list.

Nothing is skipped silently: a record is either yielded whole or reported, because a user who
exported 500 records and got 499 would not notice.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from offlabel.errors import ReaderError
from offlabel.model import Record

__all__ = [
    "JsonFault",
    "OnError",
    "ReaderError",
    "Source",
    "between_label",
    "dig",
    "find_nct",
    "json_items",
    "open_binary",
    "parse_year",
    "raise_error",
    "read_text",
    "record_label",
    "release",
    "source_name",
    "split_sections",
    "squash",
]

Source = str | os.PathLike[str] | bytes | IO[bytes]
OnError = Callable[[ReaderError], None]


def release(elem: Any) -> None:
    """Free an element an iterparse loop has read, and its finished siblings before it: without
    this the tree of a whole file would stay in memory."""
    elem.clear()
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def raise_error(error: ReaderError) -> None:
    """The default `on_error`: stop at the first bad record."""
    raise error


def record_label(count: int, last_id: str | None) -> str:
    """'record N (after PMID x)': where a bad record sits, `count` records (good or bad)
    before it; `last_id` names the last good one ("PMID 123", "NCT01234567")."""
    return f"record {count + 1} (after {last_id})" if last_id else f"record {count + 1}"


def between_label(count: int, last_id: str | None) -> str:
    """'after record N (PMID x)': something between records that is not a record."""
    if count == 0:
        return "before record 1"
    return f"after record {count} ({last_id})" if last_id else f"after record {count}"


def source_name(source: object, name: str | None = None) -> str:
    if name:
        return name
    if isinstance(source, str) and not _looks_like_path(source):
        return "<text>"
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    if isinstance(source, bytes | bytearray):
        return "<bytes>"
    return getattr(source, "name", None) or "<stream>"


def open_binary(source: Source) -> IO[bytes]:
    """A binary stream over a path, bytes or file object, transparently gunzipping .gz input."""
    if isinstance(source, bytes | bytearray):
        raw: IO[bytes] = io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        raw = open(source, "rb")  # noqa: SIM115 - closed by the caller via the wrapper
    else:
        raw = source
    peek = _peek(raw, 2)
    if peek == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _peek(stream: IO[bytes], n: int) -> bytes:
    if hasattr(stream, "peek"):
        head: bytes = stream.peek(n)[:n]
        return head
    if stream.seekable():
        pos = stream.tell()
        head = stream.read(n)
        stream.seek(pos)
        return head
    raise TypeError("stream must be seekable or support peek()")


def read_text(source: Source | str, file: str) -> str:
    """The whole input decoded as UTF-8 (BOM tolerated); a decode fault names its line."""
    if isinstance(source, str) and not _looks_like_path(source):
        return source
    try:
        with open_binary(source) as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:  # truncated gzip, unreadable file
        raise ReaderError(file, f"cannot read: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReaderError(file, f"not UTF-8 text (byte {exc.start})", line=line) from None


def _looks_like_path(s: str) -> bool:
    try:
        return "\n" not in s and len(s) < 4096 and Path(s).exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL: text
        return False


def dig(d: object, *path: str) -> Any:
    """The value at a path of keys in nested JSON objects, None where any step is missing."""
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def squash(text: str | None) -> str:
    """Collapse runs of whitespace: wrapped MEDLINE lines and indented XML read the same."""
    if not text:
        return ""
    # Most text is already clean: printable means no whitespace but the ASCII space (tabs,
    # newlines and the Unicode separators are all unprintable), so only doubled or outer
    # spaces could change. Checking that is several times cheaper than re-joining the words.
    if (
        (len(text.encode().translate(None, _CONTROLS)) == len(text) if text.isascii()
         else text.isprintable())  # the same test; on ASCII a byte table is twice as fast
        and "  " not in text and text[0] != " " and text[-1] != " "
    ):
        return text
    # split/join beats a regex substitution several-fold on the short strings met here
    return " ".join(text.split())


_CONTROLS = bytes([*range(32), 127])  # the ASCII characters str.isprintable() rejects

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d|2100)\b")


def parse_year(text: str | None) -> int | None:
    if text and len(text) == 4 and text.isascii() and text.isdigit():  # "2019", without a scan
        year = int(text)
        return year if 1800 <= year <= 2100 else None
    m = _YEAR.search(text or "")
    return int(m.group(1)) if m else None


_NCT = re.compile(r"\bNCT\d{8}\b")


def find_nct(text: str | None) -> str | None:
    m = _NCT.search(text or "")
    return m.group(0) if m else None


# Structured abstracts in flat text ("OBJECTIVE: ... METHODS: ..."): a run of capitals (and a
# few joiners) followed by a colon. Used by the MEDLINE and Europe PMC readers.
_SECTION = re.compile(r"(?:^|(?<=[.?!)]\s))([A-Z][A-Z0-9 ,&/()'-]{2,60}?):\s")


def split_sections(abstract: str) -> list[tuple[str, str]]:
    """Split a flat structured abstract into (label, text); [] when it has no labelled sections."""
    hits = list(_SECTION.finditer(abstract))
    if not hits or hits[0].start() != 0:
        return []
    out = []
    for i, m in enumerate(hits):
        end = hits[i + 1].start() if i + 1 < len(hits) else len(abstract)
        out.append((m.group(1).strip(), abstract[m.end() : end].strip()))
    return out


@dataclass
class JsonFault:
    """A place in a JSON array that does not decode: `in_record` when it is (part of) an item,
    which then counts as a bad record, else it lies before or after the items."""

    message: str
    line: int
    in_record: bool


def json_items(
    source: Source | str,
    file: str,
    array_key: str,
    unwrap: Callable[[object], list[Any]],
    is_item: Callable[[object], bool],
) -> Iterator[tuple[int, object]]:
    """(index, item) for each element of the JSON array under `array_key` (or of a top-level
    array); a `JsonFault` in place of an item that does not decode.

    `unwrap(doc)` turns a parsed document into its list of items (or raises ValueError). When
    the document does not parse (a truncated download, a corrupted item), the array is decoded
    element by element: after a broken element, decoding resumes at the next object that
    `is_item` accepts, so every whole item is still read.
    """
    import json

    text = read_text(source, file)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        yield from _salvage(text, array_key, exc, is_item)
        return
    try:
        items = unwrap(doc)
    except ValueError as exc:
        raise ReaderError(file, str(exc), line=1) from None
    yield from enumerate(items)


def json_records(
    source: Source | str,
    file: str,
    array_key: str,
    unwrap: Callable[[object], list[Any]],
    is_item: Callable[[object], bool],
    to_record: Callable[[Any], Record],
    ident: Callable[[Record], str | None],
    report: Callable[[ReaderError], None],
) -> Iterator[Record]:
    """A Record per item of a JSON reader's array (json_items); each item that does not decode
    or convert is one ReaderError handed to `report`, labelled after the last good record's
    `ident`, and reading goes on. A file that is not this format at all is one ReaderError."""
    last: str | None = None
    try:
        for index, item in json_items(source, file, array_key, unwrap, is_item):
            if isinstance(item, JsonFault):
                label = record_label if item.in_record else between_label
                report(ReaderError(file, item.message, record=label(index, last), line=item.line))
                continue
            try:
                rec = to_record(item)
            except ValueError as exc:
                report(ReaderError(file, str(exc), record=record_label(index, last)))
                continue
            last = ident(rec) or last
            yield rec
    except ReaderError as exc:  # the file itself: unreadable, not UTF-8, not this format
        report(exc)


def _salvage(
    text: str, key: str, err: Any, is_item: Callable[[object], bool]
) -> Iterator[tuple[int, object]]:
    import json

    m = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text) or re.match(r"\s*\[", text)
    if m is None:
        yield 0, JsonFault(f"malformed JSON: {err.msg}", err.lineno, in_record=False)
        return
    decoder = json.JSONDecoder()
    pos, index, faults = m.end(), 0, 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            faults += 1
            yield index, JsonFault(f"malformed JSON: {exc.msg}", exc.lineno, in_record=True)
            index += 1
            pos = _next_item(text, exc.pos, decoder, is_item)
            continue
        yield index, item
        index += 1
    if not faults:  # the array is whole: the fault lies before or after it
        yield index, JsonFault(f"malformed JSON: {err.msg}", err.lineno, in_record=False)


def _next_item(text: str, pos: int, decoder: Any, is_item: Callable[[object], bool]) -> int:
    """Where the next whole item starts at or after `pos` (the end of the text if none does)."""
    import json

    while (pos := text.find("{", pos)) >= 0:
        try:
            item, _ = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            item = None
        if is_item(item):
            return pos
        pos += 1
    return len(text)
