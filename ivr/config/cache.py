"""A compiled-configuration cache for process AGI, which starts a Python process per call.

Loading ``config.yaml`` means importing PyYAML and the validator and checking every menu,
prompt and audio file: tens of milliseconds on every call. The first process that loads a
valid configuration pickles the validated ``Config`` next to the config file; later processes
unpickle it when nothing it was built from changed.

* **Key**: every file the loader opened or listed while building it (the config, the prompt
  texts, the speech fragments, and with ``require_audio`` the audio manifest and directory it
  checked), recorded with an audit hook so the list follows the loader as it grows, plus the
  ``ivr`` source files loaded at that time and the Python version; each by path, mtime (ns),
  size and inode. Any change means a full load, so an invalid configuration is still refused.
* **Audio**: the audio catalogue (what is playable, not part of the ``Config``) is kept in
  the same entry but checked against its own stamp (the manifest and its directory: two
  ``stat`` calls) on every load, and read again when the build changed.
* **Trust**: a cache file is unpickled only if it is owned by this user or root and not
  writable by group or others; it is written atomically (temporary file + rename) with the
  config file's permissions minus group/other write (it holds the database URL too).
* **Where**: ``$IVR_CACHE_DIR`` if set, else the directory of the config file (where the
  journal lives by default). If that is not writable the configuration is simply loaded in
  full every time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import sys
import threading
from pathlib import Path

from ivr.audio.playable import AudioCatalogue
from ivr.config.model import Config

log = logging.getLogger(__name__)

FORMAT = 2  # 2: typed actions (ivr.actions)
_recording = threading.local()


def cache_path(config_path: str | Path) -> Path:
    config = Path(config_path).absolute()
    directory = Path(os.environ.get("IVR_CACHE_DIR") or config.parent)
    return directory / f".{config.name}.ivr-cache"


def _stamp(path: str) -> tuple[str, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size, st.st_ino)


def _audit(event: str, args: tuple) -> None:
    files = getattr(_recording, "files", None)
    if files is None:
        return
    if (
        event in ("open", "os.listdir", "os.scandir")
        and args
        and isinstance(args[0], str | bytes | os.PathLike)
    ):
        files.add(os.path.abspath(os.fsdecode(args[0])))


_hook_installed = False


def _key(files: set[str]) -> tuple:
    sources = sorted(
        os.path.abspath(path)
        for name, m in list(sys.modules.items())
        if (name == "ivr" or name.startswith("ivr.")) and (path := getattr(m, "__file__", None))
    )
    stamps = [_stamp(f) for f in sorted(files | set(sources))]
    return (FORMAT, sys.version, tuple(s for s in stamps if s is not None))


def _current(key: tuple) -> bool:
    """Is every file of the key unchanged?"""
    _format, version, stamps = key
    if _format != FORMAT or version != sys.version:
        return False
    return all(_stamp(path) == (path, mtime, size, ino) for path, mtime, size, ino in stamps)


def _trusted(fd: int) -> bool:
    st = os.fstat(fd)
    return st.st_uid in (os.geteuid(), 0) and not st.st_mode & 0o022


def read_cache(config_path: str | Path, require_audio: bool) -> Config | None:
    entry = _read_entry(config_path, require_audio)
    return None if entry is None else entry["config"]


def _read_entry(config_path: str | Path, require_audio: bool) -> dict | None:
    """The cache entry if it is trusted and current, holding a ``Config``."""
    path = cache_path(config_path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if not _trusted(fd):
            log.warning(
                "ignoring config cache %s: not owned by this user or writable by others", path
            )
            return None
        with os.fdopen(os.dup(fd), "rb") as stream:
            entry = pickle.load(stream)
    except Exception as exc:  # damaged or from another version: rebuild
        log.debug("config cache %s unusable: %s", path, exc)
        return None
    finally:
        os.close(fd)
    if not (
        isinstance(entry, dict)
        and entry.get("source") == str(Path(config_path).absolute())
        and entry.get("require_audio") == require_audio
        and _current(entry["key"])
        and isinstance(entry.get("config"), Config)
    ):
        return None
    return entry


def write_cache(
    config_path: str | Path,
    require_audio: bool,
    config: Config,
    files: set[str],
    audio: AudioCatalogue | None = None,
) -> None:
    path = cache_path(config_path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    entry = {
        "source": str(Path(config_path).absolute()),
        "require_audio": require_audio,
        "key": _key(files),
        "config": config,
        "audio": audio,
    }
    try:
        mode = os.stat(config_path).st_mode & 0o755
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.write(fd, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except Exception as exc:  # not writable, or the config cannot be pickled: no cache
        log.debug("config cache %s not written: %s", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def load_config_cached(config_path: str | Path, require_audio: bool = False) -> Config:
    """``load_config`` through the cache; raises ConfigError for an invalid configuration."""
    return load_cached(config_path, require_audio)[0]


def load_cached(
    config_path: str | Path, require_audio: bool = False
) -> tuple[Config, AudioCatalogue]:
    """The configuration and its audio catalogue through the cache (the catalogue read again
    when the build changed); raises ConfigError for an invalid configuration."""
    entry = _read_entry(config_path, require_audio)
    if entry is not None:
        config, audio = entry["config"], entry.get("audio")
        if isinstance(audio, AudioCatalogue) and not audio.changed():
            return config, audio
        return config, _catalogue(config)
    global _hook_installed
    from ivr.config.loader import load_config

    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    _recording.files = files = set()
    try:
        config = load_config(config_path, require_audio)
    finally:
        _recording.files = None
    if require_audio:
        # The audio check also looked for the audio files; one added or removed changes the
        # directory's mtime (existence checks are stats, which the audit hook does not see).
        files.add(os.path.abspath(config.prompts.sounds_dir / config.prompts.language))
    audio = _catalogue(config)
    write_cache(config_path, require_audio, config, files, audio)
    return config, audio


def _catalogue(config: Config) -> AudioCatalogue:
    return AudioCatalogue.read(config.prompts.sounds_dir, config.prompts.language)
