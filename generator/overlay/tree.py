"""What stands under the output folder, listed once per folder, never through a symbolic link."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from generator.overlay.manifest import owned_files


class Tree:
    """What stands at each path under the output folder, one `os.scandir` per folder (not a stat per file)."""

    FILE, DIR, LINK, OTHER = "file", "dir", "link", "other"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listings: dict[str, dict[str, str] | None] = {}

    def _listing(self, folder: str) -> dict[str, str] | None:
        """`{name: kind}` of a folder ("" is the root), or None when no folder stands there."""
        if folder not in self._listings:
            if folder and self.kind(folder) != self.DIR:
                self._listings[folder] = None
                return None
            try:
                with os.scandir(os.path.join(self.root, folder)) as entries:
                    listing = {}
                    for entry in entries:
                        try:
                            is_link = entry.is_symlink()
                            is_dir, is_file = entry.is_dir(follow_symlinks=False), entry.is_file(follow_symlinks=False)
                        except OSError:
                            is_link = is_dir = is_file = False
                        kind = self.LINK if is_link else self.DIR if is_dir else self.FILE if is_file else self.OTHER
                        listing[entry.name] = kind
            except (FileNotFoundError, NotADirectoryError):
                listing = None
            self._listings[folder] = listing
        return self._listings[folder]

    def kind(self, rel: str) -> str | None:
        """The kind at `rel`: "file", "dir", "link" (never followed) or "other"; None when nothing is there."""
        folder, _, name = rel.rpartition("/")
        listing = self._listing(folder)
        return None if listing is None else listing.get(name)

    def read(self, rel: str) -> str | None:
        """The text of a file, None when there is none, or a marker that never equals generated text."""
        kind = self.kind(rel)
        if kind is None:
            return None
        if kind != self.FILE:  # a folder, link, device or FIFO: never opened, never equal to generated text
            return "\0"
        try:
            return (self.root / rel).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (UnicodeDecodeError, OSError):
            return "\0"  # something else stands there; never equal to generated text

    def in_the_way(self, rel: str) -> str | None:
        """Why `rel` cannot be written: a directory at its place, or a file where a parent folder must be."""
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            kind = self.kind(parent)
            if kind is None:
                return None  # the rest is created
            if kind == self.LINK:
                return LINK.format(parent)
            if kind != self.DIR:
                return f"{parent} is a file, where a folder must be"
        kind = self.kind(rel)
        return LINK.format(rel) if kind == self.LINK else f"{rel} is a directory" if kind == self.DIR else None


LINK = (
    "{} is a symbolic link; mtc-policygen never writes through a link inside the output folder "
    "(it could put files anywhere, or link files from elsewhere into the overlays)"
)


class Inspector:
    """Answers "are this pair's recorded files intact?" for many pairs, listing each folder once."""

    def __init__(self, out_dir: Path) -> None:
        self._root = os.fspath(out_dir)
        self._tree = Tree(out_dir)

    def intact(self, entry: dict[str, object]) -> bool:
        """Whether every file a manifest entry records is on disk with the recorded content."""
        owned = owned_files(entry)
        if not owned:
            return False
        for rel, digest in owned.items():
            if self._tree.kind(rel) != Tree.FILE:
                return False
            try:
                with open(os.path.join(self._root, rel), "rb") as handle:
                    data = handle.read()
            except OSError:
                return False
            if hashlib.sha256(data).hexdigest() != digest:
                return False
        return True
