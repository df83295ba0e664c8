"""Harness for the browser suite: a private JupyterLab server and headless Chromium.

Everything the server reads or writes (kernelspecs, settings, workspaces, runtime files)
lives in temp dirs, so a run neither sees nor touches the user's Jupyter setup. The Lean
kernelspec is installed with ``install_kernel.py --prefix`` and points at the stand-in
REPL; the server's environment carries the same variables so a Python kernel's
``%load_ext lean_magic`` finds the stand-in too.

Missing Chromium or Playwright is a failure, not a skip: CI installs both, so their
absence means the install step broke.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = os.environ.get("LEAN_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SERVER_START_TIMEOUT = 90.0
# JupyterLab plugins that would reach the internet or pop up toasts over the notebook.
DISABLED_LAB_PLUGINS = {
    "@jupyterlab/apputils-extension:announcements": True,
    "@jupyterlab/extensionmanager-extension": True,
}


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium_browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (`apt-get install chromium`, as .ci/run does) "
            "or set LEAN_TEST_CHROMIUM to its path",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"Playwright is not importable ({exc}): run `pip install -e '.[browser]'`", pytrace=False)
    pw = sync_playwright().start()
    try:
        # Playwright's own browser builds cannot be downloaded here; the distro's Chromium
        # speaks the same DevTools protocol.
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:
        pw.stop()
        pytest.fail(f"Chromium at {CHROMIUM} did not start under Playwright: {exc}", pytrace=False)
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


# ---------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _base_prefix_jupyter(kind: str) -> list[Path]:
    """``<base prefix>/<kind>/jupyter`` when JupyterLab comes from the base interpreter of a
    venv made with --system-site-packages: its packages' Jupyter data (the widgets
    extension) and server config (jupyter-lsp enabled) sit there, and Jupyter searches
    only the venv's prefix. Elsewhere nothing: sys.prefix is searched already."""
    import jupyterlab

    base = Path(sys.base_prefix)
    if base == Path(sys.prefix) or not Path(jupyterlab.__file__).is_relative_to(base):
        return []
    return [base / kind / "jupyter"]


class LabServer:
    """One JupyterLab process in its own process group, with its own Jupyter dirs."""

    def __init__(self, base: Path, env_vars: dict[str, str]):
        self.base = base
        self.root_dir = base / "notebooks"
        self.jupyter_path = base / "prefix" / "share" / "jupyter"
        self.data_dir = base / "data"
        self.config_dir = base / "config"
        self.runtime_dir = base / "runtime"
        for d in (self.root_dir, self.jupyter_path, self.data_dir, self.config_dir, self.runtime_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = base / "jupyterlab.log"
        self.extra_env = dict(env_vars)
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path}{sep}token={self.token}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        # A developer's own settings must not leak in (and the run must not write to them).
        for var in ("JUPYTER_PREFER_ENV_PATH", "JUPYTER_PLATFORM_DIRS", "IPYTHONDIR"):
            env.pop(var, None)
        env.update(
            JUPYTER_PATH=os.pathsep.join(map(str, [self.jupyter_path, *_base_prefix_jupyter("share")])),
            JUPYTER_CONFIG_PATH=os.pathsep.join(map(str, _base_prefix_jupyter("etc"))),
            JUPYTER_DATA_DIR=str(self.data_dir),
            JUPYTER_CONFIG_DIR=str(self.config_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            IPYTHONDIR=str(self.base / "ipython"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def write_lab_config(self) -> None:
        labconfig = self.config_dir / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps({"disabledExtensions": DISABLED_LAB_PLUGINS}))

    def lab_options(self) -> list[str]:
        """JupyterLab options that keep it private, offline and quiet (not the port or root)."""
        return [
            "--ServerApp.port_retries=0",  # a taken port must fail, not move silently
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",  # ServerApp.token is its deprecated alias
            "--ServerApp.terminals_enabled=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            f"--LabApp.user_settings_dir={self.base / 'user-settings'}",
            f"--LabApp.workspaces_dir={self.base / 'workspaces'}",
        ]

    def start(self) -> None:
        self.write_lab_config()
        argv = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={self.port}",
            f"--ServerApp.root_dir={self.root_dir}",
            *self.lab_options(),
        ]
        if os.geteuid() == 0:
            argv.append("--allow-root")  # CI containers run as root
        self.launch(argv, cwd=self.root_dir)

    def launch(self, argv: list[str], cwd: Path) -> None:
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                argv,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.25)
        raise RuntimeError(
            f"JupyterLab did not answer /api/status within {SERVER_START_TIMEOUT:.0f}s ({last_error}):\n{self.log_tail()}"
        )

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(f"{self.base_url}/api/{path}?token={self.token}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # /api/shutdown stops the kernels first (they run in their own process groups, so
        # killing the server's group would orphan them and their REPLs).
        try:
            self.api("shutdown", method="POST")
            self.proc.wait(timeout=20)
            return
        except Exception:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=10)
                return
            except subprocess.TimeoutExpired:
                continue


def install_lean_kernelspec(server: LabServer) -> Path:
    """Install the kernelspec the way a user would, with install_kernel.py, into a prefix
    that only this server's JUPYTER_PATH names."""
    env = server.extra_env
    prefix = server.jupyter_path.parent.parent
    argv = [
        sys.executable,
        str(REPO / "install_kernel.py"),
        "--prefix",
        str(prefix),
        "--repl",
        env["LEAN_REPL_PATH"],
        f"--repl-args={env['LEAN_REPL_ARGS']}",  # `=`: the value starts with "-m"
        "--timeout",
        env["LEAN_TIMEOUT"],
        "--env",
        f"PYTHONPATH={env['PYTHONPATH']}",
    ]
    done = subprocess.run(argv, env=server.env(), capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"install_kernel.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    spec = server.jupyter_path / "kernels" / "lean4" / "kernel.json"
    if not spec.is_file():
        raise RuntimeError(f"install_kernel.py --prefix {prefix} wrote no {spec}:\n{done.stdout}\n{done.stderr}")
    return spec


LABEXTENSION = "lean-kernel-jupyterlab"


@pytest.fixture(scope="session")
def lean_kernel_wheel(tmp_path_factory) -> Path:
    """The wheel of this working tree, built as pip builds it for a user (isolated build).

    It is built from a copy without build outputs: setuptools would otherwise pack whatever
    an earlier build left in build/lib (old extension chunks included)."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "lean-kernel"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", "build", "dist", "*.egg-info", "node_modules", "__pycache__", "artifacts", ".pytest_cache"
        ),
    )
    argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    wheels = list(out.glob("lean_kernel-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        raise RuntimeError(f"building the wheel failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return wheels[0]


def install_wheel(server: LabServer, wheel: Path) -> Path:
    """pip-install the wheel into the server's prefix, as a user's `pip install` would put it
    into theirs: its shared data brings the prebuilt JupyterLab extension. (An editable
    install has no shared data, so the dev venv has no extension of its own.)"""
    prefix = server.jupyter_path.parent.parent
    # --ignore-installed: without it pip would uninstall the running environment's own copy.
    argv = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--ignore-installed",
        "--no-warn-script-location",
        "--quiet",
        "--prefix",
        str(prefix),
        str(wheel),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"pip install {wheel.name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    installed = server.jupyter_path / "labextensions" / LABEXTENSION
    prebuilt = REPO / "lean_kernel" / "labextension"
    names = sorted(str(f.relative_to(installed)) for f in installed.rglob("*") if f.is_file())
    want = sorted(["install.json"] + [str(f.relative_to(prebuilt)) for f in prebuilt.rglob("*") if f.is_file()])
    if names != want:
        raise RuntimeError(f"{wheel.name} installed {names} into {installed}, not the prebuilt extension {want}")
    return installed


@pytest.fixture
def lab_server(tmp_path, standin_env, lean_kernel_wheel):
    """A JupyterLab whose Lean kernel and Python kernels both reach the stand-in REPL, with
    the JupyterLab extension installed from the wheel.

    Function-scoped because standin_env is; a server starts in a few seconds.
    """
    # The stand-in replays the v4.33.0-rc2 recordings plus tests/fixtures/scripted.
    env_vars = standin_env(timeout=30)  # 30 s: two cores also run JupyterLab and Chromium
    server = LabServer(tmp_path / "jupyterlab", env_vars)
    install_lean_kernelspec(server)
    install_wheel(server, lean_kernel_wheel)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(server.log_path, ARTIFACTS / f"jupyterlab-{server.base.parent.name}.log")


# ---------------------------------------------------------------------------- page object

DEFAULT_TIMEOUT_MS = 30_000
# Tall enough that a whole test notebook fits: page screenshots only see the viewport, and
# JupyterLab may skip rendering cells scrolled out of view.
VIEWPORT_HEIGHT = 1500
KERNEL_TIMEOUT_MS = 60_000
KERNEL_STATUS_ITEM = '#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]'
# A CodeMirror 6 editor's text: one .cm-line element per line.
EDITOR_TEXT_JS = "el => Array.from(el.querySelectorAll('.cm-line')).map(l => l.textContent).join('\\n')"

# The computed style of the text node holding the n-th occurrence of `needle` in an editor.
STYLE_AT_JS = """(root, [needle, occurrence]) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let seen = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let at = node.textContent.indexOf(needle); at !== -1; at = node.textContent.indexOf(needle, at + 1)) {
            if (seen++ === occurrence) {
                const el = node.parentElement, cs = getComputedStyle(el);
                return {color: cs.color, fontWeight: cs.fontWeight, fontStyle: cs.fontStyle, className: el.className};
            }
        }
    }
    return null;
}"""
# The computed style of a span with the given CSS, outside any editor (theme variables are global).
THEME_STYLE_JS = """(css) => {
    const el = document.createElement('span');
    el.setAttribute('style', css);
    el.textContent = 'x';
    document.body.appendChild(el);
    const cs = getComputedStyle(el);
    const out = {color: cs.color, fontWeight: cs.fontWeight, fontStyle: cs.fontStyle, className: ''};
    el.remove();
    return out;
}"""


class Lab:
    """What a test does in JupyterLab, phrased as a user would: open, click, type, run, read.

    Every wait is on a DOM condition with a deadline; nothing sleeps.
    """

    def __init__(self, page, server: LabServer, name: str):
        self.page = page
        self.server = server
        self.name = name
        self.shots: list[Path] = []
        self.console: list[str] = []  # the page's console messages and uncaught errors
        self.external_requests: list[str] = []  # requests the page tried to send off this machine

    # -- navigation

    def open(self) -> None:
        # `reset` drops any saved workspace, so each test starts at the launcher.
        self.page.goto(self.server.lab_url("lab?reset"))
        self.page.locator(".jp-Launcher").first.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)

    def launcher_cards(self, section: str = "Notebook") -> list[str]:
        sec = self.page.locator(".jp-Launcher-section").filter(
            has=self.page.locator(".jp-Launcher-sectionTitle", has_text=re.compile(rf"^{re.escape(section)}$"))
        )
        sec.first.wait_for(state="visible")
        return [t.strip() for t in sec.first.locator(".jp-LauncherCard-label").all_inner_texts()]

    def launcher_card(self, label: str, section: str = "Notebook"):
        sec = self.page.locator(".jp-Launcher-section").filter(
            has=self.page.locator(".jp-Launcher-sectionTitle", has_text=re.compile(rf"^{re.escape(section)}$"))
        )
        return sec.locator(".jp-LauncherCard").filter(
            has=self.page.locator(".jp-LauncherCard-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        )

    def new_notebook(self, kernel_label: str) -> None:
        """Click the launcher's notebook card for a kernel; wait until that kernel is idle."""
        card = self.launcher_card(kernel_label)
        card.first.click()
        self.notebook.wait_for(state="visible")
        self.wait_kernel_idle()
        self.page.locator(".jp-Launcher:visible").wait_for(state="hidden")

    # -- the current notebook

    @property
    def notebook(self):
        return self.page.locator(".jp-NotebookPanel:visible").first

    def kernel_name(self) -> str:
        return self.notebook.locator(".jp-KernelName").first.inner_text().strip()

    def kernel_status(self) -> str:
        return self.page.locator(KERNEL_STATUS_ITEM).first.inner_text().strip()

    def wait_kernel_idle(self, timeout: float = KERNEL_TIMEOUT_MS) -> None:
        """Wait until the kernel is connected and idle; fail at once if it died.

        The toolbar's execution indicator says "idle" before the kernel is even connected,
        so the status bar's kernel item ("<kernel> | Idle") is the first condition."""
        item = self.page.locator(KERNEL_STATUS_ITEM).first
        item.wait_for(timeout=timeout)
        # The status it matched is returned: re-reading it could already see "Busy".
        status = self.page.wait_for_function(
            "el => { const t = el.textContent.trim(); return /\\| (Idle|Dead)$/.test(t) ? t : false; }",
            arg=item.element_handle(),
            timeout=timeout,
        ).json_value()
        if not status.endswith("| Idle"):
            raise AssertionError(f"kernel status is {status!r}; server log:\n{self.server.log_tail()}")
        self.notebook.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            state="attached", timeout=timeout
        )

    def cells(self):
        return self.notebook.locator(".jp-Notebook .jp-Cell")

    def cell(self, index: int):
        return self.cells().nth(index)

    def cell_count(self) -> int:
        return self.cells().count()

    def editor_text(self, index: int) -> str:
        return self.cell(index).locator(".cm-content").evaluate(EDITOR_TEXT_JS)

    def set_cell(self, index: int, text: str) -> None:
        """Replace a cell's source by typing into its CodeMirror editor.

        insert_text delivers the text as one input event, so CodeMirror's bracket closing
        and auto-indent (which react to single keystrokes) leave it as written; the check
        afterwards catches any editor behaviour that still changed it.
        """
        editor = self.cell(index).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)
        self.page.wait_for_function(
            f"([el, want]) => ({EDITOR_TEXT_JS})(el) === want",
            arg=[editor.element_handle(), text],
            timeout=5_000,
        )

    def type_in_cell(self, index: int, keys: str) -> None:
        """Type at the end of a cell's text, key by key as a user does, so editor extensions
        that react to single keystrokes (abbreviations, bracket closing) see each one."""
        self.cell(index).locator(".cm-content").click()
        self.page.keyboard.press("ControlOrMeta+End")
        self.page.keyboard.type(keys)

    def style_at(self, index: int, needle: str, occurrence: int = 0) -> dict | None:
        """The computed style of the text ``needle`` in a cell's editor (its ``occurrence``-th
        appearance): what the syntax highlighter gave it, read from the DOM."""
        return self.cell(index).locator(".cm-content").evaluate(STYLE_AT_JS, [needle, occurrence])

    def theme_style(self, css: str) -> dict:
        """The computed style a span with the given CSS gets inside the editor, to compare
        with ``style_at`` (e.g. ``color: var(--jp-mirror-editor-keyword-color)``)."""
        return self.page.evaluate(THEME_STYLE_JS, css)

    def federated_extensions(self) -> list[str]:
        """Names of the prebuilt extensions this JupyterLab page loads (its page config)."""
        return self.page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
            ".federated_extensions.map(e => e.name)"
        )

    def prompt(self, index: int) -> str:
        return self.cell(index).locator(".jp-InputPrompt").first.inner_text().strip()

    def run_cell(self, index: int, timeout: float = KERNEL_TIMEOUT_MS) -> None:
        """Shift+Enter in the cell's editor; return once its prompt shows a new execution count."""
        before = self.prompt(index)
        self.cell(index).locator(".cm-content").click()
        self.page.keyboard.press("Shift+Enter")
        prompt = self.cell(index).locator(".jp-InputPrompt").first
        self.page.wait_for_function(
            """([el, before]) => { const t = el.textContent.trim();
                                   return /^\\[\\d+\\]:$/.test(t) && t !== before; }""",
            arg=[prompt.element_handle(), before],
            timeout=timeout,
        )
        self.wait_kernel_idle(timeout)

    def add_cell(self, text: str) -> int:
        """Type ``text`` into the last cell if it is empty, else into a new cell at the end."""
        index = self.cell_count() - 1
        if self.editor_text(index).strip():
            self.cell(index).locator(".cm-content").click()
            self.page.keyboard.press("Escape")
            self.page.keyboard.press("b")  # command mode: insert a cell below
            self.page.wait_for_function(
                "([nb, n]) => nb.querySelectorAll('.jp-Cell').length > n",
                arg=[self.notebook.locator(".jp-Notebook").first.element_handle(), index + 1],
                timeout=5_000,
            )
            index = self.cell_count() - 1
        self.set_cell(index, text)
        return index

    def run(self, text: str) -> int:
        index = self.add_cell(text)
        self.run_cell(index)
        return index

    def outputs(self, index: int):
        return self.cell(index).locator(".jp-OutputArea-output")

    def assert_clean(self) -> None:
        """No uncaught page error, no console error (a widget view that fails to render
        logs one), and no attempt to reach the internet."""
        errors = [m for m in self.console if m.startswith(("[error]", "[pageerror]"))]
        assert not errors, "errors in the page's console:\n" + "\n".join(errors)
        assert not self.external_requests, f"the page tried to reach the internet: {self.external_requests}"

    # -- evidence

    def screenshot(self, stage: str, **options) -> Path:
        """Save the page (or ``clip=`` a region of it) as the test's next numbered picture."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{len(self.shots) + 1:02d}-{stage}.png"
        self.page.screenshot(path=str(path), **options)
        self.shots.append(path)
        return path


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost")


@pytest.fixture
def lab(request, chromium_browser, lab_server):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": VIEWPORT_HEIGHT}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    lab = Lab(page, lab_server, request.node.name.replace("test_", "", 1))

    # Nothing in the suite may depend on the internet; record and refuse any attempt.
    def guard(route):
        if _is_local(route.request.url):
            route.continue_()
        else:
            lab.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.on("console", lambda m: lab.console.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: lab.console.append(f"[pageerror] {e}"))
    try:
        yield lab
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                page.screenshot(path=str(ARTIFACTS / f"{lab.name}-FAILED.png"))
            except Exception:
                pass
            # Shown by pytest with the failure: what the server and kernels said.
            print(f"--- JupyterLab log (tail) ---\n{lab_server.log_tail()}")
        (ARTIFACTS / f"{lab.name}-console.log").write_text("".join(m + "\n" for m in lab.console))
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep
