"""What every reader shares: the error type, opening plain or gzipped input, small text helpers.

Error contract (all readers): a reader is a generator. It yields every good record it can read,
in file order, and when it meets a fault it stops and raises one `ReaderError` that names the
file, the record (its index, and PMID/NCT when known) and the line. Nothing is skipped
silently: a reader never drops a bad record and carries on, because a user who exported 500
records and got 499 would not notice. Callers that prefer to collect errors pass an `errors`
list to `offlabel.sources.readers.read_records`.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from offlabel.errors import ReaderError

Source = str | os.PathLike[str] | bytes | IO[bytes]




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
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return raw


def _peek(stream: IO[bytes], n: int) -> bytes:
    if hasattr(stream, "peek"):
        return stream.peek(n)[:n]
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
        with open_binary(source) as fh:  # type: ignore[arg-type]
            data = fh.read()
    except (OSError, EOFError) as exc:  # truncated gzip, unreadable file
        raise ReaderError(file, f"cannot read: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReaderError(file, f"not UTF-8 text (byte {exc.start})", line=line) from None


def _looks_like_path(s: str) -> bool:
    return "\n" not in s and len(s) < 4096 and Path(s).exists()


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
    if text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    # split/join beats a regex substitution several-fold on the short strings met here
    return " ".join(text.split())


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


def json_items(
    source: Source | str, file: str, array_key: str, unwrap: object
) -> Iterator[tuple[int, object]]:
    """(index, item) for each element of the JSON array under `array_key`.

    `unwrap(doc)` turns a parsed document into its list of items (or raises ValueError). When
    the document does not parse (typically a truncated download), the items that do parse
    before the fault are still yielded by decoding the array element by element, and then one
    ReaderError names the record and line where it broke.
    """
    import json

    text = read_text(source, file)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        yield from _salvage(text, file, array_key, exc)
        return
    try:
        items = unwrap(doc)  # type: ignore[operator]
    except ValueError as exc:
        raise ReaderError(file, str(exc), line=1) from None
    yield from enumerate(items)


def _salvage(text: str, file: str, key: str, err: Any) -> Iterator[tuple[int, object]]:
    import json

    m = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
    if m is None:
        raise ReaderError(file, f"malformed JSON: {err.msg}", line=err.lineno) from None
    decoder = json.JSONDecoder()
    pos, index = m.end(), 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ReaderError(
                file, f"malformed JSON: {exc.msg}", record=f"record {index + 1}", line=exc.lineno
            ) from None
        yield index, item
        index += 1
    raise ReaderError(
        file, f"malformed JSON: {err.msg}", record=f"after record {index}", line=err.lineno
    )
