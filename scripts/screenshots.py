"""Screenshot every page of the built book at 1280 px in headless Chromium, to look at each figure as a reader does.

    make book
    python scripts/screenshots.py                  # every page -> _build/screenshots/<page>-<n>.png
    python scripts/screenshots.py book/conv-layer  # only pages whose path contains this text

Each page is served from _build/html on 127.0.0.1 (requests elsewhere are blocked, as in tests/test_browser.py),
its formulas typeset and images loaded, and then photographed one 1280 x 1600 px screen at a time, numbered from the
top, so that a long chapter is a handful of images of readable size rather than one very tall one.
"""
import argparse
import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # test_browser imports the repository's autograder

from test_browser import CHROMIUM, CHROMIUM_ARGS, LOAD_IMAGES, WAIT_FOR_MATHJAX, _Quiet  # noqa: E402

WIDTH, SCREEN = 1280, 1600


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="only pages whose path contains one of these")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "screenshots")
    args = parser.parse_args()
    skip = ("search.html", "genindex.html")
    pages = sorted(str(p.relative_to(args.html)) for p in args.html.rglob("*.html")
                   if "_static" not in p.relative_to(args.html).parts and p.name not in skip)
    pages = [p for p in pages if not args.only or any(o in p for o in args.only)]
    if not pages:
        sys.exit(f"no built pages in {args.html}: run `make book` first")
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(args.html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": WIDTH, "height": SCREEN}, service_workers="block")
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = context.new_page()
        for path in pages:
            page.goto(f"{base}/{path}", wait_until="load", timeout=120_000)
            page.wait_for_load_state("networkidle", timeout=120_000)
            page.evaluate(WAIT_FOR_MATHJAX)
            page.evaluate(LOAD_IMAGES)
            stem = path[:-len(".html")].replace("/", "_")
            for old in args.out.glob(f"{stem}-*.png"):
                old.unlink()
            # One viewport-sized screen at a time: a full-page capture lays this theme out shifted sideways.
            height = page.evaluate("() => document.documentElement.scrollHeight")
            for n, top in enumerate(range(0, height, SCREEN), start=1):
                page.evaluate(f"() => window.scrollTo(0, {top})")
                page.wait_for_timeout(100)
                page.screenshot(path=str(args.out / f"{stem}-{n}.png"))
            print(f"{path}: {height} px, {n} screens")
        browser.close()
    httpd.shutdown()


if __name__ == "__main__":
    main()
