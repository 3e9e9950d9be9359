"""`make bench-storefront`: what Sadakat costs a shop's storefront, measured by Lighthouse.

A realistic product page (a theme-like page: header, gallery images, styles, description, reviews) is served
on 127.0.0.1 twice: as it is, and with Sadakat on it — the launcher exactly as Sadakat serves it
(``/rewards/<handle>/launcher.js``: the script and the shop's settings) and the product block's output (its
one line of HTML, no script). Lighthouse 12.2.3 (npm, the last release for Node 20) runs each page 5 times
on Debian's Chromium with its mobile preset, interleaved; the medians of the performance score and Total
Blocking Time, and the difference, go to bench/results/storefront.json. Goal: at most 2 points and 0 ms of
added blocking time.
"""

from __future__ import annotations

import json
import os
import statistics
import struct
import subprocess
import sys
import threading
import zlib
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "bench" / "storefront" / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "bench" / "results" / "storefront.json"
RUNS = int(os.environ.get("SADAKAT_STOREFRONT_RUNS", "5"))
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
LAUNCHER_CONFIG = {
    "page": "https://sadakat.example.com/rewards/Xk3dP0aQ9mZt?lang=en",
    "colour": "#0f766e",
    "position": "right",
    "lang": "en",
    "label": "Rewards",
    "title": "Rewards",
    "see": "See my rewards",
    "close": "Close",
    "summary": ["Earn 1 point for every 1.00 USD you spend.", "Redeem 500 points for 5.00 USD off."],
}


def png(width: int, height: int, seed: int) -> bytes:
    """A product photo stand-in: a real PNG of the size a theme's gallery shows."""
    raw = b"".join(
        b"\x00" + b"".join(bytes(((x * 3 + seed) % 256, (y * 2 + seed) % 256, (x ^ y) % 256)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


STYLE = """
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1f2937}
header,footer{background:#111827;color:#fff;padding:16px}nav a{color:#fff;margin-right:16px}
main{max-width:1100px;margin:0 auto;padding:16px;display:grid;gap:24px}
@media(min-width:800px){main{grid-template-columns:1fr 1fr}}
.gallery img{width:100%;height:auto;display:block;margin-bottom:8px}.price{font-size:28px;font-weight:700}
.buy{background:#0f766e;color:#fff;border:0;padding:14px 20px;font-size:18px;width:100%}
.reviews{grid-column:1/-1}.review{border-top:1px solid #e5e7eb;padding:12px 0}
.sadakat-product-points{color:#0f766e;margin:4px 0}
"""


def product_page(with_sadakat: bool) -> str:
    """The product page, with or without Sadakat's launcher and product block."""
    reviews = "".join(
        f'<div class="review"><strong>Customer {n}</strong><p>{"Lovely quality and fast shipping. " * 6}</p></div>'
        for n in range(12)
    )
    block = '<p class="sadakat-product-points">Earn 42 points</p>' if with_sadakat else ""
    launcher = '<script src="/launcher.js" defer></script>' if with_sadakat else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Linen shirt · Example Store</title>
<meta name="description" content="A linen shirt, woven in Denizli."><link rel="stylesheet" href="/theme.css"></head>
<body><header><strong>Example Store</strong>
<nav><a href="#">Shop</a><a href="#">About</a><a href="#">Cart</a></nav></header>
<main><section class="gallery"><img src="/p1.png" width="600" height="600" alt="Linen shirt, front">
<img src="/p2.png" width="600" height="600" alt="Linen shirt, back" loading="lazy"></section>
<section><h1>Linen shirt</h1><p class="price">42.00 USD</p>{block}
<p>{"Woven from pure linen, garment-washed for softness, cut for a relaxed fit. " * 8}</p>
<button class="buy">Add to cart</button></section><section class="reviews"><h2>Reviews</h2>{reviews}</section></main>
<footer>© Example Store</footer>{launcher}</body></html>"""


def launcher_script() -> str:
    """The launcher exactly as Sadakat serves it: the script, then the call with the shop's settings."""
    code = (ROOT / "connector" / "web" / "static" / "launcher.js").read_text()
    return code + "\nsadakatLauncher(" + json.dumps(LAUNCHER_CONFIG).replace("<", "\\u003c") + ");\n"


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the page's files without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:
        """Nothing."""


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    handler = partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def lighthouse(url: str, out: Path) -> tuple[float, float]:
    """One Lighthouse run (mobile preset, performance only): (score 0-100, Total Blocking Time in ms)."""
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--only-categories=performance", "--output=json",
         f"--output-path={out}", f"--chrome-path={CHROMIUM}",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"],
        check=True, timeout=300, env=dict(os.environ, CHROME_PATH=CHROMIUM),
    )  # fmt: skip
    report = json.loads(out.read_text())
    return report["categories"]["performance"]["score"] * 100, report["audits"]["total-blocking-time"]["numericValue"]


def main() -> int:
    if not LIGHTHOUSE.exists():
        print("make bench-storefront installs Lighthouse first (bench/storefront)", file=sys.stderr)
        return 1
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "theme.css").write_text(STYLE)
        (folder / "p1.png").write_bytes(png(600, 600, 1))
        (folder / "p2.png").write_bytes(png(600, 600, 2))
        (folder / "launcher.js").write_text(launcher_script())
        (folder / "without.html").write_text(product_page(False))
        (folder / "with.html").write_text(product_page(True))
        server, base = serve(folder)
        runs: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
        try:
            for n in range(RUNS):
                for name in ("without", "with"):  # interleaved, so drift on the machine hits both alike
                    runs[name].append(lighthouse(f"{base}/{name}.html", folder / f"{name}-{n}.json"))
                    print(f"run {n + 1}/{RUNS} {name}: score {runs[name][-1][0]:.0f}, TBT {runs[name][-1][1]:.0f} ms")
        finally:
            server.shutdown()
    medians = {
        name: {
            "score": statistics.median(s for s, _ in r),
            "total_blocking_time_ms": statistics.median(t for _, t in r),
        }
        for name, r in runs.items()
    }
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "lighthouse": "12.2.3",
        "preset": "mobile",
        "runs": RUNS,
        "without_sadakat": medians["without"],
        "with_sadakat": medians["with"],
        "score_difference": medians["without"]["score"] - medians["with"]["score"],
        "added_blocking_time_ms": medians["with"]["total_blocking_time_ms"]
        - medians["without"]["total_blocking_time_ms"],
        "every_run": {name: [{"score": s, "total_blocking_time_ms": t} for s, t in r] for name, r in runs.items()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "every_run"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
