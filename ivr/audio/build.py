"""The prompt build: render every prompt and fragment once, skip what is already up to date.

For each prompt the cache key is a hash of its text, the engine, the voice, the speed, the
output formats and the pipeline version. A prompt whose key matches the manifest and whose
files exist is skipped; any change rebuilds exactly that prompt. Files are written atomically
(temporary file, then rename), and the manifest is saved at the end of the run, also when the
run fails half-way, so it always describes the files beside it.

When the primary engine (gTTS) cannot reach the network, the build switches to the fallback
engine (espeak-ng) for the rest of the run and says so; the manifest records which engine made
each file, so a later run with the network upgrades them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.audio.catalogue import PromptSpec
from ivr.audio.errors import AudioError, BuildError, EngineMissing, NetworkError
from ivr.audio.manifest import Manifest, ManifestError, language_dir, read_manifest
from ivr.audio.synth import Synthesizer
from ivr.audio.text import text_problems

if TYPE_CHECKING:
    from ivr.audio.convert import Pcm
    from ivr.config.model import Config

PIPELINE_VERSION = 1  # bump when conversion changes, to rebuild everything once
SILENCE_ENGINE = "silence"

BUILT, SKIPPED, FAILED = "built", "skipped", "failed"


@dataclass(frozen=True)
class ItemResult:
    id: str
    status: str  # built | skipped | failed
    engine: str = ""
    message: str = ""


@dataclass
class BuildReport:
    results: list[ItemResult] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # e.g. the switch to the fallback engine
    removed: list[str] = field(default_factory=list)  # ids no longer in the texts

    def ids(self, status: str) -> list[str]:
        return [r.id for r in self.results if r.status == status]

    @property
    def built(self) -> list[str]:
        return self.ids(BUILT)

    @property
    def skipped(self) -> list[str]:
        return self.ids(SKIPPED)

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.results if r.status == FAILED]


def cache_key(text: str, engine: str, voice: str, speed: float, formats: Sequence[str]) -> str:
    payload = {
        "pipeline": PIPELINE_VERSION,
        "text": text,
        "engine": engine,
        "voice": voice,
        "speed": round(speed, 3),
        "formats": sorted(formats),
    }
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()


def spec_key(spec: PromptSpec, engine: str, voice: str, formats: Sequence[str]) -> str:
    """The cache key of one prompt or fragment as ``engine`` renders it with ``voice``."""
    if spec.silence_ms:
        return cache_key(f"<{spec.silence_ms} ms>", SILENCE_ENGINE, "", 1.0, formats)
    return cache_key(spec.text, engine, voice, spec.speed, formats)


def up_to_date(manifest: Manifest, spec: PromptSpec, key: str) -> bool:
    """Does the build hold ``spec`` rendered with cache key ``key``, its files on disk?"""
    entry = manifest.prompts.get(spec.id)
    return entry is not None and entry.get("key") == key and manifest.files_present(spec.id)


def outdated(manifest: Manifest, specs: Iterable[PromptSpec]) -> dict[str, str]:
    """Those of ``specs`` a build would render again, each with why: what ``build`` skips
    (``up_to_date``), judged with the engine, voice and formats each was built with."""
    from ivr.audio.synth import engine_voice

    result: dict[str, str] = {}
    for spec in specs:
        entry = manifest.prompts.get(spec.id)
        if entry is None:
            result[spec.id] = "not built"
            continue
        engine = str(entry.get("engine", ""))
        voice = engine_voice(engine, spec.voice)
        if voice is None:  # an engine this version does not know: its recorded voice
            voice = str(entry.get("voice", ""))
        key = spec_key(spec, engine, voice, entry.get("formats") or ("wav",))
        if up_to_date(manifest, spec, key):
            continue
        if not manifest.files_present(spec.id):
            result[spec.id] = "its audio files are missing"
        elif entry.get("text") != spec.text:
            result[spec.id] = "the audio says another text"
        else:
            result[spec.id] = "the audio has another voice or speed"
    return result


def stale_prompts(config: Config) -> dict[str, str] | None:
    """The config's prompts whose built audio does not match their text and hints, by id
    with why; None when there is no readable build manifest (nothing is known)."""
    from ivr.audio.catalogue import config_specs

    try:
        manifest = read_manifest(config.prompts.sounds_dir, config.prompts.language)
    except ManifestError:
        return None
    return None if manifest is None else outdated(manifest, config_specs(config))


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def check_writable(directory: Path) -> None:
    """Fail early, with the reason, when the build could not write its files."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".ivr-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BuildError(
            f"cannot write prompt audio to {directory}: {reason}. Make the "
            "directory writable for this user, or set prompts.sounds in the "
            "config to a writable directory"
        ) from None


class PromptBuilder:
    def __init__(
        self,
        sounds_dir: Path,
        language: str,
        engine: Synthesizer,
        *,
        formats: Sequence[str] = ("wav",),
        fallback: Callable[[], Synthesizer] | None = None,
        force: bool = False,
    ) -> None:
        self.directory = language_dir(sounds_dir, language)
        self.language = language
        self.engine = engine
        self.formats = tuple(dict.fromkeys(("wav", *formats)))  # WAV always: the engine plays it
        self.fallback_factory = fallback
        self.force = force
        self._fallback: Synthesizer | None = None
        self._primary_down: str | None = None  # why the primary engine is not used any more
        self._fallback_error: str | None = None

    # -- the run -------------------------------------------------------------------------

    def build(
        self,
        specs: Sequence[PromptSpec],
        only: Iterable[str] | None = None,
        progress: Callable[[ItemResult], None] | None = None,
    ) -> BuildReport:
        from ivr.audio import convert  # numpy, miniaudio, soxr: only when building

        self._convert = convert
        check_writable(self.directory)
        report = BuildReport()
        try:
            manifest = read_manifest(self.directory.parent, self.language)
        except ManifestError as exc:
            report.notices.append(f"{exc}: starting a new manifest")
            manifest = None
        manifest = manifest or Manifest(self.directory, self.language)
        wanted = list(specs)
        if only is not None:
            only = list(dict.fromkeys(only))
            known = {s.id for s in specs}
            unknown = [i for i in only if i not in known]
            if unknown:
                raise BuildError(f"unknown prompt id(s): {', '.join(unknown)}")
            wanted = [s for s in specs if s.id in only]
        try:
            for spec in wanted:
                result = self._one(spec, manifest, report)
                report.results.append(result)
                if progress:
                    progress(result)
            if only is None:
                self._prune(manifest, {s.id for s in specs}, report)
        finally:
            manifest.save()
        return report

    def _prune(self, manifest: Manifest, keep: set[str], report: BuildReport) -> None:
        for pid in sorted(set(manifest.prompts) - keep):
            for name in manifest.prompts.pop(pid).get("files", {}).values():
                (self.directory / name).unlink(missing_ok=True)
            report.removed.append(pid)

    # -- one prompt ----------------------------------------------------------------------

    def _cached(self, manifest: Manifest, spec: PromptSpec, key: str) -> bool:
        return not self.force and up_to_date(manifest, spec, key)

    def _one(self, spec: PromptSpec, manifest: Manifest, report: BuildReport) -> ItemResult:
        if spec.silence_ms:
            key = spec_key(spec, SILENCE_ENGINE, "", self.formats)
            if self._cached(manifest, spec, key):
                return ItemResult(spec.id, SKIPPED, SILENCE_ENGINE)
            pcm = self._convert.silence(spec.silence_ms, 16000)
            return self._store(spec, manifest, key, pcm, SILENCE_ENGINE, "")

        problems = text_problems(spec.text)
        if problems:
            return ItemResult(spec.id, FAILED, message="; ".join(problems))

        engine = self.engine if self._primary_down is None else self._fallback_engine(report)
        while engine is not None:
            voice = engine.voice(spec.voice)
            key = spec_key(spec, engine.name, voice, self.formats)
            if self._cached(manifest, spec, key):
                return ItemResult(spec.id, SKIPPED, engine.name)
            try:
                data = engine.synthesize(spec.text, voice, spec.speed)
                pcm = self._convert.prepare_speech(data)
            except NetworkError as exc:
                if engine is not self.engine:  # the fallback is offline; should not happen
                    return ItemResult(spec.id, FAILED, engine.name, str(exc))
                self._primary_down = str(exc)
                engine = self._fallback_engine(report)
                continue
            except AudioError as exc:
                return ItemResult(spec.id, FAILED, engine.name, str(exc))
            return self._store(spec, manifest, key, pcm, engine.name, voice)
        return ItemResult(
            spec.id,
            FAILED,
            self.engine.name,
            f"not built: {self._primary_down}"
            + (f"; fallback: {self._fallback_error}" if self._fallback_error else ""),
        )

    def _fallback_engine(self, report: BuildReport) -> Synthesizer | None:
        if self._fallback is not None:
            return self._fallback
        if self.fallback_factory is None or self._fallback_error is not None:
            return None
        try:
            self._fallback = self.fallback_factory()
        except EngineMissing as exc:
            self._fallback_error = str(exc)
            report.notices.append(
                f"{self.engine.name}: {self._primary_down}; the fallback "
                f"engine is not available: {exc}"
            )
            return None
        report.notices.append(
            f"{self.engine.name}: {self._primary_down}; building the rest "
            f"with {self._fallback.name}"
        )
        return self._fallback

    def _store(
        self, spec: PromptSpec, manifest: Manifest, key: str, pcm: Pcm, engine: str, voice: str
    ) -> ItemResult:
        files: dict[str, str] = {}
        duration_ms = round(pcm.duration_s * 1000)
        try:
            for fmt in self.formats:
                extension = self._convert.FORMATS[fmt][0]
                name = f"{spec.id}.{extension}"
                _write_atomically(self.directory / name, self._convert.encode(pcm, fmt))
                files[fmt] = name
        except OSError as exc:
            return ItemResult(spec.id, FAILED, engine, f"cannot write {name}: {exc}")
        manifest.prompts[spec.id] = {
            "text": spec.text,
            "engine": engine,
            "voice": voice,
            "speed": spec.speed,
            "formats": list(self.formats),
            "key": key,
            "files": files,
            "duration_ms": duration_ms,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return ItemResult(spec.id, BUILT, engine)
