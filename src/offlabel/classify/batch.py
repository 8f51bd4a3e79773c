"""Parse and classify a large PubMed XML file on several cores.

The main process only decompresses and cuts the byte stream at article boundaries (a bytes
search, no parsing); worker processes parse each slice with the streaming reader and classify
it. At most a few slices are in flight, so memory stays flat in the file size, and results
come back in file order. Errors keep the reader contract: the good records first, then one
ReaderError naming the file, the record and the line.

    for record, classification in classify_pubmed_xml("pubmed25n0001.xml.gz", workers=4):
        ...
"""

from __future__ import annotations

import gzip
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from offlabel.model import Classification, Record
from offlabel.sources.readers import ReaderError
from offlabel.sources.readers._common import Source, open_binary, source_name

from .design import classify

_ENDS = (b"</PubmedArticle>", b"</PubmedBookArticle>")
_STARTS = (b"<PubmedArticle>", b"<PubmedArticle ", b"<PubmedBookArticle>")
_BLOCK = 1 << 20  # bytes read at a time; a slice is the complete articles of one or more blocks

Pairs = list[tuple[Record, Classification]]


def classify_pubmed_xml(
    source: Source,
    *,
    text_only: bool = False,
    workers: int | None = None,
    name: str | None = None,
) -> Iterator[tuple[Record, Classification]]:
    """(record, classification) for every article, in file order.

    `workers=1` streams in this process; the default uses every CPU.
    """
    from offlabel.sources.readers.pubmed_xml import iter_pubmed_xml

    file = source_name(source, name)
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for rec in iter_pubmed_xml(source, name=name):
            yield rec, classify(rec, text_only=text_only)
        return
    count = 0
    last_pmid: str | None = None
    stop: ReaderError | None = None
    pending: deque[tuple[Future[tuple[Pairs, ReaderError | None]], int]] = deque()

    def drain_one() -> Iterator[tuple[Record, Classification]]:
        nonlocal count, last_pmid, stop
        future, line = pending.popleft()
        pairs, error = future.result()
        for pair in pairs:
            count += 1
            last_pmid = pair[0].pmid or last_pmid
            yield pair
        if error is not None and stop is None:
            if error.line is not None:
                error.line += line - 2  # the slice was parsed behind a one-line wrapper
            stop = error

    stream_error: ReaderError | None = None
    with ProcessPoolExecutor(max_workers=workers) as pool:
        try:
            for line, piece in _slices(source, file):
                pending.append((pool.submit(_work, piece, text_only, file), line))
                while len(pending) > 2 * workers and stop is None:  # bounded look-ahead
                    yield from drain_one()
                if stop is not None:
                    break
        except ReaderError as exc:  # the stream itself broke (e.g. truncated gzip)
            stream_error = exc
        # slices already cut lie before any stream fault; a parse fault ends the output
        while pending and stop is None:
            yield from drain_one()
        for future, _ in pending:
            future.cancel()
    stop = stop or stream_error
    if stop is not None:
        after = f", after PMID {last_pmid}" if last_pmid else ""
        stop.record = f"record {count + 1}{after}"
        raise stop


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


def _slices(source: Source, file: str) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) of consecutive runs of complete articles."""
    try:
        blocks = _blocks(source)
    except OSError as exc:
        raise ReaderError(file, f"cannot open: {exc}") from None
    buf, line, started = b"", 1, False
    while True:
        error: Exception | None = None
        try:
            block = next(blocks, b"")
        except (OSError, EOFError) as exc:
            block, error = b"", exc
        buf += block
        if not started:
            found = [i for s in _STARTS if (i := buf.find(s)) >= 0]
            if found:
                first = min(found)
                line += buf.count(b"\n", 0, first)
                buf, started = buf[first:], True
            elif block:
                continue
        cut = _last_end(buf) if started else 0
        if cut:
            piece, buf = buf[:cut], buf[cut:]
            yield line, piece
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
                yield line, rest  # a truncated last article: the worker says what is wrong
            return


def _work(piece: bytes, text_only: bool, file: str) -> tuple[Pairs, ReaderError | None]:
    from offlabel.sources.readers.pubmed_xml import iter_pubmed_xml

    pairs: Pairs = []
    wrapped = b"<PubmedArticleSet>\n" + piece + b"\n</PubmedArticleSet>"
    try:
        for rec in iter_pubmed_xml(wrapped, name=file):
            pairs.append((rec, classify(rec, text_only=text_only)))
    except ReaderError as exc:
        exc.record = None  # renumbered by the caller, which knows the running count
        return pairs, exc
    return pairs, None
