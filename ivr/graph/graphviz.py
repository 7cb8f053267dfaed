"""SVG and PNG from DOT text with Graphviz's ``dot`` program (Debian package ``graphviz``)."""

from __future__ import annotations

import shutil
import subprocess

#: the image formats ``dot`` is asked for
IMAGE_FORMATS = ("svg", "png")
INSTALL_HINT = "install Graphviz (Debian: apt-get install graphviz)"


class GraphvizError(Exception):
    """``dot`` is missing, or failed."""


def run_dot(dot_text: str, image_format: str, timeout: float = 60) -> bytes:
    """The image of ``dot_text`` (``svg`` or ``png``) as ``dot -T<format>`` draws it."""
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"not an image format: {image_format!r}")
    program = shutil.which("dot")
    if program is None:
        raise GraphvizError(
            f"--format {image_format} needs Graphviz's 'dot' program, which is not on PATH: "
            f"{INSTALL_HINT}; or use --format mermaid or dot (text)"
        )
    try:
        result = subprocess.run(
            [program, f"-T{image_format}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphvizError(f"cannot run {program}: {exc}") from exc
    if result.returncode != 0 or not result.stdout:
        message = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
        raise GraphvizError(f"{program} -T{image_format} failed: {message}")
    return result.stdout
