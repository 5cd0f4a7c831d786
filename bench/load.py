"""Load test against a running `make serve` (it starts nothing itself).

N concurrent clients (default 50) for D seconds (default 60) over the mix that real users make:
municipalities' API lists and details (token), portal pages (a municipality's session), a report page
(an auditor's session), the admin's applications list (an officer's session) and /healthz. Prints
requests/s, the error count (5xx and connection failures or timeouts; throttled 429s counted apart;
any other unexpected status too) and p50/p95/p99 latency, overall and per kind of request.

The demo accounts must exist in the served database, and staff must be able to sign in with a
password alone for the run. One way (see README, "Load"):

    DEBUG=1 DATABASE_URL=... .venv/bin/python manage.py load_demo     # accounts need DEBUG to be made
    API_THROTTLE_USER=100000/min MFA_REQUIRED=0 DATABASE_URL=... REDIS_URL=... SECRET_KEY=... HTTPS=0 \\
        PORT=8101 make serve
    .venv/bin/python bench/load.py --url http://127.0.0.1:8101

The API's per-user throttle (1,200/min by default) would otherwise turn most of two accounts' traffic
into 429s: raise it for the run as above, or read the 429 count as the throttle working.
Exit status 1 when there was any error.
"""

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import time
from collections import defaultdict

import aiohttp

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class SetupError(Exception):
    pass


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


async def token_for(http, base, username, password):
    async with http.post(
        f"{base}/api/v1/auth/token/", data={"username": username, "password": password}
    ) as r:
        if r.status != 200:
            raise SetupError(f"no API token for {username}: HTTP {r.status} {(await r.text())[:200]}")
        return (await r.json())["token"]


async def session_for(base, username, password, probe):
    """Signs in through the login form; returns the Cookie header of the session. `probe` is a page
    the account must then reach without being sent elsewhere (a second factor page, the login)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/accounts/login/") as r:
            match = CSRF_INPUT.search(await r.text())
        if not match:
            raise SetupError("no CSRF token on /accounts/login/")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)}
        headers = {"Referer": f"{base}/accounts/login/"}
        async with http.post(
            f"{base}/accounts/login/", data=form, headers=headers, allow_redirects=False
        ) as r:
            if r.status != 302:
                raise SetupError(f"{username} could not sign in (HTTP {r.status}); is the demo loaded?")
        cookies = {c.key: c.value for c in jar}
        if "sessionid" not in cookies:
            raise SetupError(
                f"no session cookie for {username}: with HTTPS on, cookies are Secure; serve with HTTPS=0 "
                "behind no proxy for this benchmark, or point --url at the https address"
            )
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        async with http.get(f"{base}{probe}", headers={"Cookie": cookie}, allow_redirects=False) as r:
            if r.status != 200:
                raise SetupError(
                    f"{username} signed in but {probe} answered HTTP {r.status} "
                    f"(to {r.headers.get('Location', '-')}): staff need MFA_REQUIRED=0 for this run"
                )
        return cookie


async def prepare(base, password):
    """Tokens, sessions and the ids the mix reads: set up before the clock starts."""
    async with aiohttp.ClientSession() as http:
        tokens = {name: await token_for(http, base, name, password) for name in ("kalamata", "pyli")}
        own, municipalities = {}, {}
        for name, token in tokens.items():
            headers = {"Authorization": f"Token {token}"}
            async with http.get(f"{base}/api/v1/applications/", headers=headers) as r:
                results = (await r.json())["results"]
            if not results:
                raise SetupError(f"{name} has no application: load the demo data first")
            own[name] = [a["id"] for a in results]
            # A municipality sees its own municipality only (another's answers 404).
            async with http.get(f"{base}/api/v1/municipalities/", headers=headers) as r:
                municipalities[name] = [m["id"] for m in (await r.json())["results"]]
        async with http.get(f"{base}/api/v1/catalogue/", headers=headers) as r:
            catalogue = [p["id"] for p in (await r.json())["results"]]
    sessions = {
        "kalamata": await session_for(base, "kalamata", password, "/portal/"),
        "auditor": await session_for(base, "auditor", password, "/reports/"),
        "officer": await session_for(base, "officer", password, "/admin/grants/application/"),
    }
    return tokens, own, municipalities, catalogue, sessions


def build_mix(tokens, own, municipalities, catalogue, sessions):
    """(kind, weight, function returning (path, headers)) for each kind of request."""

    def api(name):
        return {"Authorization": f"Token {tokens[name]}", "Accept": "application/json"}

    def cookie(name):
        return {"Cookie": sessions[name]}

    def any_municipality():
        return random.choice(("kalamata", "pyli"))

    def api_application():
        name = any_municipality()
        return f"/api/v1/applications/{random.choice(own[name])}/", api(name)

    def api_municipality():
        name = any_municipality()
        return f"/api/v1/municipalities/{random.choice(municipalities[name])}/", api(name)

    portal_application = own["kalamata"][0]
    return [
        ("api applications list", 12, lambda: ("/api/v1/applications/", api(any_municipality()))),
        ("api application detail", 12, api_application),
        ("api municipalities list", 8, lambda: ("/api/v1/municipalities/", api(any_municipality()))),
        ("api municipality detail", 8, api_municipality),
        ("api catalogue detail", 6, lambda: (f"/api/v1/catalogue/{random.choice(catalogue)}/", api("pyli"))),
        ("portal home", 10, lambda: ("/portal/", cookie("kalamata"))),
        (
            "portal application",
            10,
            lambda: (f"/portal/applications/{portal_application}/", cookie("kalamata")),
        ),
        ("report page", 6, lambda: ("/reports/operations/", cookie("auditor"))),
        ("admin applications", 6, lambda: ("/admin/grants/application/", cookie("officer"))),
        ("healthz", 22, lambda: ("/healthz", {})),
    ]


async def client(base, mix, deadline, results, timeout):
    kinds = [m[0] for m in mix]
    weights = [m[1] for m in mix]
    builders = dict((m[0], m[2]) for m in mix)
    # One connection per client, like a browser tab or a script; reused when the server keeps it.
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        while time.monotonic() < deadline:
            kind = random.choices(kinds, weights)[0]
            path, headers = builders[kind]()
            started = time.perf_counter()
            try:
                async with http.get(f"{base}{path}", headers=headers, allow_redirects=False) as r:
                    await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError, OSError):
                status = 0  # connection refused, reset or timed out
            results.append((kind, status, time.perf_counter() - started))


def report(results, elapsed, clients):
    by_kind = defaultdict(list)
    for kind, status, seconds in results:
        by_kind[kind].append((status, seconds))
    errors = sum(1 for _, s, _ in results if s == 0 or s >= 500)
    throttled = sum(1 for _, s, _ in results if s == 429)
    unexpected = sum(1 for _, s, _ in results if s and s < 500 and s not in (200, 429))
    latencies = sorted(seconds for _, _, seconds in results)

    def ms(value):
        return f"{value * 1000:8.0f}"

    rate = len(results) / elapsed
    print(f"{clients} clients, {elapsed:.1f} s, {len(results)} requests: {rate:.1f} requests/s")
    print(
        f"errors (5xx + connection failures): {errors}   throttled (429): {throttled}   other: {unexpected}"
    )
    p50, p95, p99 = (ms(percentile(latencies, f)).strip() for f in (0.50, 0.95, 0.99))
    print(f"latency ms  p50 {p50}  p95 {p95}  p99 {p99}  mean {ms(statistics.fmean(latencies)).strip()}")
    print()
    print(f"{'kind':26} {'count':>6} {'errors':>6} {'429':>5} {'p50':>8} {'p95':>8} {'p99':>8}")
    for kind in sorted(by_kind):
        rows = by_kind[kind]
        times = sorted(seconds for _, seconds in rows)
        kind_errors = sum(1 for s, _ in rows if s == 0 or s >= 500)
        kind_429 = sum(1 for s, _ in rows if s == 429)
        print(
            f"{kind:26} {len(rows):6} {kind_errors:6} {kind_429:5} {ms(percentile(times, 0.5))}"
            f" {ms(percentile(times, 0.95))} {ms(percentile(times, 0.99))}"
        )
    statuses = defaultdict(int)
    for _, status, _ in results:
        statuses[status] += 1
    print("\nstatuses:", ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(statuses.items())))
    return errors


async def main(args):
    base = args.url.rstrip("/")
    try:
        prepared = await prepare(base, args.password)
    except (SetupError, aiohttp.ClientError, OSError) as exc:
        sys.exit(f"setup failed: {exc}")
    mix = build_mix(*prepared)
    results = []
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    started = time.monotonic()
    deadline = started + args.duration
    await asyncio.gather(*(client(base, mix, deadline, results, timeout) for _ in range(args.clients)))
    elapsed = time.monotonic() - started
    return report(results, elapsed, args.clients)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("LOAD_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per request before it counts as failed"
    )
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "demo-smartcities"))
    parser.add_argument("--seed", type=int, default=12)
    arguments = parser.parse_args()
    random.seed(arguments.seed)
    sys.exit(1 if asyncio.run(main(arguments)) else 0)
