"""Opening and decoding the files of a corpus tree: every file is read or refused, never guessed.

Opening (`file_problem`, `read_bytes`, from lemer/core/user_files.py): a path that is missing, a dangling or looping symlink, a
FIFO, socket, device or folder, or a file the process may not read is refused with a reason
naming what it is. Nothing is opened before `stat` says it is a regular file, and the open itself
is non-blocking, so a FIFO planted in a corpus can never hang a load.

Decoding text (`decode_text`), in this order:
1. a byte-order mark decides: UTF-8 (EF BB BF), UTF-16 LE/BE (FF FE / FE FF), UTF-32 LE/BE; the
   whole file must then decode in that encoding, or it is refused naming the first bad line;
2. without a BOM, a file holding NUL bytes is refused (UTF-16/32 without a BOM, or binary): such
   bytes are never text in these corpora, and decoding them byte-wise would give mojibake;
3. otherwise UTF-8. A line that is not UTF-8 is decoded as Windows-1252 and counted as a
   `cp1252-line` note (file and line). Why accept it: the real IEMOCAP release has a few
   Windows-authored lines ("Files are not always clean UTF-8", DATASETS.md) and refusing them would
   make the corpus unreadable for everyone; cp1252 is the only single-byte encoding those bytes come
   from in practice, and decoding only that line keeps the rest of the file exact. Why per line and
   counted: one stray byte must not re-decode the whole file, and a file that is not UTF-8 at all
   shows up as many notes instead of passing quietly. A byte Windows-1252 does not define (0x81,
   0x8D, 0x8F, 0x90, 0x9D) makes the file undecodable: it is refused, naming the line. latin-1 (which
   accepts every byte, so it can never refuse anything) is not used.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from dataset_adapters.types import Note
from lemer.core.user_files import UnreadableFile, file_problem, read_bytes

__all__ = ["UnreadableFile", "file_problem", "read_bytes", "decode_text", "read_text", "list_dir", "is_present",
           "is_folder", "BOMS", "CP1252_NOTE"]

BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),  # before UTF-16: FF FE is a prefix
    (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
)
CP1252_NOTE = "cp1252-line"


def decode_text(data: bytes, path: str | os.PathLike[str] = "<bytes>", notes: list[Note] | None = None) -> str:
    """Decode a corpus text file by the rules of the module docstring; `UnreadableFile` when it cannot be.

    Lines decoded as Windows-1252 are appended to `notes` (kind `cp1252-line`) when a list is given.
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return body.decode(encoding)
            except UnicodeDecodeError as e:
                line = body[: e.start].decode(encoding, errors="replace").count("\n") + 1
                raise UnreadableFile(path, f"starts with a {encoding.upper()} byte-order mark but does not decode "
                                           f"as {encoding.upper()} ({e.reason})", line) from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise UnreadableFile(path, "holds NUL bytes: UTF-16/UTF-32 text without a byte-order mark, or not text "
                                   "at all (save it as UTF-8)", line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    for n, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            out.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            line = raw.decode("cp1252")
        except UnicodeDecodeError as e:
            raise UnreadableFile(path, f"byte 0x{raw[e.start]:02X} is neither UTF-8 nor Windows-1252: "
                                       "the file's encoding is unknown (save it as UTF-8)", n) from None
        out.append(line)
        if notes is not None:
            notes.append(Note(CP1252_NOTE, str(path), n, f"not UTF-8, decoded as Windows-1252: {line.strip()[:60]!r}"))
    return "".join(out)


def read_text(path: str | os.PathLike[str], notes: list[Note] | None = None) -> str:
    """`read_bytes` then `decode_text`: the text of a corpus file, or `UnreadableFile` naming why not."""
    return decode_text(read_bytes(path), path, notes)


def is_present(path: Path) -> bool:
    """Whether anything is at `path` (a file, folder, FIFO, dangling or looping link, or a path under a folder we
    may not list). Only a plain absence is False: `Path.exists` raises PermissionError under a `chmod 000`
    folder, and this lets the reader name the file instead (`file_problem`: "permission denied")."""
    return file_problem(path) != "missing"


def is_folder(path: Path) -> bool:
    """`Path.is_dir`, except that a path under a folder we may not list counts as a folder instead of raising
    PermissionError: the layout is recognised, and listing it then names the unreadable folder."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except PermissionError:
        return True
    except OSError:
        return False


def list_dir(folder: Path) -> list[Path]:
    """The entries of `folder`, sorted, hidden ones (`.DS_Store`, macOS `._*`) left out.

    [] when the folder does not exist (an absent part is the caller's to account for, as a missing
    session or partition); `UnreadableFile` naming it when it exists but cannot be listed (permission,
    symlink loop): a folder the loader must read is never taken for an empty one.
    """
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as e:
        why = ("permission denied (make it readable and listable: chmod u+rx)" if e.errno in (errno.EACCES, errno.EPERM)
               else "symlink loop (the link points back at itself)" if e.errno == errno.ELOOP
               else f"cannot be listed ({e.strerror or type(e).__name__})")
        raise UnreadableFile(folder, why) from None
