"""PubMed/MEDLINE XML: efetch output and the annual baseline / daily update files, plain or .gz.

Three ways through a file, one result for the records they all read:

* the quick path (paths and bytes): each block read is cut after its last whole article and
  its articles parsed as one document;
* the streaming parse (lxml iterparse), for anything the quick path does not handle: each
  <PubmedArticle> is turned into a Record and freed, so memory stays flat however large the
  file is. It stops at the first fault (`on_error=None`);
* the piecewise parse, for a damaged file read with an `on_error` callback: the input is cut
  at every article's start tag and each piece parsed on its own, so a broken article is one
  bad record and the articles after it are still read.

With `detail=True` each record also carries MEDLINE's coded
lists (MeSH UIs, major topics and qualifiers, chemical UIs and registry numbers, supplementary
concepts) and its PMID's Version, and each PMID of a <DeleteCitation> is yielded, in document
order, as a Record with `deleted=True`. Without it the records are exactly as before.
`lean=True` (the scan's view: detail, less what a scan never reads) leaves out the authors,
keywords, DOI and PMC id, and the quick path does not even parse them.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Generator, Iterator
from typing import Any

from offlabel.model import Concept, MeshTerm, Record, Substance

from ._common import (
    OnError,
    ReaderError,
    Source,
    between_label,
    open_binary,
    parse_year,
    record_label,
    release,
    source_name,
    squash,
)

_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
# What a record carries, passed down as `detail` (truthy for both kinds of detail)
_PLAIN, _DETAIL, _LEAN = 0, 1, 2
_POSITION = re.compile(r",? line \d+, column \d+$")


def iter_pubmed_xml(
    source: Source,
    *,
    name: str | None = None,
    on_error: OnError | None = None,
    detail: bool = False,
    lean: bool = False,
) -> Iterator[Record]:
    """Yield a Record per article. A bad article is a ReaderError: raised (the default, after
    the good records before it), or handed to `on_error`, after which reading resumes at the
    next article.

    A path or bytes is first read the quick way: each block read is cut after its last
    whole article, and its articles parsed as one document (about a quarter less libxml2
    time than iterparse, which records events for every element). Anything unusual there
    (a syntax error, a truncated stream, an unknown element between articles, another
    encoding) hands over to the streaming parse (or, with `on_error`, the piecewise one),
    which re-reads the input from the start, skips the records already yielded and reports
    the fault. File objects cannot be read twice: they go to the streaming parse (or, with
    `on_error`, the piecewise one) directly.

    `detail`: MEDLINE's coded lists and the PMID version too, and deleted PMIDs (module doc).
    `lean`: detail without authors, keywords, DOI and PMC id (module doc).
    """
    level = _LEAN if lean else _DETAIL if detail else _PLAIN
    if not isinstance(source, bytes | bytearray | str | os.PathLike):
        if on_error is None:
            yield from _iter_streamed(source, name=name, detail=level)
        else:
            yield from _iter_pieces(source, name=name, report=on_error, detail=level)
        return
    done = 0
    quick = _iter_sliced(source, level)
    try:
        # Read ahead a few dozen articles, then hand them out: the caller's work on them (say,
        # classifying) then runs back to back too, which keeps both loops in the CPU caches
        # (about 5% faster parse + classify). Memory stays flat: 64 Records at most.
        batch: list[Record] = []
        for rec in quick:
            batch.append(rec)
            if len(batch) == _READ_AHEAD:
                done += len(batch)
                yield from batch
                batch = []
        done += len(batch)
        yield from batch
        return
    except _Unusual:
        pass  # records parsed but not yet handed out are read again by the slower parse
    finally:
        quick.close()
    if on_error is None:
        rest = _iter_streamed(source, name=name, detail=level)
    else:
        rest = _iter_pieces(source, name=name, report=on_error, detail=level)
    for i, rec in enumerate(rest):
        if i >= done:
            yield rec


class _Unusual(Exception):
    """The quick path met something it does not handle: the streaming parse takes over."""


_SET_OPEN = b"<PubmedArticleSet>"
_SET_CLOSE = b"</PubmedArticleSet>"
_PIECES = (
    (b"<PubmedArticle>", b"</PubmedArticle>"),
    (b"<PubmedBookArticle>", b"</PubmedBookArticle>"),
    (b"<DeleteCitation>", b"</DeleteCitation>"),
)
_GAP = re.compile(rb"[ \t\r\n]*")
_ENCODING = re.compile(rb"""<\?xml[^>]*encoding=["']([^"']+)""")
_BLOCK = 1 << 20
_READ_AHEAD = 64


def _iter_sliced(source: Source, detail: int = _PLAIN) -> Generator[Record, None, None]:
    from lxml import etree

    try:
        stream = open_binary(source)
    except OSError:
        raise _Unusual from None
    if isinstance(stream, gzip.GzipFile):
        stream = _Gunzip(stream.fileobj, owns=isinstance(source, str | os.PathLike), fast=True)
    # the options of the streaming parse
    parser = etree.XMLParser(
        huge_tree=True,
        remove_blank_text=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )

    def read() -> bytes:
        try:
            return stream.read(_BLOCK)
        except (OSError, EOFError):
            raise _Unusual from None

    try:
        buf = b""
        eof = False
        while (start := buf.find(_SET_OPEN)) < 0:
            if eof or len(buf) > _BLOCK:
                raise _Unusual
            block = read()
            eof = not block
            buf += block
        pos = start + len(_SET_OPEN)
        head = buf[:pos]
        enc = _ENCODING.search(head)
        if enc is not None and enc.group(1).lower() not in (b"utf-8", b"utf8"):
            raise _Unusual
        try:  # the declaration, doctype and root tag must be what the streaming parse accepts
            root = etree.fromstring(head + _SET_CLOSE, parser)
        except etree.XMLSyntaxError:
            raise _Unusual from None
        if root.tag != "PubmedArticleSet":
            raise _Unusual
        while True:
            # What follows must be pieces (then the set's end): anything else is unusual,
            # and better found now than after reading on.
            rest = _GAP.match(buf, pos).end()  # type: ignore[union-attr]
            if len(buf) - rest >= 32 and not buf.startswith(_STARTS, rest):
                raise _Unusual
            end = _last_piece_end(buf, pos)
            if end > pos:
                yield from _parse_run(_skim(buf[pos:end], detail == _LEAN), parser, detail)
                pos = end
            if eof:
                break
            if len(buf) - pos > _MAX_PIECE:  # no piece ends: leave it to the streaming parse
                raise _Unusual
            block = read()
            eof = not block
            buf = buf[pos:] + block
            pos = 0
        if buf[pos:].strip(b" \t\r\n") != _SET_CLOSE:
            raise _Unusual
    finally:
        if stream is not source:
            stream.close()


_STARTS = (*(open_tag for open_tag, _ in _PIECES), _SET_CLOSE)
_MAX_PIECE = 64 * _BLOCK


def _last_piece_end(buf: bytes, pos: int) -> int:
    """Where the last whole piece in buf[pos:] ends (pos if none does). The end tags are
    searched backwards, so only the unfinished tail is scanned (a forward search per article
    reads every byte again: about 5 us an article)."""
    best = pos
    for _, close_tag in _PIECES:  # articles first; the rarer pieces only after the last one
        end = buf.rfind(close_tag, best)
        if end >= 0:
            best = end + len(close_tag)
    return best


# An article's reference lists are a third of the baseline's bytes and more of its elements,
# and no Record field comes from them: cut from a run before lxml sees it, they are never
# parsed nor freed (a 30,000-record file: 2.0 s of libxml2 -> 1.2 s, for 0.25 s of byte
# searching). The streaming and piecewise parses still read everything.
#
# The reference lists come last in PubmedData, after the ArticleIdList the reader does read,
# and may nest: so the cut runs from the first of them up to PubmedData's own end tag. Cuts
# are searched for only between an article's own start and end tags, so a cut never leaves
# its article and a book article is never touched; an element cut short is left for the parser.
_DATA_CLOSE = b"</PubmedData>"
_REFERENCES = b"<ReferenceList"
_ARTICLE_START, _ARTICLE_END = b"<PubmedArticle>", b"</PubmedArticle>"


def _skim(region: bytes, lean: bool = False) -> bytes:
    """The run without the elements the reader does not read (see above)."""
    return _cut_lean(region) if lean else _cut_references(region)


def _opens(region: bytes, i: int, tag: bytes) -> bool:
    """Whether the start tag found at i (`tag` is its "<" and name) is that element's, not
    a longer name's: "<Article" opens <Article PubModel=...>, not <ArticleTitle>."""
    return i >= 0 and region[i + len(tag) : i + len(tag) + 1] in (b">", b" ")


def _cut_references(region: bytes) -> bytes:
    parts = []
    keep = 0  # the bytes before this are copied or cut
    pos = 0
    while (start := region.find(_ARTICLE_START, pos)) >= 0:
        end = region.find(_ARTICLE_END, start)
        if end < 0:
            break
        i = region.find(_REFERENCES, start, end)
        if _opens(region, i, _REFERENCES):
            j = region.find(_DATA_CLOSE, i, end)
            if j >= 0:
                parts.append(region[keep:i])
                keep = j
        pos = end + len(_ARTICLE_END)
    if not parts:
        return region
    parts.append(region[keep:])
    return b"".join(parts)


# A lean read keeps of each article only the MedlineCitation elements it reads, in the order
# of the PubMed DTD: PMID, then (DateCompleted, DateRevised: cut) Article less its AuthorList,
# MedlineJournalInfo ... MeshHeadingList, then (OtherID, OtherAbstract, KeywordList,
# InvestigatorList ...: cut) the end of MedlineCitation; the whole PubmedData goes too. A gap
# between two read elements is cut only when it holds none of the elements the reader reads at
# that level, so a file out of the DTD's order loses nothing.
_MEDLINE_CLOSE = b"</MedlineCitation>"
_PMID_CLOSE = b"</PMID>"
_ARTICLE_OPEN = b"<Article"
_AUTHORS_OPEN, _AUTHORS_CLOSE = b"<AuthorList", b"</AuthorList>"
_MESH_CLOSE = b"</MeshHeadingList>"
_READ_AT_TOP = re.compile(
    rb"<(?:PMID|Article|MedlineJournalInfo|ChemicalList|SupplMeshList|MeshHeadingList)[\s>]"
)


def _cut_lean(region: bytes) -> bytes:
    find, rfind = region.find, region.rfind
    parts = []
    keep = 0
    start = find(_ARTICLE_START)
    while start >= 0:
        # the article's end tags are found from the next article's start backwards
        following = find(_ARTICLE_START, start + len(_ARTICLE_START))
        stop = following if following >= 0 else len(region)
        mc_end = rfind(_MEDLINE_CLOSE, start, stop)
        end = rfind(_ARTICLE_END, mc_end, stop) if mc_end >= 0 else -1
        if end >= 0:
            at = start  # what is before this is kept or cut
            p = find(_PMID_CLOSE, start, mc_end)
            if p >= 0:
                p += len(_PMID_CLOSE)
                a = find(_ARTICLE_OPEN, p, mc_end)
                if _opens(region, a, _ARTICLE_OPEN) and _READ_AT_TOP.search(region, p, a) is None:
                    parts.append(region[keep:p])
                    keep = at = a
            i = find(_AUTHORS_OPEN, at, mc_end)
            if _opens(region, i, _AUTHORS_OPEN):
                j = find(_AUTHORS_CLOSE, i, mc_end)
                if j >= 0:
                    parts.append(region[keep:i])
                    keep = at = j + len(_AUTHORS_CLOSE)
            m = rfind(_MESH_CLOSE, at, mc_end)
            if m >= 0:
                m += len(_MESH_CLOSE)
                if _READ_AT_TOP.search(region, m, mc_end) is None:
                    parts.append(region[keep:m])
                    keep = mc_end
            parts.append(region[keep : mc_end + len(_MEDLINE_CLOSE)])
            keep = end
        start = following
    if not parts:
        return region
    parts.append(region[keep:])
    return b"".join(parts)


def _parse_run(region: bytes, parser: Any, detail: int = _PLAIN) -> Iterator[Record]:
    """The Records of a run of whole pieces, parsed as one document (one document per
    article costs about 5 us more a record).

    The run must be pieces only: anything else (another element, a comment, a piece cut
    short) is for the streaming parse. Text between pieces is ignored, as there.
    """
    from lxml import etree

    try:
        root = etree.fromstring(_SET_OPEN + region + _SET_CLOSE, parser)
    except etree.XMLSyntaxError:
        raise _Unusual from None
    for elem in root:
        tag = elem.tag
        try:
            if tag == "PubmedArticle":
                rec = _article(elem, detail)
            elif tag == "PubmedBookArticle":
                rec = _book_article(elem, detail)
            elif tag == "DeleteCitation":
                if detail:
                    yield from _deleted(elem)
                continue
            else:
                raise _Unusual
        except ValueError:
            raise _Unusual from None
        yield rec


def _iter_streamed(
    source: Source, *, name: str | None = None, detail: int = _PLAIN
) -> Iterator[Record]:
    from lxml import etree

    file = source_name(source, name)
    count = 0
    last_pmid: str | None = None
    try:
        stream = open_binary(source)
    except OSError as exc:
        raise ReaderError(file, f"cannot open: {exc}") from None
    if isinstance(stream, gzip.GzipFile):  # nothing read from it yet: decompress directly
        stream = _Gunzip(stream.fileobj, owns=isinstance(source, str | os.PathLike))
    try:
        # No DTD loading, no entity expansion, no network: efetch output is self-contained.
        parser = etree.iterparse(
            stream,
            events=("end",),
            tag=(*_ARTICLE_TAGS, "DeleteCitation") if detail else _ARTICLE_TAGS,
            huge_tree=True,
            remove_blank_text=True,  # fewer text nodes to build: about 15% faster
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        )
        for _event, elem in parser:
            if elem.tag == "DeleteCitation":
                yield from _deleted(elem)
                continue
            try:
                rec = (
                    _article(elem, detail)
                    if elem.tag == "PubmedArticle"
                    else _book_article(elem, detail)
                )
            except ValueError as exc:
                raise ReaderError(
                    file, str(exc), record=_where(count, last_pmid), line=elem.sourceline
                ) from None
            count += 1
            last_pmid = rec.pmid
            release(elem)
            yield rec
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = exc.msg.splitlines()[0] if exc.msg else "malformed XML"
        msg = _POSITION.sub("", msg)  # the line is reported once, in the prefix
        raise ReaderError(
            file, f"malformed XML: {msg}", record=_where(count, last_pmid), line=line
        ) from None
    except (OSError, EOFError) as exc:  # truncated or corrupt gzip
        raise ReaderError(file, f"cannot read: {exc}", record=_where(count, last_pmid)) from None
    finally:
        if stream is not source:
            stream.close()
    root = getattr(parser, "root", None)
    if count == 0 and root is not None and not str(root.tag).startswith("Pubmed"):
        # Well-formed XML of some other kind: say so rather than yield nothing.
        raise ReaderError(file, f"not PubMed XML (root element <{root.tag}>)", line=1)


_START = re.compile(rb"<Pubmed(?:Book)?Article[\s>]")
_END_TAGS = (b"</PubmedArticle>", b"</PubmedBookArticle>")
_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b")
_NO_ARTICLE_LIMIT = 64 * _BLOCK  # read this far without an article: not worth buffering on


def _iter_pieces(
    source: Source, *, name: str | None, report: OnError, detail: int = _PLAIN
) -> Iterator[Record]:
    """Every good record of a damaged file; each bad one (and each stretch between records
    that does not parse) reported, one ReaderError each.

    The input is cut at every article's start tag, and each piece (an article, then whatever
    lies up to the next one) parsed on its own: a fault is then confined to its piece. What
    lies before the first article must open the document, what follows the last must close
    it, and what lies between articles must be well-formed content (whitespace, comments,
    <DeleteCitation>...), each read as the streaming parse would read it.
    """
    from lxml import etree

    file = source_name(source, name)
    try:
        stream = open_binary(source)
    except OSError as exc:
        report(ReaderError(file, f"cannot open: {exc}"))
        return
    if isinstance(stream, gzip.GzipFile):  # zlib, which keeps the output before a fault
        stream = _Gunzip(stream.fileobj, owns=isinstance(source, str | os.PathLike))
    try:
        yield from _Pieces(file, report, etree, detail).read(stream)
    finally:
        if stream is not source:
            stream.close()


class _Pieces:
    """The state of one piecewise read: the running count, the last PMID, the parser."""

    def __init__(self, file: str, report: OnError, etree: Any, detail: int = _PLAIN) -> None:
        self.file = file
        self.detail = detail
        self.report = report
        self.etree = etree
        self.count = 0  # records so far, good or bad
        self.last: str | None = None  # "PMID x" of the last good one
        self.open: list[str] = []  # the elements the header leaves open (the set)
        self.parser = self._parser(None)

    def _parser(self, encoding: str | None) -> Any:
        return self.etree.XMLParser(
            huge_tree=True,
            remove_blank_text=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            encoding=encoding,
        )

    def read(self, stream: Any) -> Iterator[Record]:
        buf, eof, fault = b"", False, None

        def more() -> bool:
            nonlocal buf, eof, fault
            if eof:
                return False
            try:
                block = stream.read(_BLOCK)
            except (OSError, EOFError) as exc:  # truncated or corrupt gzip
                block, fault = b"", exc
            if not block:
                eof = True
                return False
            buf += block
            return True

        while (m := _START.search(buf)) is None:
            if len(buf) > _NO_ARTICLE_LIMIT or not more():
                break
        if m is None:  # no article: the streaming parse says what this is (empty, not PubMed)
            if fault is not None:
                self.report(ReaderError(self.file, f"cannot read: {fault}"))
            elif len(buf) > _NO_ARTICLE_LIMIT:
                self.report(ReaderError(self.file, "not PubMed XML (no <PubmedArticle> found)"))
            else:
                try:
                    yield from _iter_streamed(buf, name=self.file, detail=self.detail)
                except ReaderError as exc:
                    self.report(exc)
            return
        self._header(buf[: m.start()])
        line = 1 + buf.count(b"\n", 0, m.start())
        pos, scan = m.start(), m.start() + 1
        while True:
            m = _START.search(buf, scan)
            if m is None:
                scan = max(pos + 1, len(buf) - 32) - pos  # a start tag may straddle blocks
                buf, pos = buf[pos:], 0
                if more():
                    continue
                break
            piece = buf[pos : m.start()]
            yield from self._piece(piece, line, last=False)
            line += piece.count(b"\n")
            pos, scan = m.start(), m.start() + 1
        if fault is not None:  # the stream broke inside this piece: it is lost with the rest
            label = record_label(self.count, self.last)
            self.report(ReaderError(self.file, f"cannot read: {fault}", record=label, line=line))
            return
        yield from self._piece(buf, line, last=True)

    def _header(self, header: bytes) -> None:
        """Check what comes before the first article; note the elements it leaves open."""
        enc = _ENCODING.search(header)
        if enc is not None and enc.group(1).lower() not in (b"utf-8", b"utf8"):
            try:
                self.parser = self._parser(enc.group(1).decode("ascii"))
            except (LookupError, ValueError):  # unknown, or not even a name (a NUL in it)
                pass  # the header's own parse below names the problem
        pull = self.etree.XMLPullParser(
            events=("start", "end"), huge_tree=True, resolve_entities=False, no_network=True,
            load_dtd=False,
        )
        try:
            pull.feed(header)
            pull.feed(b"<PubmedArticle/>")  # so that the last start tag is surely seen
            for event, elem in pull.read_events():
                if event == "start":
                    self.open.append(elem.tag)
                else:
                    self.open.pop()
        except (self.etree.XMLSyntaxError, LookupError) as exc:
            self.open = []  # the end of the file is then only checked as content
            self._problem(exc, 1, between_label(0, None))
            return
        if not self.open:  # no root, or one the header already closed
            self.report(ReaderError(
                self.file, "malformed XML: the articles are not inside a <PubmedArticleSet>",
                record=between_label(0, None), line=1 + header.count(b"\n"),
            ))

    def _piece(self, piece: bytes, line: int, *, last: bool) -> Iterator[Record]:
        """The records of an article's piece; what follows the article is checked too."""
        end = max((piece.rfind(tag) + len(tag) for tag in _END_TAGS if tag in piece), default=0)
        if end == 0:  # the article never ends (truncated, or its end tag damaged)
            yield from self._articles(piece, line)
            return
        yield from self._articles(piece[:end], line)
        gap = piece[end:]
        if self.detail and b"<DeleteCitation" in gap:
            yield from _deleted_in(gap)
        if not last and not gap.strip():
            return
        gap_line = line + piece.count(b"\n", 0, end)
        label = between_label(self.count, self.last)
        if not last:
            self._content(gap, gap_line, label)
            return
        if not self.open:  # no root to close (reported with the header), whatever it says
            self._content(gap.replace(_SET_CLOSE, b""), gap_line, label)
            return
        # after the last article: the end of what the header opened, and nothing else
        opening = b"".join(b"<%s>" % t.encode() for t in self.open)
        try:
            self.etree.fromstring(opening + gap, self.parser)
        except self.etree.XMLSyntaxError as exc:
            self._problem(exc, gap_line, label)

    def _articles(self, head: bytes, line: int) -> Iterator[Record]:
        try:
            root = self.etree.fromstring(_SET_OPEN + head + _SET_CLOSE, self.parser)
        except self.etree.XMLSyntaxError:
            parts = _split_after_ends(head)
            if len(parts) == 1:
                self._bad(head, line)
                return
            # a start tag damaged beyond recognition: the articles cut at each end tag
            for part in parts:
                yield from self._articles(part, line)
                line += part.count(b"\n")
            return
        for elem in root:
            tag = elem.tag
            if tag not in _ARTICLE_TAGS:
                continue  # a comment, a <DeleteCitation>: skipped, as the streaming parse does
            try:
                rec = (
                    _article(elem, self.detail)
                    if tag == "PubmedArticle"
                    else _book_article(elem, self.detail)
                )
            except ValueError as exc:
                at = line + (elem.sourceline or 1) - 1
                self.report(ReaderError(
                    self.file, str(exc), record=record_label(self.count, self.last), line=at
                ))
                self.count += 1
                continue
            self.count += 1
            self.last = f"PMID {rec.pmid}"
            yield rec

    def _bad(self, piece: bytes, line: int) -> None:
        """Report an article that does not parse as one bad record."""
        label = record_label(self.count, self.last)
        self.count += 1
        try:
            self.etree.fromstring(_SET_OPEN + piece + _SET_CLOSE, self.parser)
        except self.etree.XMLSyntaxError as exc:
            self._problem(exc, line, label)

    def _content(self, gap: bytes, line: int, label: str) -> None:
        """Check what lies between two articles: well-formed content, as in the document."""
        try:
            self.etree.fromstring(b"<x>" + gap + b"</x>", self.parser)
        except self.etree.XMLSyntaxError as exc:
            self._problem(exc, line, label)

    def _problem(self, exc: Any, line: int, label: str) -> None:
        msg = getattr(exc, "msg", None) or str(exc)
        msg = _POSITION.sub("", msg.splitlines()[0] if msg else "malformed XML")
        # libxml2 counts lines from the piece's start, in its message too ("Article line 14")
        msg = _LINE_IN_MESSAGE.sub(lambda m: f"line {line + int(m.group(1)) - 1}", msg)
        at = line + (exc.lineno - 1 if getattr(exc, "lineno", None) else 0)
        self.report(ReaderError(self.file, f"malformed XML: {msg}", record=label, line=at))


def _split_after_ends(head: bytes) -> list[bytes]:
    """`head` cut after each article end tag."""
    parts, start = [], 0
    for m in re.finditer(rb"</Pubmed(?:Book)?Article>", head):
        parts.append(head[start : m.end()])
        start = m.end()
    if start < len(head) or not parts:
        parts.append(head[start:])
    return parts


_isal_zlib: Any
try:
    from isal import isal_zlib as _isal_zlib
except ImportError:  # optional: zlib does the same, slower
    _isal_zlib = None


class _Gunzip:
    """A gzip stream read with zlib directly, in 64 KiB input blocks.

    GzipFile does the same work with more Python per call; zlib checks each member's CRC and
    length itself. Faults surface as GzipFile's do: EOFError when the data ends inside a
    member, OSError for corrupt data. Members are concatenated; zero padding after the last
    is ignored, as GzipFile ignores it.
    """

    def __init__(self, raw: Any, *, owns: bool, fast: bool = False) -> None:
        self._raw = raw
        self._owns = owns
        # `fast`: ISA-L's inflate (python-isal), 2-3x zlib's speed, when installed. It cannot
        # save its state, so a fault is raised at once, without the output before it: only
        # the quick path asks for it, and hands a fault over to the streaming parse, whose
        # zlib reader salvages that output.
        self._zlib = _isal_zlib if fast and _isal_zlib is not None else zlib
        self._inflate = self._zlib.decompressobj(31)
        self._done = False

    def read(self, size: int = -1) -> bytes:  # noqa: ARG002 - returns one block's output
        while not self._done:
            if self._error is not None:
                self._done = True
                raise self._error
            block = self._raw.read(1 << 16)
            if not block:
                self._done = True
                if not self._inflate.eof and self._started:
                    raise EOFError(
                        "Compressed file ended before the end-of-stream marker was reached"
                    )
                return b""
            if self._zlib is not zlib:
                try:
                    out = self._feed(block)
                except self._zlib.error as exc:
                    self._done = True
                    raise OSError(f"corrupt gzip data: {exc}") from None
                if out:
                    return out
                continue
            saved = self._inflate.copy()
            try:
                out = self._feed(block)
            except zlib.error as exc:
                # the output before the fault still counts: redo the block in small steps
                self._error = OSError(f"corrupt gzip data: {exc}")
                self._inflate = saved
                out = self._salvage(block)
            if out:
                return out
        return b""

    _started = False
    _error: OSError | None = None

    def _salvage(self, block: bytes) -> bytes:
        out = []
        for i in range(0, len(block), 256):
            try:
                out.append(self._feed(block[i : i + 256]))
            except zlib.error:
                break
        return b"".join(out)

    def _feed(self, block: bytes) -> bytes:
        out = []
        while block:
            if self._inflate.eof:  # a member ended: what follows is padding or another member
                block = block.lstrip(b"\x00")
                if not block:
                    break
                self._inflate = self._zlib.decompressobj(31)
            self._started = True
            out.append(self._inflate.decompress(block))
            block = self._inflate.unused_data if self._inflate.eof else b""
        return b"".join(out)

    def close(self) -> None:
        if self._owns:
            self._raw.close()


def parse_pubmed_xml(source: Source, *, name: str | None = None) -> list[Record]:
    """All records of an efetch response or file (bytes, path or binary file object)."""
    return list(iter_pubmed_xml(source, name=name))


def _where(count: int, last_pmid: str | None) -> str:
    return record_label(count, f"PMID {last_pmid}" if last_pmid else None)


def _text(elem: Any) -> str:
    if elem is None:
        return ""
    if len(elem) == 0:  # no inline markup: the common case, and much cheaper
        return squash(elem.text)
    # itertext keeps text inside inline markup (<i>, <sup>, <b>) that .text would cut off.
    return squash("".join(elem.itertext()))


def _plain(elem: Any) -> str:
    """Text of a leaf element that never holds markup or line breaks (PT, MeSH, ids)."""
    text = elem.text
    return text.strip() if text else ""


def _article(art: Any, detail: int = _PLAIN) -> Record:
    # Walk the known structure child by child (C-level iteration, a tag compare per child):
    # the reference list, history and grants are never visited, and no getparent() or
    # ElementPath lookup runs per element.
    rec = Record(source="pubmed")
    cit = None
    abstract: list[str] = []
    head: dict[str, Any] = {}
    medline_ta = None
    lean = detail == _LEAN
    for top in art:
        ttag = top.tag
        if ttag == "MedlineCitation":
            for el in top:
                tag = el.tag
                if tag == "PMID":
                    if rec.pmid is None:
                        cit = top
                        rec.pmid = (el.text or "").strip()
                        if detail:
                            rec.version = _version(el)
                elif tag == "Article":
                    _article_body(el, rec, abstract, head, lean)
                elif tag == "MeshHeadingList":
                    _mesh(el, rec, detail)
                elif tag == "ChemicalList":
                    if detail:
                        _substances(el, rec)
                        continue
                    for chem in el:
                        for sub in chem:
                            if sub.tag == "NameOfSubstance" and sub.text:
                                rec.chemicals.append(sub.text.strip())
                elif tag == "SupplMeshList":
                    if detail:
                        for sup in el:
                            if sup.tag == "SupplMeshName" and sup.text:
                                rec.concepts.append(Concept(
                                    sup.get("UI") or "", sup.text.strip(), sup.get("Type") or ""
                                ))
                elif tag == "KeywordList" and not lean:
                    for kw in el:
                        if kw.tag == "Keyword":
                            rec.keywords.append(_text(kw))
                elif tag == "MedlineJournalInfo":
                    for sub in el:
                        if sub.tag == "MedlineTA":
                            medline_ta = sub.text
        elif ttag == "PubmedData" and not lean:
            for el in top.iterchildren("ArticleIdList"):
                for aid in el.iterchildren("ArticleId"):
                    kind, value = aid.get("IdType"), (aid.text or "").strip()
                    if kind == "doi" and value and not rec.doi:
                        rec.doi = value
                    elif kind == "pmc" and value:
                        rec.pmcid = value
    if cit is None:
        raise ValueError("PubmedArticle without MedlineCitation/PMID")
    if not rec.pmid or not rec.pmid.isdigit():
        raise ValueError(f"missing or non-numeric PMID {rec.pmid!r}")
    rec.abstract = " ".join(p for p in abstract if p)
    rec.journal = (
        squash(head.get("journal")) or squash(head.get("iso")) or squash(medline_ta) or None
    )
    year = head.get("year")
    rec.year = year if year is not None else head.get("article_year")
    status = cit.get("Status")
    if status:
        rec.extra["status"] = status
    return rec


def _article_body(
    article: Any, rec: Record, abstract: list[str], head: dict[str, Any], lean: bool
) -> None:
    for el in article:
        tag = el.tag
        if tag == "ArticleTitle":
            rec.title = _text(el)
        elif tag == "Abstract":
            for node in el.iterchildren("AbstractText"):
                text = _text(node)
                label = node.get("Label")
                if label:
                    rec.abstract_sections.append((label, text))
                    abstract.append(f"{label}: {text}" if text else "")
                else:
                    abstract.append(text)
        elif tag == "AuthorList" and not lean:
            for au in el.iterchildren("Author"):
                if name := _author(au):
                    rec.authors.append(name)
        elif tag == "PublicationTypeList":
            for pt in el.iterchildren("PublicationType"):
                if pt.text:
                    rec.publication_types.append(pt.text.strip())
        elif tag == "Journal":
            for sub in el:
                stag = sub.tag
                if stag == "Title":
                    head["journal"] = sub.text
                elif stag == "ISOAbbreviation":
                    head["iso"] = sub.text
                elif stag == "JournalIssue":
                    for pd in sub:
                        if pd.tag == "PubDate":
                            head["year"] = parse_year(
                                _child_text(pd, "Year") or _child_text(pd, "MedlineDate")
                            )
        elif tag == "Language":
            if rec.language is None and el.text:
                rec.language = el.text.strip()
        elif tag == "ELocationID" and not lean:
            if el.get("EIdType") == "doi" and el.text:
                rec.doi = el.text.strip()
        elif tag == "VernacularTitle":
            if not rec.title:
                rec.title = _text(el)
        elif tag == "ArticleDate":
            head["article_year"] = parse_year(_child_text(el, "Year"))
        elif tag == "DataBankList":
            for bank in el:
                if bank.tag != "DataBank":
                    continue
                if (bank.findtext("DataBankName") or "").strip() == "ClinicalTrials.gov":
                    acc = bank.findtext("AccessionNumberList/AccessionNumber")
                    if acc and rec.nct is None:
                        rec.nct = acc.strip()


def _mesh(heading_list: Any, rec: Record, detail: int = _PLAIN) -> None:
    mesh, qualified, terms = rec.mesh, rec.mesh_qualifiers, rec.mesh_terms
    for heading in heading_list.iterchildren("MeshHeading"):
        desc = None
        quals = []
        ui = ""
        major = False
        for sub in heading:
            stag = sub.tag
            if stag == "DescriptorName":
                if desc is None:
                    text = sub.text
                    desc = text.strip() if text else ""
                    if detail:
                        ui = sub.get("UI") or ""
                        major = major or sub.get("MajorTopicYN") == "Y"
            elif stag == "QualifierName":
                text = sub.text
                if text:
                    quals.append(text.strip())
                    if detail and not major:
                        major = sub.get("MajorTopicYN") == "Y"
        if desc:
            mesh.append(desc)
            if quals:
                qualified[desc] = quals
            if detail:
                terms.append(MeshTerm(ui, desc, major, tuple(quals)))


def _substances(chemical_list: Any, rec: Record) -> None:
    """The ChemicalList with UIs and registry numbers; `chemicals` keeps the names, as always."""
    for chem in chemical_list:
        name = ui = registry = ""
        for sub in chem:
            stag = sub.tag
            if stag == "NameOfSubstance":
                if sub.text:
                    name = sub.text.strip()
                    ui = sub.get("UI") or ""
            elif stag == "RegistryNumber":
                registry = (sub.text or "").strip()
        if name:
            rec.chemicals.append(name)
            rec.substances.append(Substance(ui, name, registry))


def _version(pmid: Any) -> int:
    version = pmid.get("Version")
    return int(version) if version and version.isdigit() else 1


def _deleted(delete_citation: Any) -> Iterator[Record]:
    """A Record with `deleted=True` for each PMID of a <DeleteCitation>."""
    for el in delete_citation:
        if el.tag == "PMID":
            pmid = (el.text or "").strip()
            if pmid.isdigit():
                yield Record(source="pubmed", pmid=pmid, version=_version(el), deleted=True)


_DELETE_BLOCK = re.compile(rb"<DeleteCitation>(.*?)</DeleteCitation>", re.S)
_DELETED_PMID = re.compile(rb"<PMID(?:\s+Version=\"(\d+)\")?[^>]*>\s*(\d+)\s*</PMID>")


def _deleted_in(gap: bytes) -> Iterator[Record]:
    """The deleted PMIDs of the whole <DeleteCitation> elements in a stretch between articles
    (the piecewise parse checks that stretch as content; this only reads its PMIDs)."""
    for block in _DELETE_BLOCK.finditer(gap):
        for m in _DELETED_PMID.finditer(block.group(1)):
            version = int(m.group(1)) if m.group(1) else 1
            yield Record(source="pubmed", pmid=m.group(2).decode(), version=version, deleted=True)


def _child_text(elem: Any, tag: str) -> str | None:
    """elem.findtext(tag) for a plain child tag, without ElementPath's lookup (1 us a call)."""
    for sub in elem:
        if sub.tag == tag:
            return sub.text or ""
    return None


def _author(au: Any) -> str:
    # the first LastName / Initials / ForeName / CollectiveName child, as findtext() would give
    last = initials = fore = collective = None
    for sub in au:
        tag = sub.tag
        if tag == "LastName":
            if last is None:
                last = sub.text or ""
        elif tag == "Initials":
            if initials is None:
                initials = sub.text or ""
        elif tag == "ForeName":
            if fore is None:
                fore = sub.text or ""
        elif tag == "CollectiveName" and collective is None:
            collective = sub
    if last:
        return f"{last.strip()} {(initials or fore or '').strip()}".strip()
    return _text(collective) if collective is not None else ""


def _book_article(art: Any, detail: int = _PLAIN) -> Record:
    doc = art.find("BookDocument")
    if doc is None:
        raise ValueError("PubmedBookArticle without BookDocument")
    pmid = (doc.findtext("PMID") or "").strip()
    if not pmid.isdigit():
        raise ValueError(f"missing or non-numeric PMID {pmid!r}")
    rec = Record(source="pubmed", pmid=pmid)
    rec.title = _text(doc.find("ArticleTitle")) or _text(doc.find("Book/BookTitle"))
    _abstract(doc.find("Abstract"), rec)
    rec.year = parse_year(doc.findtext("Book/PubDate/Year"))
    rec.journal = squash(doc.findtext("Book/BookTitle")) or None
    if detail != _LEAN:
        rec.authors = _authors(doc.find("AuthorList"))
    rec.publication_types = [squash(pt.text) for pt in doc.iterfind("PublicationType") if pt.text]
    lang = doc.findtext("Language")
    rec.language = lang.strip() if lang else None
    if detail != _LEAN:
        rec.keywords = [_text(k) for k in doc.iterfind("KeywordList/Keyword")]
    rec.extra["book"] = True
    return rec


def _abstract(abstract: Any, rec: Record) -> None:
    if abstract is None:
        return
    parts = []
    for node in abstract.iterfind("AbstractText"):
        text = _text(node)
        label = node.get("Label")
        if label:
            rec.abstract_sections.append((label, text))
            parts.append(f"{label}: {text}")
        else:
            parts.append(text)
    rec.abstract = " ".join(p for p in parts if p)


def _authors(author_list: Any) -> list[str]:
    if author_list is None:
        return []
    return [name for au in author_list.iterfind("Author") if (name := _author(au))]
