"""rootfs.py OUT (--minimal | --traced LIST) [--zip] — assemble a root file system for a FROM scratch image.

Run with the interpreter the image will run, in a stage that has the installed packages under
the user base (/root/.local). OUT gets, with every symlink on the way kept as a symlink:
  - the interpreter (sys.executable, and python3/python beside it) and its dynamic loader;
  - --minimal: the standard library (found with sysconfig, not assumed) without its tests,
    idlelib, tkinter, turtledemo, ensurepip, lib2to3's tests, the build config folder and any
    site-packages inside it (pip and setuptools stay out: no package manager), plus the whole
    user base with its site-packages;
    --traced LIST: only the files LIST names (trace_files.py: what the smoke test used);
  - --zip: the bytecode of the standard library and of the site-packages' pure-Python packages
    stored compressed in zips Python imports from natively (pyzip.py beside this script says
    what goes in and what stays as files);
  - the closure of shared libraries every ELF file in OUT needs, found with the dynamic
    loader (`ld.so --list`, what ldd runs);
  - /etc/ld.so.cache for OUT (ldconfig -r), a passwd and group with root only, /tmp.
No shell, no package manager: nothing that is not listed above.

Every modification time in OUT later than SOURCE_DATE_EPOCH (default 0) is set to it, so that
two builds of the same requirements on the same bases give the same layer, byte for byte: pip
stamps what it installs with the install time, and folders, symlinks and /etc take the time
they are made. A source whose __pycache__ bytecode is checked against its mtime keeps it (else
every start would compile it again).
"""

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
import site

STDLIB_DROP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "turtle.py", "__phello__"}
STDLIB_DROP_ANYWHERE = {"test", "tests", "idle_test"}


class Root:
    def __init__(self, out: str) -> None:
        self.out = os.path.abspath(out)
        self.done: set[str] = set()

    def dest(self, path: str) -> str:
        return self.out + path

    def _dir(self, path: str) -> None:
        """Creates the directory path (already free of symlinks) in OUT with its mode."""
        d = self.dest(path)
        if not os.path.isdir(d):
            os.makedirs(d, exist_ok=True)
            shutil.copystat(path, d, follow_symlinks=False)

    def add(self, path: str) -> str | None:
        """Copies path into OUT, keeping every symlink met on the way; returns the real path."""
        path = os.path.normpath(os.path.abspath(path))
        if path in self.done:
            return os.path.realpath(path)
        self.done.add(path)
        parts = path.strip("/").split("/")
        cur = ""
        for i, part in enumerate(parts):
            nxt = f"{cur}/{part}"
            if os.path.islink(nxt):
                target = os.readlink(nxt)
                d = self.dest(nxt)
                if not os.path.lexists(d):
                    os.makedirs(os.path.dirname(d), exist_ok=True)
                    os.symlink(target, d)
                resolved = os.path.normpath(os.path.join(cur or "/", target))
                rest = "/".join(parts[i + 1 :])
                return self.add(f"{resolved}/{rest}" if rest else resolved)
            if not os.path.lexists(nxt):
                return None
            if i == len(parts) - 1:
                if os.path.isdir(nxt):
                    self._dir(nxt)
                else:
                    d = self.dest(nxt)
                    if not os.path.lexists(d):
                        shutil.copy2(nxt, d, follow_symlinks=False)
                return nxt
            self._dir(nxt)
            cur = nxt
        return None

    def add_tree(self, top: str, skip) -> None:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not skip(os.path.join(dirpath, d))]
            self.add(dirpath)
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not skip(path):
                    self.add(path)
            for name in dirnames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    self.add(path)

    def files(self) -> list[str]:
        found = []
        for dirpath, _, filenames in os.walk(self.out):
            for name in filenames:
                p = os.path.join(dirpath, name)
                if not os.path.islink(p):
                    found.append(p[len(self.out) :])
        return sorted(found)


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def elf_interpreter(path: str) -> str | None:
    """PT_INTERP of an ELF executable: the dynamic loader it asks for."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        return None
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        phoff, = struct.unpack_from(end + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
    else:
        phoff, = struct.unpack_from(end + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x2A)
    for i in range(phnum):
        off = phoff + i * phentsize
        p_type, = struct.unpack_from(end + "I", data, off)
        if p_type != 3:
            continue
        if is64:
            p_offset, = struct.unpack_from(end + "Q", data, off + 8)
            p_filesz, = struct.unpack_from(end + "Q", data, off + 32)
        else:
            p_offset, = struct.unpack_from(end + "I", data, off + 4)
            p_filesz, = struct.unpack_from(end + "I", data, off + 16)
        return data[p_offset : p_offset + p_filesz].rstrip(b"\0").decode()
    return None


def needed_libraries(loader: str, path: str, missing: dict[str, set[str]]) -> list[str]:
    """What the dynamic loader maps for path: `ld.so --list` (ldd without the shell script)."""
    done = subprocess.run([loader, "--list", path], capture_output=True, text=True)
    if done.returncode != 0:
        return []  # not dynamic, or not loadable on its own: the smoke test has the last word
    found = []
    for line in done.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            name, _, rest = line.partition("=>")
            rest = rest.strip()
            if rest.startswith("not found"):
                missing.setdefault(name.strip(), set()).add(path)
                continue
            target = rest.split(" (")[0].strip()
        else:
            target = line.split(" (")[0].strip()
        if target.startswith("/"):
            found.append(target)
    return found


def add_interpreter(root: Root) -> str:
    exe = sys.executable
    real = root.add(exe)
    bindir = os.path.dirname(exe)
    for name in ("python3", "python"):
        candidate = os.path.join(bindir, name)
        if os.path.lexists(candidate) and os.path.realpath(candidate) == os.path.realpath(exe):
            root.add(candidate)
    if not os.path.lexists(root.dest(os.path.join(bindir, "python3"))):
        os.symlink(os.path.basename(real or exe), root.dest(os.path.join(bindir, "python3")))
    loader = elf_interpreter(os.path.realpath(exe))
    if not loader:
        sys.exit(f"rootfs: {exe} has no ELF interpreter: cannot find the dynamic loader")
    root.add(loader)
    return loader


def add_minimal(root: Root) -> None:
    paths = sysconfig.get_paths()
    sites = {os.path.realpath(paths[k]) for k in ("purelib", "platlib")}
    stdlibs = sorted({os.path.realpath(paths["stdlib"]), os.path.realpath(paths["platstdlib"])})

    def skip(path: str) -> bool:
        name = os.path.basename(path)
        real = os.path.realpath(path)
        if real in sites or name in ("site-packages", "dist-packages"):
            return True
        if name.startswith("config-") and os.path.isdir(path):
            return True
        parent = os.path.dirname(path)
        if os.path.realpath(parent) in stdlibs and name in STDLIB_DROP:
            return True
        if os.path.isdir(path) and name in STDLIB_DROP_ANYWHERE:
            return True
        if name.endswith((".opt-1.pyc", ".opt-2.pyc")) or name.startswith("_tkinter"):
            return True
        if os.path.basename(parent) == "__pycache__":
            module = name.split(".")[0]
            grand = os.path.realpath(os.path.dirname(parent))
            return grand in stdlibs and (module in STDLIB_DROP or module + ".py" in STDLIB_DROP)
        return False

    for top in stdlibs:
        root.add_tree(top, skip)
    user = site.getuserbase()
    if os.path.isdir(user):
        root.add_tree(user, lambda p: False)


def add_etc(root: Root) -> None:
    etc = root.dest("/etc")
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/nonexistent\n")
    with open(os.path.join(etc, "group"), "w") as f:
        f.write("root:x:0:\n")
    tmp = root.dest("/tmp")
    os.makedirs(tmp, exist_ok=True)
    os.chmod(tmp, 0o1777)
    os.makedirs(root.dest("/root"), exist_ok=True)
    ldconfig = shutil.which("ldconfig", path="/usr/sbin:/sbin:/usr/bin:/bin")
    if ldconfig and os.path.exists("/etc/ld.so.conf"):
        root.add("/etc/ld.so.conf")
        if os.path.isdir("/etc/ld.so.conf.d"):
            root.add_tree("/etc/ld.so.conf.d", lambda p: False)
        subprocess.run([ldconfig, "-X", "-r", root.out], check=True)
    elif os.path.exists("/etc/ld.so.cache"):
        root.add("/etc/ld.so.cache")


def read_as_source(listing: str | None, stdlib: str) -> list[str]:
    """Top-level stdlib modules whose source the traced test read as a file (inspect.getsource):
    they stay as files, as prune.py keeps such sources in site-packages."""
    opened = f"{listing}.opened" if listing else ""
    names: set[str] = set()
    if opened and os.path.exists(opened):
        with open(opened) as f:
            for line in f.read().splitlines():
                if line.startswith(stdlib + "/") and line.endswith(".py"):
                    top = os.path.relpath(line, stdlib).split("/")[0]
                    names.add(top[:-3] if top.endswith(".py") else top)
    return sorted(names)


def zip_bytecode(root: Root, listing: str | None) -> None:
    """Stores pure-Python bytecode in zips (pyzip.py): the stdlib's pythonXY.zip, a site zip."""
    import pyzip  # beside this script

    if "zlib" not in sys.builtin_module_names:
        # zipimport inflates with zlib: where it is an extension module, the image needs it.
        try:
            import zlib
        except ImportError:
            print("rootfs: no zlib: bytecode stays as files")
            return
        root.add(zlib.__file__)
    version = f"{sys.version_info[0]}{sys.version_info[1]}"
    archive = next((p for p in sys.path if p.endswith(f"python{version}.zip")), None)
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    if archive and os.path.isdir(root.dest(stdlib)) and not os.path.lexists(root.dest(archive)):
        keep = []
        for name in read_as_source(listing, stdlib):
            print(f"rootfs: {name} stays as files: the test read its source as a file")
            keep += ["--deny", name]
        pyzip.main(["stdlib", root.dest(stdlib), root.dest(archive), *keep])
    site_dir = site.getusersitepackages()
    if os.path.isdir(root.dest(site_dir)):
        pyzip.main(["site", root.dest(site_dir)])


def checked_by_mtime(source: str) -> bool:
    """True when source's __pycache__ bytecode is a timestamp one that matches its mtime now."""
    try:
        with open(importlib.util.cache_from_source(source), "rb") as f:
            header = f.read(16)
        stamp = int(os.stat(source).st_mtime) & 0xFFFFFFFF
    except (OSError, ValueError, NotImplementedError):
        return False
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags, mtime = struct.unpack("<II", header[4:12])
    return flags == 0 and mtime == stamp


def clamp_mtimes(out: str, epoch: int) -> int:
    """Sets every mtime (and atime) in out later than epoch to epoch; returns how many moved."""
    moved = 0
    for dirpath, dirnames, filenames in os.walk(out, topdown=False):
        for name in filenames + dirnames + ([] if dirpath != out else [""]):
            path = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(path)
            if st.st_mtime <= epoch:
                continue
            if name.endswith(".py") and not os.path.islink(path) and checked_by_mtime(path):
                continue
            os.utime(path, (epoch, epoch), follow_symlinks=False)
            moved += 1
    return moved


def source_date_epoch(env=os.environ) -> int:
    value = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return 0
    if not value.isdigit():
        sys.exit(f"rootfs: SOURCE_DATE_EPOCH={value!r} is not a number of seconds")
    return int(value)


def main(argv: list[str]) -> int:
    zipped = "--zip" in argv
    argv = [a for a in argv if a != "--zip"]
    if len(argv) == 2 and argv[1] == "--minimal":
        mode, listing = "minimal", None
    elif len(argv) == 3 and argv[1] == "--traced":
        mode, listing = "traced", argv[2]
    else:
        print("usage: rootfs.py OUT (--minimal | --traced LIST) [--zip]", file=sys.stderr)
        return 2
    root = Root(argv[0])
    loader = add_interpreter(root)
    if mode == "minimal":
        add_minimal(root)
    else:
        with open(listing) as f:
            for line in f.read().splitlines():
                # A folder in the list is added as a folder, not with everything in it.
                if line and not line.startswith(("/proc/", "/dev/", "/sys/")):
                    root.add(line)
    if zipped:
        zip_bytecode(root, listing)
    missing: dict[str, set[str]] = {}
    queue = [p for p in root.files() if is_elf(p)]
    seen = set(queue)
    while queue:
        path = queue.pop()
        for lib in needed_libraries(loader, path, missing):
            real = root.add(lib)
            if real and real not in seen:
                seen.add(real)
                queue.append(real)
    add_etc(root)
    clamp_mtimes(root.out, source_date_epoch())
    for name, users in sorted(missing.items()):
        print(f"rootfs: warning: {name} not found (needed by {', '.join(sorted(users)[:3])})")
    total = sum(os.lstat(root.dest(p)).st_size for p in root.files())
    print(f"rootfs: {mode}: {len(root.files())} files, {total / 1e6:.1f} MB in {root.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
