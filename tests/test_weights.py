"""Tests of cnnkit/weights.py: where weights are looked for, hash checks, offline errors, the command.

No test touches the network: an autouse fixture replaces torch's downloader with one that fails
as an offline machine does, and points torch's hub cache at an empty temporary folder.
"""

import hashlib
import os
import socket
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
import torch.hub

import cnnkit.weights as W
from cnnkit.weights import ENV_VAR, WeightsSpec, WeightsUnavailableError


def _offline(*args, **kwargs):
    raise urllib.error.URLError(OSError(-2, "Name or service not known"))


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Empty hub cache, no CNNKIT_WEIGHTS_DIR, and a downloader that fails as offline."""
    hub = tmp_path / "hub" / "checkpoints"
    monkeypatch.setattr(W, "hub_checkpoints_dir", lambda: hub)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(W.NO_PRETRAINED_VAR, raising=False)
    monkeypatch.setattr(torch.hub, "download_url_to_file", _offline)
    W._verified.clear()
    return hub


@pytest.fixture
def small_spec(tmp_path, monkeypatch):
    """A spec whose hash prefix matches a small file, and that file (not yet in any folder)."""
    content = b"not really weights"
    prefix = hashlib.sha256(content).hexdigest()[:8]
    spec = WeightsSpec("vgg16", f"https://example.invalid/models/vgg16-{prefix}.pth", "test weights", 1)
    monkeypatch.setattr(W, "weights_spec", lambda name: spec)
    source = tmp_path / "source.bin"
    source.write_bytes(content)
    return spec, source


def test_spec_is_torchvisions_file():
    from torchvision.models import VGG16_Weights

    spec = W.weights_spec("vgg16")
    assert spec.url == VGG16_Weights.IMAGENET1K_V1.url
    assert spec.file_name == "vgg16-397923af.pth"
    assert spec.sha256_prefix == "397923af"


def test_unknown_name_suggests_the_closest():
    with pytest.raises(
        ValueError, match=r"unknown weights 'vgg61'; known weights are vgg16 \(did you mean 'vgg16'\?\)"
    ):
        W.weights_spec("vgg61")


def test_file_name_without_hash_is_rejected():
    with pytest.raises(ValueError, match="carries no hash prefix"):
        WeightsSpec("x", "https://example.invalid/x.pth", "x", 1).sha256_prefix


def test_search_dirs_env_var_first(tmp_path, monkeypatch, isolated):
    assert W.search_dirs() == [isolated]
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mine"))
    assert W.search_dirs() == [tmp_path / "mine", isolated]


def test_display_path_hides_the_home_folder():
    assert W.display_path(Path.home() / "a" / "b") == str(Path("~") / "a" / "b")
    assert W.display_path("/opt/x") == "/opt/x"


def test_sha256_matches(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()
    assert W.sha256_matches(f, digest[:8]) and W.sha256_matches(f, digest.upper()[:6])
    assert not W.sha256_matches(f, "00000000")


def test_offline_without_cache_raises_a_helpful_error(isolated):
    with pytest.raises(WeightsUnavailableError) as info:
        W.weights_path("vgg16")
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert info.value.reason == "download_failed"
    assert "vgg16-397923af.pth" in message  # the file
    assert str(isolated) in message and "torch.hub.get_dir()/checkpoints" in message  # the folder
    assert ENV_VAR in message  # the environment variable
    assert "python -m cnnkit.weights fetch vgg16" in message  # the command
    assert "download failed" in message


def test_offline_error_comes_from_a_patched_download_function(monkeypatch):
    calls = []

    def fail(name, **kwargs):
        calls.append((name, kwargs["timeout"]))
        raise OSError("network is unreachable")

    monkeypatch.setattr(W, "download_weights", fail)
    with pytest.raises(WeightsUnavailableError, match="network is unreachable"):
        W.weights_path("vgg16", timeout=2.5)
    assert calls == [("vgg16", 2.5)]


def test_timeout_becomes_weights_unavailable(monkeypatch):
    def slow(*args, **kwargs):
        raise TimeoutError("timed out")

    monkeypatch.setattr(torch.hub, "download_url_to_file", slow)
    with pytest.raises(WeightsUnavailableError, match="timed out"):
        W.weights_path("vgg16")


def test_bad_hash_on_download_becomes_weights_unavailable(monkeypatch):
    def bad_hash(*args, **kwargs):
        raise RuntimeError('invalid hash value (expected "397923af", got "deadbeef")')

    monkeypatch.setattr(torch.hub, "download_url_to_file", bad_hash)
    with pytest.raises(WeightsUnavailableError, match="invalid hash value"):
        W.weights_path("vgg16")


def test_download_false_never_downloads(monkeypatch):
    monkeypatch.setattr(W, "download_weights", lambda *a, **k: pytest.fail("must not download"))
    with pytest.raises(WeightsUnavailableError, match="not asked for") as info:
        W.weights_path("vgg16", download=False)
    assert info.value.reason == "missing"
    assert "python -m cnnkit.weights fetch vgg16" in str(info.value)


def test_env_var_names_its_folder_in_the_message(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "shared"))
    with pytest.raises(WeightsUnavailableError, match=f"{ENV_VAR} \\(set to {tmp_path / 'shared'}\\)"):
        W.weights_path("vgg16", download=False)


def test_found_in_env_folder_before_the_hub_cache(tmp_path, monkeypatch, isolated, small_spec):
    spec, source = small_spec
    env = tmp_path / "env"
    for folder in (env, isolated):
        folder.mkdir(parents=True)
        (folder / spec.file_name).write_bytes(source.read_bytes())
    monkeypatch.setenv(ENV_VAR, str(env))
    assert W.weights_path("vgg16") == env / spec.file_name
    monkeypatch.delenv(ENV_VAR)
    assert W.weights_path("vgg16") == isolated / spec.file_name


def test_no_pretrained_switch_hides_even_a_cached_file(monkeypatch, isolated, small_spec):
    spec, source = small_spec
    isolated.mkdir(parents=True)
    (isolated / spec.file_name).write_bytes(source.read_bytes())
    monkeypatch.setenv(W.NO_PRETRAINED_VAR, "1")
    with pytest.raises(W.WeightsUnavailableError, match="switched off by CNNKIT_NO_PRETRAINED=1") as info:
        W.weights_path("vgg16")
    assert info.value.reason == "disabled"
    monkeypatch.setenv(W.NO_PRETRAINED_VAR, "0")
    assert W.weights_path("vgg16") == isolated / spec.file_name


def test_damaged_file_is_reported(isolated, small_spec):
    spec, _ = small_spec
    isolated.mkdir(parents=True)
    (isolated / spec.file_name).write_bytes(b"truncated")
    with pytest.raises(WeightsUnavailableError, match=r"damaged.*delete it") as info:
        W.weights_path("vgg16")
    assert info.value.reason == "damaged"


def test_download_uses_a_timeout_and_the_hash(tmp_path, monkeypatch, isolated, small_spec):
    spec, source = small_spec
    seen = {}

    def fake_download(url, dst, hash_prefix=None, progress=True):
        seen.update(url=url, hash_prefix=hash_prefix, timeout=socket.getdefaulttimeout())
        Path(dst).write_bytes(source.read_bytes())

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    before = socket.getdefaulttimeout()
    path = W.weights_path("vgg16", timeout=3.0)
    assert path == isolated / spec.file_name and path.is_file()
    assert seen == {"url": spec.url, "hash_prefix": spec.sha256_prefix, "timeout": 3.0}
    assert socket.getdefaulttimeout() == before  # restored


def test_download_goes_to_the_env_folder_when_set(tmp_path, monkeypatch, small_spec):
    spec, source = small_spec
    monkeypatch.setattr(
        torch.hub, "download_url_to_file", lambda url, dst, **k: Path(dst).write_bytes(source.read_bytes())
    )
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert W.weights_path("vgg16") == tmp_path / "env" / spec.file_name


# --- the command line ---------------------------------------------------------------------------


def test_fetch_offline_exits_2_with_a_message(capsys):
    assert W.main(["fetch", "vgg16", "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "could not download vgg16-397923af.pth" in err
    assert "internet access" in err and ENV_VAR in err and "torch.hub.get_dir()/checkpoints" in err


def test_fetch_with_the_download_function_patched_to_fail(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(W, "download_weights", fail)
    assert W.main(["fetch", "vgg16"]) == 2
    assert "no route to host" in capsys.readouterr().err


def test_fetch_downloads_and_reports(monkeypatch, capsys, isolated, small_spec):
    spec, source = small_spec
    monkeypatch.setattr(
        torch.hub, "download_url_to_file", lambda url, dst, **k: Path(dst).write_bytes(source.read_bytes())
    )
    assert W.main(["fetch", "vgg16"]) == 0
    assert f"saved {isolated / spec.file_name}" in capsys.readouterr().out
    assert W.main(["fetch", "vgg16"]) == 0  # second time: already there, no download
    assert "already there" in capsys.readouterr().out


def test_fetch_reports_a_damaged_file(capsys, isolated, small_spec):
    spec, _ = small_spec
    isolated.mkdir(parents=True)
    (isolated / spec.file_name).write_bytes(b"truncated")
    assert W.main(["fetch", "vgg16"]) == 2
    assert "damaged" in capsys.readouterr().err


def test_fetch_rejects_unknown_names(capsys):
    with pytest.raises(SystemExit) as info:
        W.main(["fetch", "resnet"])
    assert info.value.code == 2
    assert "invalid choice: 'resnet'" in capsys.readouterr().err


def test_where_lists_the_folders(tmp_path, monkeypatch, capsys, isolated):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert W.main(["where"]) == 0
    out = capsys.readouterr().out
    assert f"{ENV_VAR}: {tmp_path / 'env'}" in out
    assert str(isolated) in out
    assert "vgg16-397923af.pth (528 MB), not found; get it with `python -m cnnkit.weights fetch vgg16`" in out


def test_python_dash_m_where_runs(tmp_path):
    """The module runs as a command (``where`` only: it never touches the network)."""
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch"), ENV_VAR: str(tmp_path / "env")}
    done = subprocess.run(
        [sys.executable, "-m", "cnnkit.weights", "where"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,  # only a guard against a hang
    )
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "torch" / "hub" / "checkpoints") in done.stdout
    assert f"{ENV_VAR}: {tmp_path / 'env'}" in done.stdout


def test_fetch_dir_finds_a_file_already_in_that_folder(tmp_path, monkeypatch, capsys, small_spec):
    spec, source = small_spec
    folder = tmp_path / "usb"
    folder.mkdir()
    (folder / spec.file_name).write_bytes(source.read_bytes())
    monkeypatch.setattr(W, "download_weights", lambda *a, **k: pytest.fail("must not download"))
    assert W.main(["fetch", "vgg16", "--dir", str(folder)]) == 0
    assert f"already there, in {folder}" in capsys.readouterr().out


def test_fetch_dir_finds_a_file_already_in_a_searched_folder(tmp_path, monkeypatch, capsys, isolated, small_spec):
    spec, source = small_spec
    isolated.mkdir(parents=True)
    (isolated / spec.file_name).write_bytes(source.read_bytes())
    monkeypatch.setattr(W, "download_weights", lambda *a, **k: pytest.fail("must not download"))
    assert W.main(["fetch", "vgg16", "--dir", str(tmp_path / "usb")]) == 0
    out = capsys.readouterr().out
    assert f"already there, in {isolated}" in out and str(tmp_path / "usb") in out


def test_fetch_dir_reports_a_damaged_file_in_that_folder(tmp_path, capsys, small_spec):
    spec, _ = small_spec
    folder = tmp_path / "usb"
    folder.mkdir()
    (folder / spec.file_name).write_bytes(b"truncated")
    assert W.main(["fetch", "vgg16", "--dir", str(folder)]) == 2
    assert "damaged" in capsys.readouterr().err


def test_fetch_dir_outside_the_searched_folders_says_to_set_the_env_var(tmp_path, monkeypatch, capsys, small_spec):
    spec, source = small_spec
    monkeypatch.setattr(
        torch.hub, "download_url_to_file", lambda url, dst, **k: Path(dst).write_bytes(source.read_bytes())
    )
    folder = tmp_path / "usb"
    assert W.main(["fetch", "vgg16", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"saved {folder / spec.file_name}" in out
    assert f"set {ENV_VAR}={folder}" in out


def test_fetch_dir_into_the_hub_cache_needs_no_env_var(monkeypatch, capsys, isolated, small_spec):
    spec, source = small_spec
    monkeypatch.setattr(
        torch.hub, "download_url_to_file", lambda url, dst, **k: Path(dst).write_bytes(source.read_bytes())
    )
    assert W.main(["fetch", "vgg16", "--dir", str(isolated)]) == 0
    out = capsys.readouterr().out
    assert f"saved {isolated / spec.file_name}" in out and ENV_VAR not in out


def test_python_dash_m_fetch_offline_exits_2(tmp_path):
    """The fetch command as a subprocess, its downloader patched to fail as offline (no network touched)."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, W.NO_PRETRAINED_VAR)}
    env["TORCH_HOME"] = str(tmp_path / "torch")
    code = (
        "import cnnkit.weights as W, torch.hub, urllib.error, sys; "
        "torch.hub.download_url_to_file = lambda *a, **k: (_ for _ in ()).throw(urllib.error.URLError('offline')); "
        "sys.exit(W.main(['fetch', 'vgg16', '--timeout', '1']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=900
    )  # only a guard against a hang
    assert done.returncode == 2, done.stderr
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    assert "could not download vgg16-397923af.pth" in done.stderr  # the file
    assert f"into {hub}" in done.stderr and "offline" in done.stderr  # the folder, the reason
    assert ENV_VAR in done.stderr  # the environment variable
    assert "python -m cnnkit.weights fetch vgg16" in done.stderr  # the command
    assert not hub.joinpath("vgg16-397923af.pth").exists()
