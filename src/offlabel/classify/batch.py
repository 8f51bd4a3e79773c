"""Parse and classify a large PubMed XML file on several cores.

The main process only decompresses and cuts the byte stream at article boundaries (a bytes
search, no parsing); worker processes parse each slice with the PubMed XML reader and classify
it. At most a few slices are in flight, so memory stays flat in the file size, and results
come back in file order. Errors keep the reader contract: each bad record is one ReaderError
naming the file, the record and the line, raised after the good records before it (the
default) or handed to `on_error`, in file order, while every good record is still yielded.

    for record, classification in classify_pubmed_xml("pubmed25n0001.xml.gz", workers=4):
        ...
"""

from __future__ import annotations

import gzip
import os
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from offlabel.model import Classification, Record
from offlabel.sources.readers import (
    OnError,
    ReaderError,
    Source,
    between_label,
    iter_pubmed_xml,
    open_binary,
    raise_error,
    record_label,
    source_name,
)

from .design import classify

_ENDS = (b"</PubmedArticle>", b"</PubmedBookArticle>")
_STARTS = (b"<PubmedArticle>", b"<PubmedArticle ", b"<PubmedBookArticle>")
_BLOCK = 1 << 20  # bytes read at a time; a slice is the complete articles of one or more blocks

_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b")  # libxml2's "tag mismatch: Article line 14"

Pair = tuple[Record, Classification]
Events = list[Pair | ReaderError]  # a slice's records and faults, in file order


def classify_pubmed_xml(
    source: Source,
    *,
    text_only: bool = False,
    workers: int | None = None,
    name: str | None = None,
    on_error: OnError | None = None,
) -> Iterator[Pair]:
    """(record, classification) for every article, in file order.

    `workers=1` streams in this process; the default uses every CPU. Each bad record is a
    ReaderError: raised (the default), or handed to `on_error` and read past.
    """
    file = source_name(source, name)
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for rec in iter_pubmed_xml(source, name=name, on_error=on_error):
            yield rec, classify(rec, text_only=text_only)
        return
    report = on_error or raise_error
    count = 0  # records so far, good or bad
    last: str | None = None  # "PMID x" of the last good one
    stop: ReaderError | None = None  # the first fault, without on_error
    pending: deque[tuple[Future[Events], int]] = deque()  # a slice, the lines before it

    def drain_one() -> Iterator[Pair]:
        nonlocal count, last, stop
        future, before = pending.popleft()
        for event in future.result():
            if isinstance(event, ReaderError):
                if event.line is not None:  # counted in the slice: the file's line
                    event.line += before
                    event.message = _LINE_IN_MESSAGE.sub(
                        lambda m: f"line {int(m.group(1)) + before}", event.message
                    )
                count = _renumber(event, count, last)
                if on_error is None:
                    stop = event
                    return
                on_error(event)
                continue
            count += 1
            last = f"PMID {event[0].pmid}" if event[0].pmid else last
            yield event

    stream_error: ReaderError | None = None
    with ProcessPoolExecutor(max_workers=workers) as pool:
        try:
            for line, piece, headed in _slices(source, file):
                job = pool.submit(_work, piece, text_only, file, on_error is not None, headed)
                # the worker parses the slice behind a one-line wrapper unless it is headed
                pending.append((job, line - 1 if headed else line - 2))
                while len(pending) > 2 * workers and stop is None:  # bounded look-ahead
                    yield from drain_one()
                if stop is not None:
                    break
        except ReaderError as exc:  # the stream itself broke (e.g. truncated gzip)
            stream_error = exc
        # slices already cut lie before any stream fault; without on_error a fault ends it
        while pending and stop is None:
            yield from drain_one()
        for future, _ in pending:
            future.cancel()
    if stop is not None:
        raise stop
    if stream_error is not None:
        if stream_error.line is not None:  # a fault in the stream: the record it cut short
            stream_error.record = record_label(count, last)
        report(stream_error)


def _renumber(error: ReaderError, count: int, last: str | None) -> int:
    """Give a fault found in a slice its place in the file, `count` records (good or bad)
    and the good one `last` before it; the running count after it.

    Faults come back in file order, so the running count is the fault's own place: only
    the kind of label the reader gave (readers._common) matters, a bad record counting as
    a record.
    """
    label = error.record or ""
    if label.startswith(("after record", "before record")):
        error.record = between_label(count, last)
        return count
    error.record = record_label(count, last)
    return count + 1 if label.startswith("record ") else count


def _last_end(buf: bytes) -> int:
    ends = [i + len(tag) for tag in _ENDS if (i := buf.rfind(tag)) >= 0]
    return max(ends, default=0)


def _blocks(source: Source) -> Iterator[bytes]:
    """Decompressed blocks. Gzip is inflated here (not by GzipFile) so that a truncated file
    still gives every byte before the cut; then an EOFError/OSError says where it stopped."""
    import zlib

    raw = open_binary(source)
    try:
        if isinstance(raw, gzip.GzipFile):
            inner = raw.fileobj  # inflate the compressed stream ourselves
            inflate, in_member = zlib.decompressobj(wbits=31), False
            while chunk := inner.read(_BLOCK):
                while chunk:
                    in_member = True
                    try:
                        out = inflate.decompress(chunk)
                    except zlib.error as exc:
                        raise OSError(f"corrupt gzip data: {exc}") from None
                    if out:
                        yield out
                    chunk = b""
                    if inflate.eof:  # another gzip member may follow (concatenated files)
                        chunk, in_member = inflate.unused_data, False
                        inflate = zlib.decompressobj(wbits=31)
            if in_member:
                raise EOFError("compressed file ended before the end-of-stream marker")
        else:
            while block := raw.read(_BLOCK):
                yield block
    finally:
        if raw is not source:
            raw.close()


def _slices(source: Source, file: str) -> Iterator[tuple[int, bytes, bool]]:
    """(first line number, bytes, headed) of consecutive runs of complete articles; the first
    run is `headed`: it keeps what comes before the first article (the declaration, the
    set's start tag), so that the worker checks it as the serial reader does."""
    try:
        blocks = _blocks(source)
    except OSError as exc:
        raise ReaderError(file, f"cannot open: {exc}") from None
    buf, line, started, headed = b"", 1, False, True
    while True:
        error: Exception | None = None
        try:
            block = next(blocks, b"")
        except (OSError, EOFError) as exc:
            block, error = b"", exc
        buf += block
        if not started:
            if any(s in buf for s in _STARTS):
                started = True
            elif block:
                continue
        cut = _last_end(buf) if started else 0
        if cut:
            piece, buf = buf[:cut], buf[cut:]
            yield line, piece, headed
            headed = False
            line += piece.count(b"\n")
        if error is not None:
            raise ReaderError(file, f"cannot read: {error}", line=line)
        if not block:
            if not started:  # an empty <PubmedArticleSet/> is a valid answer with no hits
                if b"PubmedArticleSet" not in buf:
                    raise ReaderError(file, "not PubMed XML (no <PubmedArticle> found)", line=1)
                return
            rest = buf.strip()
            if rest and not rest.startswith(b"</PubmedArticleSet"):
                # a truncated last article: the worker says what is wrong, on its own line
                yield line + buf.count(b"\n", 0, buf.index(rest[:1])), rest, headed
            return


def _work(piece: bytes, text_only: bool, file: str, read_on: bool, headed: bool) -> Events:
    """The records of one slice, classified, and its faults (the first only, unless
    `read_on`), in file order. The labels of the faults count from the slice's start."""
    events: Events = []

    def fault(exc: ReaderError) -> None:
        # A fresh copy, without the lxml error it was raised while handling: once `distributed`
        # is imported (offlabel scan), tblib pickles exceptions with their context, and an lxml
        # error log cannot be pickled back to the parent process.
        events.append(ReaderError(exc.file, exc.message, exc.record, exc.line))

    wrapped = (piece if headed else b"<PubmedArticleSet>\n" + piece) + b"\n</PubmedArticleSet>"
    try:
        for rec in iter_pubmed_xml(wrapped, name=file, on_error=fault if read_on else None):
            events.append((rec, classify(rec, text_only=text_only)))
    except ReaderError as exc:
        fault(exc)
    return events
