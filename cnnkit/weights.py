"""Pretrained weights that cnnkit uses but does not ship: where they are looked for, how to get them.

The book's small networks ship their weights inside the package. VGG16's ImageNet weights
(torchvision's ``VGG16_Weights.IMAGENET1K_V1``, the file ``vgg16-397923af.pth``, 528 MB) are too
big for that, so cnnkit looks for the file, in this order,

1. in the folder named by the environment variable ``CNNKIT_WEIGHTS_DIR``, if it is set;
2. in torch's hub cache, ``torch.hub.get_dir()/checkpoints`` (usually
   ``~/.cache/torch/hub/checkpoints``), where torchvision itself keeps downloaded weights;

and only then, if asked to, downloads it. The eight hex digits in the file name are the start of
the file's SHA-256 hash: every file found or downloaded is checked against them.

Fetch the weights ahead of a class, while there is internet access::

    python -m cnnkit.weights fetch vgg16     # or: cnnkit-weights fetch vgg16
    python -m cnnkit.weights where           # the folders searched, and what is in them

To use a copy on a machine without internet, put ``vgg16-397923af.pth`` into one of the folders
above (``CNNKIT_WEIGHTS_DIR`` is the easy one to point at a USB stick or a shared drive). Neither
is needed with internet access: :func:`cnnkit.models.vgg16.vgg16` then downloads the file itself.

When the weights can be had neither way, the functions here raise
:class:`WeightsUnavailableError`, whose message says what was tried and what to do.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cnnkit._checks import did_you_mean

__all__ = [
    "ENV_VAR",
    "NO_PRETRAINED_VAR",
    "pretrained_disabled",
    "KNOWN_WEIGHTS",
    "WeightsSpec",
    "WeightsUnavailableError",
    "weights_spec",
    "hub_checkpoints_dir",
    "search_dirs",
    "display_path",
    "sha256_matches",
    "find_weights",
    "download_weights",
    "weights_path",
    "state_dict_file",
    "unavailable_message",
    "fetch_command",
    "main",
]

#: Environment variable naming a folder of weight files, searched before torch's hub cache.
ENV_VAR = "CNNKIT_WEIGHTS_DIR"

#: Environment variable that, set to 1, makes cnnkit behave as if no pretrained weights could be
#: had. ``make test`` and ``make execute`` set it, so that the committed outputs (the ones nbval
#: checks) are the offline ones even on a machine whose cache holds the ImageNet weights;
#: ``make book-online`` (which executes a copy of the book) does not.
NO_PRETRAINED_VAR = "CNNKIT_NO_PRETRAINED"

#: Names accepted by :func:`weights_spec` and by ``python -m cnnkit.weights fetch NAME``.
KNOWN_WEIGHTS = ("vgg16",)

#: Seconds a download may wait on the network (per connection attempt or read) before giving up.
DEFAULT_TIMEOUT_S = 10.0

_HASH_IN_NAME = re.compile(r"-([a-f0-9]{6,})\.")  # as torch.hub.HASH_REGEX, at least 6 digits


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights were asked for but cannot be had (not cached, no network, or corrupt).

    Attributes:
        reason: why, in one word: ``"missing"`` (in no folder, and no download was asked for),
            ``"download_failed"`` (offline, timed out, or a bad hash), ``"damaged"`` (a file was
            found but its hash does not match its name) or ``"disabled"`` (``CNNKIT_NO_PRETRAINED=1``).
    """

    def __init__(self, message: str, reason: str = "missing"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class WeightsSpec:
    """What cnnkit knows about one set of pretrained weights.

    Attributes:
        name: the short name used by the command line (``"vgg16"``).
        url: where torchvision downloads the file from.
        description: a short phrase naming the weights, for figure titles.
        size_mb: the file's size in megabytes, to warn before a download.
    """

    name: str
    url: str
    description: str
    size_mb: int

    @property
    def file_name(self) -> str:
        """The file's name, the last part of the URL (``vgg16-397923af.pth``)."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def sha256_prefix(self) -> str:
        """The start of the file's SHA-256 hash, written in its name after the last hyphen.

        Example:
            >>> WeightsSpec("x", "https://example.org/x-397923af.pth", "x", 1).sha256_prefix
            '397923af'
        """
        match = _HASH_IN_NAME.search(self.file_name)
        if not match:
            raise ValueError(f"the file name {self.file_name!r} carries no hash prefix ('name-<hex>.ext')")
        return match.group(1)


def _unknown_name(name: object) -> ValueError:
    hint = did_you_mean(str(name), KNOWN_WEIGHTS)
    return ValueError(f"unknown weights {name!r}; known weights are {', '.join(KNOWN_WEIGHTS)}{hint}")


def weights_spec(name: str) -> WeightsSpec:
    """The :class:`WeightsSpec` of the weights called ``name``.

    The URL comes from torchvision's weights API (``VGG16_Weights.IMAGENET1K_V1.url``), so it is
    the file torchvision itself would download.

    Example:
        >>> spec = weights_spec("vgg16")
        >>> spec.file_name, spec.sha256_prefix, spec.size_mb
        ('vgg16-397923af.pth', '397923af', 528)
    """
    if name not in KNOWN_WEIGHTS:
        raise _unknown_name(name)
    from torchvision.models import VGG16_Weights

    weights = VGG16_Weights.IMAGENET1K_V1
    return WeightsSpec(
        name="vgg16", url=weights.url, description="ImageNet weights (torchvision IMAGENET1K_V1)", size_mb=528
    )


def hub_checkpoints_dir() -> Path:
    """torch's hub cache for weight files, ``torch.hub.get_dir()/checkpoints``."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


def search_dirs() -> list[Path]:
    """The folders searched for weight files, in order: ``$CNNKIT_WEIGHTS_DIR`` (if set), then torch's hub cache."""
    folders = []
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        folders.append(Path(env).expanduser())
    folders.append(hub_checkpoints_dir())
    return folders


def display_path(path: str | Path) -> str:
    """``path`` with the home folder written as ``~``, so that messages do not show a user's name.

    Example:
        >>> display_path(Path.home() / ".cache" / "torch")
        '~/.cache/torch'
    """
    path = Path(path)
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


_verified: dict[tuple[str, int, int, str], bool] = {}


def sha256_matches(path: str | Path, prefix: str) -> bool:
    """Whether the SHA-256 hash of the file at ``path`` starts with ``prefix`` (hex digits).

    The result is remembered for the file's size and modification time, so that a 528 MB file
    is hashed once per session.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     f = Path(folder) / "hello.txt"
        ...     _ = f.write_bytes(b"hello")
        ...     sha256_matches(f, "2cf24dba"), sha256_matches(f, "00000000")
        (True, False)
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, prefix)
    if key not in _verified:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _verified[key] = digest.hexdigest().startswith(prefix.lower())
    return _verified[key]


def fetch_command(name: str) -> str:
    """The shell command that downloads the weights called ``name``.

    Example:
        >>> fetch_command("vgg16")
        'python -m cnnkit.weights fetch vgg16'
    """
    return f"python -m cnnkit.weights fetch {name}"


def unavailable_message(name: str, reason: str) -> str:
    """The message of a :class:`WeightsUnavailableError`: what happened, where cnnkit looked, what to do.

    It names the file, the folders searched (the ``CNNKIT_WEIGHTS_DIR`` folder and torch's hub
    cache), the environment variable and the command that fetches the file.
    """
    spec = weights_spec(name)
    env = os.environ.get(ENV_VAR, "").strip()
    env_state = f"set to {display_path(Path(env).expanduser())}" if env else "not set"
    return (
        f"{spec.description} for {name} are not available: {reason}. "
        f"cnnkit looks for the file {spec.file_name} ({spec.size_mb} MB) in the folder named by the "
        f"environment variable {ENV_VAR} ({env_state}), then in torch's hub cache, "
        f"torch.hub.get_dir()/checkpoints (here {display_path(hub_checkpoints_dir())}). "
        f"To get the weights, run `{fetch_command(name)}` on a machine with internet access, "
        f"or copy {spec.file_name} (from {spec.url}) into one of those folders."
    )


def pretrained_disabled() -> bool:
    """True when ``CNNKIT_NO_PRETRAINED=1``: pretrained weights are then treated as unavailable."""
    return os.environ.get(NO_PRETRAINED_VAR, "").strip() in {"1", "true", "yes"}


def find_weights(name: str) -> Path | None:
    """The weight file for ``name`` in the first searched folder that has it, or None.

    Raises:
        WeightsUnavailableError: the file found does not match the hash in its name (a partial
            download or a corrupt copy); the message says which file to delete.
    """
    for folder in search_dirs():
        found = _checked_file(name, folder)
        if found is not None:
            return found
    return None


def _checked_file(name: str, folder: Path) -> Path | None:
    """The weight file for ``name`` in ``folder`` if it is there, after checking its hash."""
    spec = weights_spec(name)
    candidate = folder / spec.file_name
    if not candidate.is_file():
        return None
    if not sha256_matches(candidate, spec.sha256_prefix):
        raise WeightsUnavailableError(
            unavailable_message(
                name,
                f"the file {display_path(candidate)} is damaged: its SHA-256 hash does not start "
                f"with {spec.sha256_prefix}; delete it and fetch it again",
            ),
            reason="damaged",
        )
    return candidate


def download_weights(
    name: str, folder: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT_S, progress: bool = False
) -> Path:
    """Download the weights called ``name`` into ``folder`` and check their hash.

    This is the only function in cnnkit that touches the network. It uses
    ``torch.hub.download_url_to_file`` with the hash prefix (the check that
    ``torch.hub.load_state_dict_from_url(..., check_hash=True)`` makes), under a socket timeout
    of ``timeout`` seconds, so that a machine without a network fails in seconds rather than hangs.

    Args:
        name: one of :data:`KNOWN_WEIGHTS`.
        folder: where to save the file; by default the first folder of :func:`search_dirs`.
        timeout: seconds to wait for a connection or for data before giving up.
        progress: show a progress bar.

    Returns:
        The path of the downloaded file.

    Raises:
        OSError: the network cannot be reached (``urllib.error.URLError`` is an OSError) or the
            connection timed out.
        RuntimeError: the downloaded file does not match the hash.
    """
    import torch.hub

    spec = weights_spec(name)
    folder = Path(folder).expanduser() if folder is not None else search_dirs()[0]
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / spec.file_name
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        torch.hub.download_url_to_file(spec.url, str(destination), hash_prefix=spec.sha256_prefix, progress=progress)
    finally:
        socket.setdefaulttimeout(previous)
    return destination


def weights_path(name: str, download: bool = True, timeout: float = DEFAULT_TIMEOUT_S, progress: bool = False) -> Path:
    """The local file of the weights called ``name``, downloading it if allowed and needed.

    The searched folders (:func:`search_dirs`) are checked first, without touching the network;
    only when the file is in none of them, and ``download`` is True, is it downloaded (with a
    short socket timeout) into the first of them.

    Args:
        name: one of :data:`KNOWN_WEIGHTS`.
        download: try to download the file when no folder has it.
        timeout: seconds the download may wait on the network.
        progress: show a progress bar while downloading.

    Returns:
        The path of a file whose hash matches its name.

    Raises:
        WeightsUnavailableError: no folder has the file and it cannot be downloaded (offline,
            ``download=False``, or a download that failed or did not match the hash).
    """
    if pretrained_disabled():
        raise WeightsUnavailableError(
            unavailable_message(
                name,
                f"pretrained weights are switched off by {NO_PRETRAINED_VAR}=1 (make test and make execute "
                "set it, so that the stored outputs are the offline ones); unset it to use them",
            ),
            reason="disabled",
        )
    found = find_weights(name)
    if found is not None:
        return found
    if not download:
        raise WeightsUnavailableError(
            unavailable_message(
                name, "the file is in none of the folders searched, and downloading it was not asked for"
            ),
            reason="missing",
        )
    try:
        return download_weights(name, timeout=timeout, progress=progress)
    except (OSError, RuntimeError) as error:  # URLError, socket.timeout are OSErrors; a bad hash is a RuntimeError
        reason = getattr(error, "reason", error)
        raise WeightsUnavailableError(
            unavailable_message(
                name, f"the file is in none of the folders searched, and the download failed ({reason})"
            ),
            reason="download_failed",
        ) from error


def state_dict_file(weights: str | os.PathLike, imagenet: Callable[[], Path]) -> Path:
    """The file a model constructor's ``weights`` argument names: ``"imagenet"`` or a path.

    The models' constructors (``vgg16``, ``efficientnet_lite0``) take ``weights="imagenet"``, ``None``
    (handled by the constructor: random weights) or the path of a state dict; this resolves the
    first and the last the same way for every model.

    Args:
        weights: ``"imagenet"`` or the path of a state-dict file.
        imagenet: called for ``"imagenet"``; returns the path of the model's ImageNet weights.

    Raises:
        FileNotFoundError: a path with no file behind it.
        TypeError: anything else.

    Example:
        >>> state_dict_file("imagenet", lambda: Path("vgg16.pth")).name
        'vgg16.pth'
    """
    if isinstance(weights, str) and weights == "imagenet":
        return imagenet()
    if isinstance(weights, (str, os.PathLike)):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"weights must be 'imagenet', None, or the path of a state dict; there is no file at {str(weights)!r}"
            )
        return path
    raise TypeError(f"weights must be 'imagenet', None, or the path of a state dict; got {weights!r}")


def _print_where(out=None) -> None:
    out = sys.stdout if out is None else out
    env = os.environ.get(ENV_VAR, "").strip()
    print("cnnkit looks for pretrained weights in these folders, in this order:", file=out)
    print(f"  {ENV_VAR}: {Path(env).expanduser() if env else '(not set)'}", file=out)
    print(f"  torch hub cache, torch.hub.get_dir()/checkpoints: {hub_checkpoints_dir()}", file=out)
    print("weights:", file=out)
    for name in KNOWN_WEIGHTS:
        spec = weights_spec(name)
        where = next((f / spec.file_name for f in search_dirs() if (f / spec.file_name).is_file()), None)
        state = f"found in {where.parent}" if where else f"not found; get it with `{fetch_command(name)}`"
        print(f"  {name}: {spec.file_name} ({spec.size_mb} MB), {state}", file=out)


def main(argv: list[str] | None = None) -> int:
    """The command line: ``fetch NAME`` downloads weights ahead of time, ``where`` lists the folders.

    Returns:
        0 on success; 2 when the weights cannot be fetched (the reason is printed to stderr).
    """
    parser = argparse.ArgumentParser(
        prog="python -m cnnkit.weights",
        description="Fetch pretrained weights ahead of time, or show where cnnkit looks for them.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="download weights (needs internet) and check their hash")
    fetch.add_argument("name", choices=KNOWN_WEIGHTS, help="which weights")
    fetch.add_argument(
        "--dir",
        type=Path,
        default=None,
        help=f"folder to save into (default: ${ENV_VAR} if set, else torch.hub.get_dir()/checkpoints)",
    )
    fetch.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="network timeout in seconds")
    commands.add_parser("where", help="print the folders searched for weights and what they hold")
    args = parser.parse_args(argv)

    if args.command == "where":
        _print_where()
        return 0

    spec = weights_spec(args.name)
    folder = args.dir.expanduser() if args.dir is not None else None
    try:
        found = _find_for_fetch(args.name, folder)
    except WeightsUnavailableError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if found is not None:
        print(f"{spec.file_name} is already there, in {found.parent}; nothing to download")
        if folder is not None and not _same_folder(found.parent, folder):
            print(f"(to have a copy in {folder} as well, copy it there)")
        return 0
    print(f"downloading {spec.file_name} ({spec.size_mb} MB) from {spec.url}")
    try:
        path = download_weights(args.name, folder=folder, timeout=args.timeout, progress=True)
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "reason", error)
        target = folder if folder is not None else search_dirs()[0]
        print(
            f"error: could not download {spec.file_name} into {target}: {reason}.\n"
            f"`{fetch_command(args.name)}` needs internet access. On a machine without it, copy "
            f"{spec.file_name} into the folder named by {ENV_VAR} or into torch.hub.get_dir()/checkpoints "
            f"({hub_checkpoints_dir()}); `python -m cnnkit.weights where` lists both.",
            file=sys.stderr,
        )
        return 2
    print(f"saved {path} (SHA-256 starts with {spec.sha256_prefix}, as its name says)")
    if not any(_same_folder(path.parent, d) for d in search_dirs()):
        print(
            f"cnnkit does not search {path.parent} unless told to: set {ENV_VAR}={path.parent} "
            f'(e.g. `export {ENV_VAR}={path.parent}`) before using vgg16("imagenet")'
        )
    return 0


def _same_folder(a: Path, b: Path) -> bool:
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def _find_for_fetch(name: str, folder: Path | None) -> Path | None:
    """The file in ``folder`` (checked first, with its hash) or in a searched folder, else None."""
    found = _checked_file(name, folder) if folder is not None else None
    return found if found is not None else find_weights(name)


if __name__ == "__main__":
    sys.exit(main())
