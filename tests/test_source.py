"""Reading the working tree: blob ids from git's index for files git knows unchanged,
hashes of the bytes for everything else, and always the bytes on disk when read."""

from __future__ import annotations

import subprocess
from pathlib import Path

from registry.source import blob_id, git_index_blobs, working_tree


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def committed(root: Path) -> Path:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "data")
    return root


def test_every_blob_id_is_the_hash_of_the_bytes_on_disk(registry_copy: Path) -> None:
    root = committed(registry_copy)
    paths = sorted((root / "data" / "powers").rglob("*.ttl"))
    edited, untracked = paths[0], paths[1].with_name("330118999000.ttl")
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    untracked.write_bytes(paths[1].read_bytes())
    index = git_index_blobs(root)
    rel = lambda p: p.relative_to(root).as_posix()  # noqa: E731
    assert rel(edited) not in index and rel(untracked) not in index and rel(paths[2]) in index
    files = {f.path: f for f in working_tree(root)}
    assert set(files) >= {rel(edited), rel(untracked)}
    for f in files.values():
        assert f.blob == blob_id((root / f.path).read_bytes()), f.path
        assert f.data == (root / f.path).read_bytes()


def test_unchanged_files_are_read_only_when_asked(registry_copy: Path) -> None:
    root = committed(registry_copy)
    f = next(f for f in working_tree(root) if f.kind == "power")
    assert f._data is None  # known from the index: not read yet
    assert f.data and f.blob == blob_id(f.data)


def test_outside_git_every_file_is_read_and_hashed(registry_copy: Path) -> None:
    assert git_index_blobs(registry_copy) is None
    assert all(f._data is not None for f in working_tree(registry_copy))


def test_line_ending_filters_mean_hashing_the_bytes(registry_copy: Path) -> None:
    root = committed(registry_copy)
    (root / ".gitattributes").write_text("*.ttl text eol=crlf\n")
    assert git_index_blobs(root) is None


def test_files_git_is_told_not_to_look_at_are_hashed(registry_copy: Path) -> None:
    root = committed(registry_copy)
    path = sorted((root / "data" / "powers").rglob("*.ttl"))[0]
    rel = path.relative_to(root).as_posix()
    git(root, "update-index", "--assume-unchanged", rel)
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert rel not in git_index_blobs(root)
    f = next(f for f in working_tree(root) if f.path == rel)
    assert f.blob == blob_id(path.read_bytes())


def test_a_file_changed_after_listing_is_keyed_by_the_bytes_read(registry_copy: Path) -> None:
    from registry.records import read_record

    root = committed(registry_copy)
    f = next(f for f in working_tree(root) if f.kind == "power")
    full = root / f.path
    full.write_text(full.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = read_record(f)
    assert result.blob == blob_id(full.read_bytes()) == f.blob


def test_blank_node_labels_of_two_files_never_meet() -> None:
    from registry.exporter import bnode_prefix

    names = ["data/laws/M_01.ttl", "data/laws/M-01.ttl", "data/laws/法规.ttl",
             "data/laws/规章.ttl", "data/powers/jiaotong/330118001000.ttl"]
    labels = [bnode_prefix(n) for n in names]
    assert len(set(labels)) == len(labels)
    assert labels[-1] == "p330118001000"
