"""The step-through player as a learner sees it, in headless Chromium at 1280x800.

JupyterLab (a live kernel; then the saved notebook opened untrusted, scripts off), the same
notebook exported by nbconvert with no kernel (scripts on and off), the page ``save_html``
writes, and notebook 02's bigger network. Each state is measured in the page (explanation box,
the current node and its operands against the visible area, label sizes, ``Step i of n``) and
saved as a screenshot under ``out/``.

Without Chromium, chromedriver or selenium the tests skip, saying why, except under CI (the
``CI`` environment variable set), where they fail: CI must never skip them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from autograd_tiny import backprop_steps
from autograd_tiny.__main__ import neuron

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"
WIDTH, HEIGHT = 1280, 800
CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

MLP = """\
import nn
from autograd_tiny import backprop_steps

model = nn.MLP(2, {sizes}, seed=0)
loss = (model([0.5, -1.0]) - 1.0) ** 2  # one sample, a squared loss
backprop_steps(loss).widget()
"""
MLPS = ([4, 4, 1], [8, 8, 1])


def mlp_loss(sizes: list[int]) -> Any:
    import nn

    model = nn.MLP(2, sizes, seed=0)
    return (model([0.5, -1.0]) - 1.0) ** 2


NEURON = """\
from autograd_tiny import Value, backprop_steps

x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
b = Value(6.8813735870195432, "b")
n = x1 * w1 + x2 * w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"
backprop_steps(o).widget()
"""

# Everything measured in the page about one player, by the page's own layout.
MEASURE = r"""
const root = arguments[0];
const win = {width: window.innerWidth, height: window.innerHeight};
const rect = (e) => { const r = e.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
          height: r.height}; };
const text = root.querySelector('.atp-text');
const view = root.querySelector('.atp-view');
const controls = root.querySelector('.atp-controls');
const nojs = root.querySelector('.atp-nojs');
const note = root.querySelector('.atp-note');
const out = {win: win, ready: root.getAttribute('data-ready') === '1',
  text: text.textContent, textBox: rect(text),
  note: note && note.getClientRects().length ? note.textContent : '',
  noteBox: note ? rect(note) : null,
  textClipped: text.scrollWidth > text.clientWidth + 1,
  view: rect(view),
  controlsShown: !!controls && controls.getClientRects().length > 0,
  howTo: nojs ? nojs.textContent : null};
const svg = root.querySelector('.atp-picture svg');
const img = root.querySelector('.atp-picture img');
if (svg) {
  const box = rect(svg);
  const scale = box.width / svg.viewBox.baseVal.width;  // px per SVG unit
  out.picture = box;
  const groups = {};
  for (const g of svg.querySelectorAll('g.node, g.edge')) {
    groups[g.querySelector('title').textContent] = g;
  }
  const labels = [];
  let current = null;
  for (const [id, g] of Object.entries(groups)) {
    if (!/^v\d+(_op)?$/.test(id)) continue;
    for (const t of g.querySelectorAll('text')) {
      labels.push({id: id, text: t.textContent,
                   px: parseFloat(t.getAttribute('font-size')) * scale,
                   height: t.getBoundingClientRect().height});
    }
    const shape = g.querySelector('polygon, ellipse');
    if (shape && shape.getAttribute('stroke') === '#d62728') current = id;
  }
  out.labels = labels;
  out.current = current;
  if (current) {
    // The node, its op node and the op's operands, read from the edges drawn.
    const ids = [current, current + '_op'];
    for (const id of Object.keys(groups)) {
      const m = id.match(/^(.*)->(.*)$/);
      // A constant (a leaf the text writes as its number) is not an operand kept in view.
      const constant = groups[m && m[1]] && /^n\d+$/.test(
        groups[m[1]].querySelector('text').textContent) && !groups[m[1] + '_op'];
      if (m && m[2] === current + '_op' && !ids.includes(m[1]) && !constant) ids.push(m[1]);
    }
    out.focus = ids.filter((id) => groups[id]).map((id) => {
      const r = rect(groups[id]);
      r.id = id;
      r.name = groups[id].querySelector('text').textContent;
      return r;
    });
    out.currentLabel = rect(groups[current].querySelector('text'));
  }
} else if (img) {
  out.picture = rect(img);
  out.imageLoaded = img.complete && img.naturalWidth > 0;
  // Graphviz sizes the SVG in pt: naturalWidth px = 4/3 * its width in SVG units.
  out.scale = img.naturalWidth ? rect(img).width / (img.naturalWidth * 0.75) : 0;
}
return out;
"""


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK)
                                       else None)
        if found:
            return found
    return None


BROWSER = _find("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
DRIVER = _find("/usr/bin/chromedriver", "chromedriver")


def _missing() -> str | None:
    """Why these tests cannot run here, or None."""
    if not BROWSER or not DRIVER:
        return ("no Chromium or chromedriver found (Debian: apt-get install chromium "
                "chromium-driver)")
    for module in ("selenium", "jupyterlab", "nbconvert"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[dev]')"
    return None


MISSING = _missing()
if MISSING and not CI:
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)


@pytest.fixture(scope="module")
def chrome() -> Iterator[Callable[..., Any]]:
    """A factory of headless Chromium drivers at 1280x800 (scripts on unless told)."""
    if MISSING:
        pytest.fail(f"CI must run the browser tests, but {MISSING}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers: list[Any] = []

    def make(scripts: bool = True) -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = BROWSER
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1",
                    "--hide-scrollbars=false"):
            options.add_argument(arg)
        if not scripts:
            options.add_argument("--blink-settings=scriptEnabled=false")
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        drivers.append(driver)
        # The viewport itself at 1280x800 (a window of that size has less room inside).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        return driver

    try:
        yield make
    finally:
        for driver in drivers:
            with contextlib.suppress(Exception):
                driver.quit()


def wait(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    end = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def shot(driver: Any, name: str) -> None:
    OUT.mkdir(exist_ok=True)
    driver.save_screenshot(str(OUT / f"{name}.png"))


def players(driver: Any) -> list[Any]:
    return driver.find_elements("css selector", ".autograd-tiny-player")


def measure(driver: Any, root: Any) -> dict[str, Any]:
    return driver.execute_script(MEASURE, root)  # type: ignore[no-any-return]


def check_readable(m: dict[str, Any], steps: int, step: int) -> None:
    """At one step, as a learner sees it without scrolling the page: the whole explanation,
    labels of at least 9 px, the current node and its op in the picture's visible area, and
    each operand either there too or named under the text as out of view."""
    win = m["win"]
    assert m["text"].splitlines()[0] == f"Step {step} of {steps}"
    box = m["textBox"]
    assert box["width"] >= 320, box
    assert box["left"] >= 0 and box["right"] <= win["width"], box
    assert box["top"] >= 0 and box["bottom"] <= win["height"], ("text not all in view", box)
    assert not m["textClipped"]
    if m["note"]:
        note = m["noteBox"]
        assert note["top"] >= 0 and note["bottom"] <= win["height"], note
    assert m["labels"], "no node labels found in the picture"
    small = [label for label in m["labels"] if label["px"] < 9 - 0.01 or label["height"] < 8]
    assert not small, small[:5]
    assert m["current"], "no node is highlighted"
    view = m["view"]
    left, right = max(view["left"], 0), min(view["right"], win["width"])
    top, bottom = max(view["top"], 0), min(view["bottom"], win["height"])

    def seen(r: dict[str, Any]) -> bool:
        return (left - 0.5 <= r["left"] and r["right"] <= right + 0.5
                and top - 0.5 <= r["top"] and r["bottom"] <= bottom + 0.5)

    away = []
    for r in m["focus"]:
        if r["id"] in (m["current"], m["current"] + "_op"):
            assert seen(r), ("the current node is out of view", r, view)
        elif not seen(r):
            away.append(r)
    # Operands out of view are named under the text, or counted there when there are many
    # (each has its own line in the explanation, so it is listed in the text).
    if len(away) > 4:
        assert m["note"].startswith(f"{len(away)} of the operands are out of view"), m["note"]
    for r in away:
        assert r["name"] in (m["note"] if len(away) <= 4 else m["text"]), (r, m["note"])


def step_through(driver: Any, root: Any, steps: int, name: str,
                 shots: tuple[int, ...] = ()) -> None:
    """Click next through every step, checking each and that the picture keeps its size."""
    sizes = set()
    for step in range(1, steps + 1):
        if step > 1:
            root.find_element("css selector", ".atp-next").click()
        m = measure(driver, root)
        if step in shots:
            shot(driver, f"{name}-step{step}")
        check_readable(m, steps, step)
        sizes.add((round(m["picture"]["width"], 1), round(m["picture"]["height"], 1)))
    assert len(sizes) == 1, f"the picture changes size from step to step: {sorted(sizes)}"
    assert root.find_element("css selector", ".atp-next").get_attribute("disabled")


def check_player_works(driver: Any, root: Any, steps: int, name: str) -> None:
    """Items 1 and 2 with scripts on: step 1 reads well; next, next gives step 3; the arrow
    keys step when the player has focus; every step keeps the current node in view."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    m = measure(driver, root)
    assert (m["win"]["width"], m["win"]["height"]) == (WIDTH, HEIGHT)
    assert m["ready"] and m["controlsShown"] and m["howTo"] is None
    check_readable(m, steps, 1)
    shot(driver, f"{name}-step1")
    for _ in range(2):
        root.find_element("css selector", ".atp-next").click()
    m = measure(driver, root)
    check_readable(m, steps, 3)
    assert root.find_element("css selector", ".atp-counter").text == f"Step 3 of {steps}"
    shot(driver, f"{name}-step3")
    from selenium.webdriver.common.keys import Keys

    root.find_element("css selector", ".atp-next").send_keys(Keys.ARROW_RIGHT)
    assert measure(driver, root)["text"].startswith(f"Step 4 of {steps}\n")
    root.send_keys(Keys.ARROW_LEFT)
    root.send_keys(Keys.ARROW_LEFT)
    assert measure(driver, root)["text"].startswith(f"Step 2 of {steps}\n")
    root.send_keys(Keys.HOME)
    step_through(driver, root, steps, name)


def check_static_step1(m: dict[str, Any], steps: int) -> None:
    """Item 2 with scripts off: step 1's picture and text show, and how to step through."""
    assert not m["ready"] and not m["controlsShown"]
    assert m["text"].splitlines()[0] == f"Step 1 of {steps}"
    assert m["textBox"]["width"] >= 320 and not m["textClipped"]
    assert m["howTo"] and "To step through" in m["howTo"]
    assert m["imageLoaded"], "step 1's picture did not load"
    assert m["picture"]["width"] > 300 and m["picture"]["height"] > 100
    assert m["scale"] * 11 >= 8, "node labels under 8 px"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_notebook(path: Path, *sources: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def lab(chrome: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """JupyterLab on 127.0.0.1 at a free port, no token, in a temporary directory holding the
    neuron notebook and notebook 02; stopped by its PID when the tests are done."""
    home = tmp_path_factory.mktemp("lab")
    work = home / "work"
    work.mkdir()
    make_notebook(work / "neuron.ipynb", NEURON)
    make_notebook(work / "mlps.ipynb", *(MLP.format(sizes=sizes) for sizes in MLPS))
    shutil.copy(ROOT / "notebooks" / "02_step_through_backprop.ipynb", work / "network.ipynb")
    settings = home / "settings" / "@jupyterlab"
    for extension, values in {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = settings / f"{extension}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    port = free_port()
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.allow_root=True"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            if server.poll() is not None:
                pytest.fail("JupyterLab exited:\n" + (home / "lab.log").read_text()[-3000:])
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                return r.status == 200  # type: ignore[no-any-return]

        wait("JupyterLab to start", up, timeout=90)
        yield url, work
    finally:
        # Stop the server by its PID (it shuts its kernels down), then anything left in the
        # process group it leads.
        with contextlib.suppress(ProcessLookupError):
            server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def open_and_run(driver: Any, url: str, notebook: str, players_expected: int) -> list[Any]:
    driver.get(f"{url}/lab/tree/{notebook}?reset")

    def kernel_idle() -> bool:
        return driver.execute_script("""
            const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session
                      && w.sessionContext.session.kernel;
            return !!k && k.status === 'idle' && !!w.content && w.content.widgets.length > 0;
        """)  # type: ignore[no-any-return]

    wait(f"{notebook}'s kernel", kernel_idle, timeout=90)
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    def ready() -> list[Any]:
        found = [p for p in players(driver) if p.get_attribute("data-ready")]
        return found if len(found) >= players_expected else []

    found = wait(f"the players in {notebook}", ready, timeout=90)
    assert len(found) == players_expected
    return found


def save(driver: Any, path: Path) -> None:
    driver.execute_script("window.jupyterapp.commands.execute('docmanager:save')")
    wait(f"{path.name} to be saved with the player", lambda: "atp-data" in path.read_text())


def test_jupyterlab_nbconvert_and_untrusted(lab: tuple[str, Path], chrome: Any) -> None:
    url, work = lab
    steps = len(backprop_steps(neuron()))
    driver = chrome()
    (root,) = open_and_run(driver, url, "neuron.ipynb", 1)
    check_player_works(driver, root, steps, "player-lab")
    save(driver, work / "neuron.ipynb")

    # The saved notebook, exported with no kernel: scripts on, then off.
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "neuron.ipynb"],
                   cwd=work, check=True, capture_output=True, timeout=120)
    page = (work / "neuron.html").as_uri()
    driver.get(page)
    (root,) = wait("the player in nbconvert's HTML", lambda: players(driver))
    check_player_works(driver, root, steps, "player-nbconvert")
    static = chrome(scripts=False)
    static.get(page)
    (root,) = players(static)
    check_static_step1(measure(static, root), steps)
    static.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    shot(static, "player-nbconvert-noscript")

    # The saved notebook opened in JupyterLab as someone else's (untrusted): its HTML is
    # sanitised and no script runs, but step 1's text still shows, with how to step through.
    import nbformat

    nb = nbformat.read(work / "neuron.ipynb", as_version=4)
    nb.metadata["title"] = "shared with you"  # a notebook this server has not signed
    nbformat.write(nb, work / "shared.ipynb")
    driver.get(f"{url}/lab/tree/shared.ipynb?reset")
    output = wait("the untrusted notebook's output", lambda: driver.find_element(
        "css selector", ".jp-OutputArea-output"))
    text = output.find_element("css selector", "pre").text
    assert text.startswith(f"Step 1 of {steps}\n"), text
    assert "o.grad = 1.0 (the seed)" in text
    assert "To step through" in output.text
    assert len(players(driver)) == 1 and not players(driver)[0].get_attribute("data-ready")
    shot(driver, "player-lab-untrusted")


def test_saved_page(chrome: Any, tmp_path: Path) -> None:
    steps = backprop_steps(neuron())
    path = steps.save_html(tmp_path / "steps.html")
    driver = chrome()
    driver.get(path.as_uri())
    (root,) = wait("the player in the saved page", lambda: players(driver))
    check_player_works(driver, root, len(steps), "player-page")
    static = chrome(scripts=False)
    static.get(path.as_uri())
    (root,) = players(static)
    check_static_step1(measure(static, root), len(steps))
    shot(static, "player-page-noscript")

    # The README's picture of the player: step 3 in a page about as wide as the README
    # column shows it (830 px), at twice the pixel density so it stays sharp when scaled.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1040, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": False})
    driver.get(path.as_uri())
    (root,) = wait("the player in the saved page", lambda: players(driver))
    for _ in range(2):
        root.find_element("css selector", ".atp-next").click()
    check_readable(measure(driver, root), len(steps), 3)
    OUT.mkdir(exist_ok=True)
    root.screenshot(str(OUT / "player-readme.png"))


def test_notebook_02_network_in_jupyterlab(lab: tuple[str, Path], chrome: Any) -> None:
    url, work = lab
    driver = chrome()
    (root,) = open_and_run(driver, url, "network.ipynb", 1)
    m = measure(driver, root)
    n = int(m["text"].splitlines()[0].split()[-1])
    assert n == 16
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    step_through(driver, root, n, "player-lab-network", shots=(1, 8, 16))

    # The notebook as committed, read with no kernel: its saved output is the player.
    saved = ROOT / "notebooks" / "02_step_through_backprop.ipynb"
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(work),
                    "--output", "saved-02", str(saved)],
                   check=True, capture_output=True, timeout=120)
    driver.get((work / "saved-02.html").as_uri())
    (root,) = wait("the player in notebook 02's saved output", lambda: players(driver))
    check_player_works(driver, root, n, "player-saved-network")


def step_through_players(driver: Any, found: list[Any], name: str) -> None:
    """Every step of each MLP player on the page, scrolled to the top of the window first."""
    assert len(found) == len(MLPS)
    for root, sizes in zip(found, MLPS, strict=True):
        n = len(backprop_steps(mlp_loss(sizes)))
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
        label = f"{name}-{'-'.join(map(str, sizes))}"
        step_through(driver, root, n, label, shots=(1, 4, 8, 13, n))


def test_mlps_every_step_in_jupyterlab_nbconvert_and_page(lab: tuple[str, Path], chrome: Any,
                                                          tmp_path: Path) -> None:
    url, work = lab
    driver = chrome()
    found = open_and_run(driver, url, "mlps.ipynb", len(MLPS))
    step_through_players(driver, found, "mlp-lab")
    save(driver, work / "mlps.ipynb")

    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "mlps.ipynb"],
                   cwd=work, check=True, capture_output=True, timeout=120)
    driver.get((work / "mlps.html").as_uri())
    found = wait("the players in nbconvert's HTML", lambda: players(driver))
    step_through_players(driver, found, "mlp-nbconvert")

    for sizes in MLPS:
        path = backprop_steps(mlp_loss(sizes)).save_html(tmp_path / f"mlp{sizes[0]}.html")
        driver.get(path.as_uri())
        (root,) = wait("the player in the saved page", lambda: players(driver))
        n = len(backprop_steps(mlp_loss(sizes)))
        step_through(driver, root, n, f"mlp-page-{'-'.join(map(str, sizes))}",
                     shots=(1, 4, 8, 13, n))


HOSTILE = ["<!--<script>", "</script>", "<b>bold</b>", "it's \"quoted\"", "]]>", "x&amp;y",
           "ünïcödé ✓ 中文", "\\"]


def test_hostile_labels_do_not_stop_the_player(chrome: Any, tmp_path: Path) -> None:
    from autograd_tiny import Value

    xs = [Value(float(i + 1), label) for i, label in enumerate(HOSTILE)]
    out = Value.sum([x * x for x in xs]).tanh()
    out.label = "<!--<script>"
    steps = backprop_steps(out)
    path = steps.save_html(tmp_path / "hostile.html")
    driver = chrome()
    driver.get(path.as_uri())
    (root,) = wait("the player with hostile labels", lambda: players(driver))
    m = measure(driver, root)
    assert m["ready"], "the player's script did not start"
    assert "<!--<script>" in m["text"]
    step_through(driver, root, len(steps), "player-hostile", shots=(1, len(steps)))
    m = measure(driver, root)
    shown = " ".join(label["text"] for label in m["labels"])
    for label in HOSTILE:
        assert label in shown, label
    assert m["text"] == f"Step {len(steps)} of {len(steps)}\n\n{steps[-1].explain()}"


def test_a_16_16_1_network_steps_one_box_per_neuron(chrome: Any, tmp_path: Path) -> None:
    steps = backprop_steps(mlp_loss([16, 16, 1]))
    path = steps.save_html(tmp_path / "mlp16.html")
    driver = chrome()
    driver.get(path.as_uri())
    (root,) = wait("the collapsed player", lambda: players(driver))
    n = len(steps)
    for step in range(1, n + 1):
        if step > 1:
            root.find_element("css selector", ".atp-next").click()
        m = measure(driver, root)
        if step in (1, 6, 40, n):
            shot(driver, f"mlp-page-16-16-1-step{step}")
        assert m["text"].startswith(f"Step {step} of {n}\n")
        small = [label for label in m["labels"] if label["px"] < 9 - 0.01]
        assert not small, small[:5]
        (current,) = [r for r in m["focus"] if r["id"] == m["current"]]
        view = m["view"]
        assert view["left"] - 0.5 <= current["left"] and current["right"] <= view["right"] + 0.5
        assert view["top"] - 0.5 <= current["top"] and current["bottom"] <= view["bottom"] + 0.5
        node = steps[step - 1].node
        detail = root.find_element("css selector", ".atp-detail").text
        if ":" in current["name"]:  # a neuron's box: its values are listed beside the text
            assert f"Inside {current['name']}" in detail
            assert steps.names[node] in detail
        else:
            assert current["name"] == steps.names[node]
    # Any neuron's box opens on a click: its values at this step are listed.
    name = driver.execute_script("""
        const root = arguments[0];
        for (const g of root.querySelectorAll('.atp-picture g.node')) {
          const text = g.querySelector('text');
          if (text && text.textContent.startsWith('L1.N3: ')) {
            g.querySelector('polygon').dispatchEvent(new MouseEvent('click', {bubbles: true}));
            return text.textContent;
          }
        }
        return null;
    """, root)
    assert name and name.startswith("L1.N3: ")
    detail = root.find_element("css selector", ".atp-detail").text
    assert f"Inside {name}" in detail and "L1.N3.w15" in detail and "L1.N3.b" in detail
