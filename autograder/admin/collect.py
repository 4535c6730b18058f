"""An LMS's bulk download (a zip, or the folder it was unpacked to) -> SUBMISSIONS/<student>/<assignment>/.

Every file is checked and placed in memory first; only then is anything written, one student's folder at a time with
a rename, so a refused download writes nothing. Each student's folder gets a `.submitted` file (JSON) with what the
LMS said of the submission: its id, whether it marked it late, and its time where the download gives one (a zip's
member timestamps; a folder's file times are those of whoever copied it, so they are not used).
"""
import io
import json
import os
import re
import shutil
import sys
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from ..course import check_assignment, notebooks
from ..errors import UsageError
from ..files import replace_dir, write_atomic
from .lms import LAYOUTS, guess_layout, parse_name, read_roster
from .submissions import STUDENT_ID, SUBMITTED, as_student_id

UPLOAD_MB = 100  # the most one zip a student uploaded may unpack to (a notebook with its figures: a few MB)


def read_download(download):
    """[(path relative to the download with '/', a function that reads the file's bytes, time or None)] of every
    file in a zip or folder. Files are read when placed, one at a time: a course's download can be gigabytes."""
    path = Path(download)
    if path.is_dir():
        return [(p.relative_to(path).as_posix(), p.read_bytes, None) for p in sorted(path.rglob("*")) if p.is_file()]
    if not path.exists():
        raise UsageError(f"download not found: {download}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            broken = archive.testzip()  # read through once now, so that no member fails halfway through placing
    except (zipfile.BadZipFile, OSError, NotImplementedError) as err:
        raise UsageError(f"{download} is not a zip file or a folder ({err})") from None
    if broken:
        raise UsageError(f"{download} is damaged: member {broken!r} does not match its checksum")
    for m in members:  # zip-slip: a member's path is never used to write, but such a zip is no LMS's
        parts = PurePosixPath(m.filename.replace("\\", "/")).parts
        if m.filename.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", m.filename) or ".." in parts:
            raise UsageError(f"refusing {download}: member {m.filename!r} points outside the download")

    def reader(member):
        def read():
            with zipfile.ZipFile(path) as archive:
                return archive.read(member)
        return read
    return [(m.filename.replace("\\", "/"), reader(m), datetime(*m.date_time)) for m in members]


def file_name(original, assignment):
    """The name a file gets in the student's folder, or None when it cannot be one. Canvas appends -1, -2 to a file
    handed in again under the same name: such a suffix is dropped from a notebook of the assignment."""
    if original in ("", ".", "..") or original.startswith(".") or any(c in original for c in "\\\0"):
        return None
    stem = re.fullmatch(r"(.+)-\d+\.ipynb", original)
    return f"{stem[1]}.ipynb" if stem and stem[1] in notebooks(assignment) else original


def unpacked(path, read):
    """The files of a zip a student uploaded (the LMS keeps an upload as it came): [(its path in the download, a
    function that reads it, its file name)], its folders dropped as collect drops Moodle's, hidden ones and a Mac's
    __MACOSX left out. ValueError says why it cannot be unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(read())) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and not any(
                part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(m.filename).parts)]
            if sum(m.file_size for m in members) > UPLOAD_MB << 20:
                raise ValueError(f"a zip that unpacks to more than {UPLOAD_MB} MB")
            for member in members:  # read through once now, as the download itself is (what is left out, never)
                try:
                    with archive.open(member) as f:
                        while f.read(1 << 20):
                            pass
                except zipfile.BadZipFile:
                    why = f"a damaged zip (member {member.filename!r} does not match its checksum)"
                    raise ValueError(why) from None
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as err:  # (RuntimeError: encrypted)
        raise ValueError(f"a zip that cannot be unpacked ({err})") from None

    def reader(member):
        def read_member():  # the upload read again: a class's uploads are not all held in memory at once
            with zipfile.ZipFile(io.BytesIO(read())) as archive:
                return archive.read(member)
        return read_member
    return [(f"{path}/{m.filename}", reader(m), PurePosixPath(m.filename).name) for m in members]


def place(files, assignment, layout, ids):
    """({student: {"files": {name: read}, "submitted": {...}}}, [line for each file not placed]); a zip a student
    uploaded is placed as the files it holds."""
    placed, unplaced, sources = {}, [], {}
    for path, read, time in files:
        parsed = parse_name(layout, path)
        if not parsed:
            unplaced.append(f"{path}: not named as {layout} names a student's file")
            continue
        lms_id, late, original = parsed
        student = ids.get(lms_id) if ids is not None else as_student_id(lms_id)
        if student is None:
            unplaced.append(f"{path}: LMS id {lms_id} is not in the roster")
            continue
        if not STUDENT_ID.fullmatch(student):
            unplaced.append(f"{path}: {student!r} is not a student id (letters, digits, '.', '_' and '-' only)")
            continue
        try:
            uploads = unpacked(path, read) if original.lower().endswith(".zip") else [(path, read, original)]
        except ValueError as why:
            unplaced.append(f"{path}: {why}")
            continue
        for source, read_file, upload in uploads:
            name = file_name(upload, assignment)
            if name is None:
                unplaced.append(f"{source}: {upload!r} cannot be a file name")
                continue
            entry = placed.setdefault(student, {"files": {}, "submitted": {
                "lms": layout, "lms_id": lms_id, "late": False, "time": None, "files": {}}})
            sources.setdefault((student, name), []).append(source)
            entry["files"][name] = read_file
            entry["submitted"]["files"][name] = source
            entry["submitted"]["late"] |= late
            if time and (entry["submitted"]["time"] is None or time.isoformat() > entry["submitted"]["time"]):
                entry["submitted"]["time"] = time.isoformat()
    for (student, name), paths in sources.items():
        if len(paths) > 1:  # which one the student meant is not ours to guess
            unplaced += [f"{p}: {student} handed in more than one {name}; none of them is placed" for p in paths]
            del placed[student]["files"][name], placed[student]["submitted"]["files"][name]
    return {s: e for s, e in placed.items() if e["files"]}, unplaced


def same_files(folder, files):
    present = {p.name: p for p in folder.iterdir() if p.is_file() and p.name != SUBMITTED}
    return present.keys() == files.keys() and all(present[n].read_bytes() == read() for n, read in files.items())


def collect(download, assignment, submissions, layout=None, roster=None, replace=False):
    """Place a bulk download of `assignment` in SUBMISSIONS; print what was placed and every file that was not."""
    check_assignment(assignment)
    if layout is not None and layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})")
    root = Path(submissions)
    if root.exists() and not root.is_dir():
        raise UsageError(f"--out is a file, not a folder: {submissions}")
    ids = read_roster(roster)[2] if roster else None
    files = read_download(download)
    if not files:
        raise UsageError(f"{download} holds no file")
    layout = layout or guess_layout([p for p, _, _ in files])
    placed, unplaced = place(files, assignment, layout, ids)
    if not placed:
        raise UsageError(f"no file of {download} could be placed ({unplaced[0]})")
    targets = {s: root / s / assignment for s in placed}
    unchanged = {s for s, t in targets.items() if t.is_dir() and same_files(t, placed[s]["files"])}
    differ = sorted(s for s, t in targets.items() if t.exists() and s not in unchanged)
    if differ and not replace:
        raise UsageError(f"{len(differ)} submissions in {submissions} differ from the download "
                         f"({', '.join(f'{s}/{assignment}' for s in differ[:3])}{', ...' if len(differ) > 3 else ''});"
                         " rerun with --replace to replace them")
    staging = root / f".collect-{os.getpid()}"
    try:
        for student in sorted(set(placed) - unchanged):
            new = staging / student
            for name, read in placed[student]["files"].items():
                write_atomic(new / name, read())
            write_atomic(new / SUBMITTED, json.dumps(placed[student]["submitted"], indent=1))
            replace_dir(new, targets[student])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for line in unplaced:
        print(f"not placed: {line}", file=sys.stderr)
    for student in sorted(unchanged):
        print(f"unchanged: {student}/{assignment} (already in {submissions})", file=sys.stderr)
    print(f"placed {len(placed) - len(unchanged)} submissions of {assignment} in {submissions} ({layout} layout, "
          f"{len(unchanged)} unchanged, {len(unplaced)} files not placed)", file=sys.stderr)
