"""The step-through player: how long it takes to make and how big it is, per network size,
and how long one step takes in the browser (headless Chromium, if installed).

Each network is ``nn.MLP(2, sizes, seed=0)`` on one sample with a squared loss. "Generate" is
``backprop_steps(loss).to_html()`` from the loss: the steps, their texts, the one layout and
the page. A step in the browser is timed with ``performance.now()`` around a click on
"next" and the layout it causes (the view follows the current node), every step of the page,
in several rounds: a step's cost is its fastest round.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import statistics
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

import nn
from autograd_tiny import backprop_steps

SIZES = ([4, 4, 1], [8, 8, 1], [16, 16, 1])
TARGET_SECONDS = {"4-4-1": 0.3, "16-16-1": 2.0}
TARGET_KB = {"16-16-1": 400.0}
TARGET_STEP_MS = 50.0

# In the page: click "next" through every step, timing each click with the layout it forces.
STEP_TIMES = r"""
const root = document.querySelector('.autograd-tiny-player');
const next = root.querySelector('.atp-next');
const view = root.querySelector('.atp-view');
const times = [];
while (!next.disabled) {
  const t = performance.now();
  next.click();
  view.getBoundingClientRect();
  root.querySelector('.atp-text').offsetHeight;
  times.push(performance.now() - t);
}
return times;
"""


def loss_of(sizes: list[int]) -> Any:
    model = nn.MLP(2, sizes, seed=0)
    return (model([0.5, -1.0]) - 1.0) ** 2


def name_of(sizes: list[int]) -> str:
    return "-".join(map(str, sizes))


def generate(sizes: list[int], repeat: int) -> dict[str, Any]:
    """Median seconds to make the player page from the loss, its size, steps and values."""
    loss = loss_of(sizes)
    times, page = [], ""
    for _ in range(repeat):
        gc.collect()
        t = perf_counter()
        page = backprop_steps(loss).to_html()
        times.append(perf_counter() - t)
    steps = backprop_steps(loss)
    from autograd_tiny.player import COLLAPSE_ABOVE

    return {"network": name_of(sizes), "values": len(steps.order), "steps": len(steps),
            "collapsed": len(steps.order) > COLLAPSE_ABOVE,
            "seconds": {"median": statistics.median(times), "min": min(times),
                        "max": max(times)},
            "kb": len(page.encode()) / 1024, "page": page}


def step_in_browser(page: str, repeat: int = 5) -> dict[str, Any] | None:
    """Per-step milliseconds in headless Chromium at 1280x800 (each step's fastest of
    ``repeat`` rounds through the page); None without a browser."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    if not browser or not driver_path:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "player.html"
            path.write_text(page, encoding="utf-8")
            rounds = []
            for _ in range(repeat):
                driver.get(path.as_uri())
                rounds.append(driver.execute_script(STEP_TIMES))
    finally:
        with contextlib.suppress(Exception):
            driver.quit()
    # Each step's fastest of the rounds: what the step costs, without the other processes
    # that share the machine (a loaded 2-core machine adds 10-80 ms to random steps).
    times = [min(each) for each in zip(*rounds, strict=True)]
    return {"median": statistics.median(times), "max": max(times), "steps": len(times) + 1,
            "rounds": repeat, "max_any_round": max(max(r) for r in rounds)}


def bench(quick: bool = False, repeat: int = 5) -> dict[str, Any]:
    """Generation of every size; stepping in the browser for the largest."""
    sizes = SIZES[:1] if quick else SIZES
    rows = [generate(s, 1 if quick else repeat) for s in sizes]
    stepping = step_in_browser(rows[-1]["page"], 2 if quick else repeat)
    for row in rows:
        del row["page"]
    return {"rows": rows, "step_ms": stepping, "step_network": rows[-1]["network"]}


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    rows = {row["network"]: row for row in r["rows"]}
    for network, seconds in TARGET_SECONDS.items():
        if network in rows:
            got = rows[network]["seconds"]["median"]
            out.append({"target": f"player for MLP {network} made in <= {seconds:g} s",
                        "measured": f"{got:.3f} s", "met": got <= seconds})
    for network, kb in TARGET_KB.items():
        if network in rows:
            got = rows[network]["kb"]
            out.append({"target": f"player for MLP {network} <= {kb:g} KB",
                        "measured": f"{got:.0f} KB", "met": got <= kb})
    if r["step_ms"] is not None:
        got = r["step_ms"]["max"]
        out.append({"target": f"one step in the browser < {TARGET_STEP_MS:g} ms "
                              f"(MLP {r['step_network']})",
                    "measured": f"max {got:.1f} ms, median {r['step_ms']['median']:.1f} ms",
                    "met": got < TARGET_STEP_MS})
    return out


def markdown(r: dict[str, Any]) -> list[str]:
    lines = ["## Step-through player: MLP(2, sizes), one sample, squared loss", "",
             "| network | values | steps | view | make (median s) | min s | max s | page KB |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for row in r["rows"]:
        s = row["seconds"]
        view = "one box per neuron" if row["collapsed"] else "every value"
        lines.append(f"| {row['network']} | {row['values']} | {row['steps']} | {view} | "
                     f"{s['median']:.3f} | {s['min']:.3f} | {s['max']:.3f} | {row['kb']:.0f} |")
    step = r["step_ms"]
    lines += ["", f"One step in headless Chromium (MLP {r['step_network']}, every step): "
              + (f"each step's fastest of {step['rounds']} rounds: median {step['median']:.1f} "
                 f"ms, max {step['max']:.1f} ms (slowest single step of any round "
                 f"{step['max_any_round']:.1f} ms, on a machine shared with other work)."
                 if step else "not measured (no Chromium, chromedriver or selenium)."), ""]
    return lines
