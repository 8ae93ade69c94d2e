#!/usr/bin/env python3
"""An editor at work, for `scripts/bench`: signs in to the desk at BASE, starts a draft, and
saves it with a changed body every INTERVAL seconds until killed, as the desk's form does
(origin header, anti-forgery token, the revision the copy started from). Prints each save's
status and time to stdout. Usage: desk_saver.py BASE EMAIL PASSWORD [INTERVAL]"""
import http.cookiejar
import re
import sys
import time
import urllib.parse
import urllib.request

base, email, password = sys.argv[1:4]
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def post(path, fields):
    req = urllib.request.Request(base + path, data=urllib.parse.urlencode(fields).encode(),
                                 headers={"Origin": base})
    try:
        with opener.open(req) as r:
            return r.status, r.headers.get("Location", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location", ""), e.read().decode()


def get(path):
    with opener.open(base + path) as r:
        return r.read().decode()


def field(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, page)
    return m.group(1) if m else ""


post("/desk/login", {"email": email, "password": password})
csrf = field(get("/desk/account"), "csrf")
status, location, _ = post("/desk/articles", {
    "csrf": csrf, "lang": "en", "topic": "security", "period": "2099-W01",
    "title": "An article being edited", "status": "unchanged",
    "body": "Sample text about the fictional Republic of Arvenia."})
path = location
n = 0
while True:
    page = get(path)
    n += 1
    t = time.time()
    status, _, _ = post(path, {
        "csrf": csrf, "base_revision": field(page, "base_revision"), "lang": "en",
        "topic": "security", "period": "2099-W01", "title": "An article being edited",
        "status": "unchanged", "action": "save",
        "body": "Sample text about the fictional Republic of Arvenia.\n\nEdit %d." % n})
    print(f"save {n}: {status} in {(time.time() - t) * 1000:.1f} ms", flush=True)
    time.sleep(interval)
