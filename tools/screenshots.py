"""Screenshots of the demo for the README, through headless Chromium's DevTools protocol.

Usage (an Odoo with the demo database serving on --url, see `make screenshots`):
    python tools/screenshots.py --url http://127.0.0.1:8070 --db account_collections_demo \
        --collection-page /collections/<customer>/<day>/<signature>
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import requests
import websocket

ACTION = "/odoo/action-account_collections."
LETTER = "/report/html/account_collections.report_collection_letter_partner/{tisza}"
COLLECTION_PAGE = "{collection_page}"
PAGES = [
    # (file, login, path, width): what the README shows; no login: a public page, no session
    ("worklist.png", "anna@collections.example.com", ACTION + "account_collection_worklist_action", 1400),
    ("manager_activities.png", "admin", ACTION + "mail_activity_action_collections", 1400),
    ("debtors.png", "admin", ACTION + "res_partner_action_collections", 1400),
    ("figures.png", "admin", ACTION + "account_collection_kpi_action", 1400),
    ("collector_figures.png", "admin", ACTION + "account_collection_collector_kpi_action", 1400),
    ("letter.png", "admin", LETTER, 1400),
    # The customer's page from a reminder's link (signed by tools/screenshots.sh), the whole page.
    ("collection_page.png", None, COLLECTION_PAGE, 1280),
]


def partner_id(url, cookie, name):
    response = requests.post(
        f"{url}/web/dataset/call_kw",
        json={
            "jsonrpc": "2.0",
            "params": {
                "model": "res.partner",
                "method": "search",
                "args": [[["name", "=", name]]],
                "kwargs": {"limit": 1},
            },
        },
        cookies={"session_id": cookie},
        timeout=60,
    )
    return response.json()["result"][0]


def session_for(url, db, login, password):
    response = requests.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
        timeout=60,
    )
    response.raise_for_status()
    if response.json().get("error"):
        raise SystemExit(f"cannot log in as {login}: {response.json()['error']}")
    return response.cookies["session_id"]


class Chrome:
    def __init__(self, port=9333):
        binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))))
        self.profile = tempfile.mkdtemp()
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                f"--remote-debugging-port={port}",
                "--remote-allow-origins=*",
                f"--user-data-dir={self.profile}",
                "--window-size=1400,860",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
                page = next(t for t in targets if t["type"] == "page")
                break
            except (OSError, StopIteration):
                time.sleep(0.2)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def viewport(self, width, height):
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", **metrics)

    def evaluate(self, expression):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def close(self):
        self.process.terminate()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8070")
    parser.add_argument("--db", default="account_collections_demo")
    parser.add_argument(
        "--collection-page", required=True, help="a customer's signed collection page path: /collections/..."
    )
    parser.add_argument("--out", default=str(Path(__file__).parent.parent / "static/description/screenshots"))
    args = parser.parse_args()
    if not args.collection_page.startswith("/collections/"):
        raise SystemExit(f"not a collection page path: {args.collection_page!r}")
    chrome = Chrome()
    try:
        chrome.call("Page.enable")
        for name, login, path, width in PAGES:
            chrome.viewport(width, 860)
            if login is None:
                chrome.call("Network.clearBrowserCookies")
            else:
                password = "admin" if login == "admin" else login.split("@")[0]
                cookie = session_for(args.url, args.db, login, password)
                chrome.call("Network.setCookie", name="session_id", value=cookie, url=args.url)
            if "{tisza}" in path:
                path = path.format(tisza=partner_id(args.url, cookie, "Tisza Wines"))
            if path == COLLECTION_PAGE:
                path = args.collection_page
            chrome.call("Page.navigate", url=args.url + path)
            # The web client has rendered its view when a list, pivot or graph is on screen
            # (a report: its article; the collection page: its statement).
            for _ in range(100):
                time.sleep(0.3)
                if chrome.evaluate(
                    "!!document.querySelector("
                    "'.o_list_renderer, .o_pivot, .o_graph_renderer, .article, .o_collection_portal')"
                    " && !document.querySelector('.o_loading_indicator')"
                ):
                    break
            time.sleep(1.5)
            if path == args.collection_page:
                if not chrome.evaluate("!!document.querySelector('.o_collection_section')"):
                    raise SystemExit(f"the collection page shows no statement: {args.url}{path}")
                # The whole page: the statement, the promise and dispute forms, the history.
                chrome.viewport(width, chrome.evaluate("document.documentElement.scrollHeight"))
                time.sleep(0.5)
            shot = chrome.call("Page.captureScreenshot", format="png")
            Path(args.out, name).write_bytes(base64.b64decode(shot["data"]))
            print(f"wrote {name}")
    finally:
        chrome.close()


if __name__ == "__main__":
    main()
