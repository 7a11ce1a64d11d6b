"""Fixtures for the portal's browser tests (run through .ci/browser/run, which starts the server).

- `world`: two resellers with brands on verified hostnames, three customers with a manager and
  staff each, seeded once through the JSON API with the platform token.
- `portal`: a headless Chromium page with no cookies, per test, that records every page it waits
  on (for the product-name test) and saves a screenshot and the page source when a test fails.
- `fetch`: plain HTTP to the server on loopback with any Host header (no redirects followed), for
  what the browser cannot show: status codes, headers, forged posts, downloads.
"""
import hashlib
import http.client
import itertools
import json
import os
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PORT = int(os.environ.get("BROWSER_PORT", "0"))
PLATFORM_TOKEN = os.environ.get("BROWSER_PLATFORM_TOKEN", "")
OUTPUT = Path(os.environ.get("BROWSER_OUTPUT", ".build/browser-output"))

PRODUCT_NAME = "switchboard"
HOST_A = "portal.brand-a.test"
HOST_B = "portal.brand-b.test"
HOST_UNKNOWN = "unknown.brand.test"
WAIT_SECONDS = 10

BRAND_A = {
    "displayName": "Brand A Telecom", "primaryColor": "#0b5fff", "accentColor": "#ff6a00",
    "supportEmail": "help@brand-a.test", "supportPhone": "+4570000000",
    "supportUrl": "https://brand-a.test/help", "defaultLanguage": "en", "hostnames": [HOST_A],
}
BRAND_B = {
    "displayName": "Brand B Mobil", "primaryColor": "#1a7f37", "accentColor": "#8250df",
    "supportEmail": "hjaelp@brand-b.test", "supportPhone": "+4571111111",
    "supportUrl": "https://brand-b.test/hjaelp", "defaultLanguage": "da", "hostnames": [HOST_B],
}
# A1's manager and B1's manager share this e-mail (logins are per reseller), not the password.
SHARED_EMAIL = "it-manager@shared-inbox.test"
DISTINCTIVE_NAME = "Zephyrine Quist-Albrechtsen"


def pytest_configure(config):
    if not PORT or not PLATFORM_TOKEN:
        raise pytest.UsageError("BROWSER_PORT and BROWSER_PLATFORM_TOKEN are not set: run these tests "
                                "through .ci/browser/run, which starts the server and sets them")


def url(host, path):
    return f"http://{host}:{PORT}{path}"


# --- HTTP on loopback -------------------------------------------------------------------------

@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: list  # [(name, value)] as sent, repeated headers kept
    body: bytes

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def __str__(self):
        return f"{self.method} {self.path} answered {self.status}: {self.text[:400]}"


def fetch(method, path, *, host=None, headers=None, body=None):
    """One request to the server on 127.0.0.1 with `Host: <host>:<port>`; redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        all_headers = {"Host": f"{host or '127.0.0.1'}:{PORT}"}
        all_headers.update(headers or {})
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return Response(method, path, response.status, response.getheaders(), response.read())
    finally:
        connection.close()


class SeedError(Exception):
    pass


def api(method, path, token, body=None, *, raw=None, content_type="application/json", headers=None,
        expect=(200, 201, 204), what=None):
    """A JSON API call; anything but an `expect`ed status raises SeedError saying what failed."""
    all_headers = {"Authorization": f"Bearer {token}"}
    if body is not None or raw is not None:
        all_headers["Content-Type"] = content_type
    all_headers.update(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    response = fetch(method, path, headers=all_headers, body=data)
    if response.status not in expect:
        hint = ""
        if response.status == 404 and ("/brand" in path or "/hostnames/" in path):
            hint = (" — this server has no brand operations (PUT /v1/brand, PUT /v1/brand/logo, POST "
                    "/v1/resellers/{id}/hostnames/{hostname}/verify): is the portal feature in this build?")
        raise SeedError(f"{what or 'API call'}: {response}{hint}")
    return response


def png(width, height, rgb):
    """A solid-colour PNG, made here so nothing is downloaded."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# --- the seeded world -------------------------------------------------------------------------

@dataclass
class Manager:
    email: str
    password: str
    full_name: str


@dataclass
class Customer:
    id: str
    name: str
    reseller: "Reseller"
    manager: Manager = None
    employees: dict = field(default_factory=dict)  # full name (as created) -> id
    seeded: list = field(default_factory=list)  # the names of the staff seeded with the world, never changed
    extensions: itertools.count = field(default_factory=lambda: itertools.count(600))


@dataclass
class Reseller:
    id: str
    key: str
    brand: dict
    host: str
    customers: list = field(default_factory=list)

    @property
    def display_name(self):
        return self.brand["displayName"]

    def employee_names(self):
        """Every name its customers' staff had when added and has now (some tests rename)."""
        names = set()
        for customer in self.customers:
            for name, employee_id in customer.employees.items():
                now = api("GET", f"/v1/employees/{employee_id}", self.key, expect=(200,),
                          what="read an employee through the API").json()["fullName"]
                names |= {name, now}
        return names


class World:
    def __init__(self):
        self.a = self._reseller("Reseller A", BRAND_A, HOST_A, logo=png(48, 48, (255, 106, 0)))  # accent colour: visible on the header
        self.b = self._reseller("Reseller B", BRAND_B, HOST_B, logo=None)
        self.a1 = self._customer(self.a, "Acme Shipping ApS",
                                 Manager(SHARED_EMAIL, "a1-manager-passphrase-01", "Anna Acme"),
                                 ["Ada Lovelace", "Grace Hopper", DISTINCTIVE_NAME, "Linus Bergström"])
        self.a2 = self._customer(self.a, "Aurora Dental ApS",
                                 Manager("boss@aurora-dental.test", "a2-manager-passphrase-02", "Aksel Aurora"),
                                 ["Marta Aurora-Secret", "Niels Bohr"])
        self.b1 = self._customer(self.b, "Bølge Bryggeri A/S",
                                 Manager(SHARED_EMAIL, "b1-manager-other-phrase-03", "Bente Bølge"),
                                 ["Bodil Bølgesen", "Karen Blixen"])

    def _reseller(self, name, brand, host, logo):
        created = api("POST", "/v1/resellers", PLATFORM_TOKEN, {"name": name}, what=f"create {name}").json()
        key = api("POST", f"/v1/resellers/{created['id']}/api-keys", PLATFORM_TOKEN, {"name": "browser-tests"},
                  what=f"issue {name}'s key").json()["secret"]
        version = api("GET", "/v1/dpa", key, what="read the DPA").json()["currentVersion"]
        api("POST", "/v1/dpa/acceptances", key, {"version": version}, what=f"{name} accepts the DPA")
        api("PUT", "/v1/brand", key, brand, what=f"PUT /v1/brand for {name}")
        if logo is not None:
            api("PUT", "/v1/brand/logo", key, raw=logo, content_type="image/png", what=f"PUT /v1/brand/logo for {name}")
        api("POST", f"/v1/resellers/{created['id']}/hostnames/{quote(host)}/verify", PLATFORM_TOKEN,
            what=f"platform verifies {host}")
        return Reseller(created["id"], key, brand, host)

    def _customer(self, reseller, name, manager, staff):
        created = api("POST", "/v1/customers", reseller.key, {"name": name}, what=f"create customer {name}").json()
        customer = Customer(created["id"], name, reseller, manager)
        reseller.customers.append(customer)
        api("POST", f"/v1/customers/{customer.id}/managers", reseller.key,
            {"email": manager.email, "password": manager.password, "fullName": manager.full_name},
            what=f"create {name}'s manager")
        for full_name in staff:
            self.new_employee(customer, full_name)
        customer.seeded = list(staff)
        return customer

    def new_employee(self, customer, full_name):
        """Adds an employee through the API and returns its id."""
        extension = str(next(customer.extensions))
        email = re.sub(r"[^a-z]+", ".", full_name.lower()).strip(".") + "@staff.test"
        created = api("POST", f"/v1/customers/{customer.id}/employees", customer.reseller.key,
                      {"fullName": full_name, "extension": extension, "email": email},
                      what=f"add employee {full_name}").json()
        customer.employees[full_name] = created["id"]
        return created["id"]

    def employee(self, customer, employee_id):
        """(JSON, ETag) of an employee as the API shows it to the reseller."""
        response = api("GET", f"/v1/employees/{employee_id}", customer.reseller.key, expect=(200,),
                       what="read the employee through the API")
        return response.json(), response.header("ETag")

    def rename_through_api(self, customer, employee_id, full_name):
        _, etag = self.employee(customer, employee_id)
        response = api("PATCH", f"/v1/employees/{employee_id}", customer.reseller.key, {"fullName": full_name},
                       headers={"If-Match": etag}, expect=(200,), what="rename the employee through the API")
        return response.header("ETag")


@pytest.fixture(scope="session")
def world():
    try:
        return World()
    except (SeedError, OSError, http.client.HTTPException, ValueError, KeyError) as error:
        pytest.exit(f"browser: seeding the test world through the API failed: {type(error).__name__}: {error}",
                    returncode=1)


# --- the browser ------------------------------------------------------------------------------

@dataclass
class SeenPage:
    test: str
    url: str
    title: str
    source: str
    cookies: list


class Portal:
    """One test's view of the browser: navigation, explicit waits, screenshots, and a record of
    every page seen (shared across the session, for the product-name test)."""

    def __init__(self, driver, seen, test_name):
        self.driver = driver
        self.seen = seen
        self.test_name = test_name

    # navigation and waiting
    def open(self, host, path):
        self.driver.get(url(host, path))
        self.record()

    def until(self, condition, what):
        try:
            # Any driver error while polling (an element or document replaced mid-call) is retried.
            result = WebDriverWait(self.driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(condition)
        except TimeoutException:
            raise AssertionError(f"waited {WAIT_SECONDS} s for {what}; the browser is at "
                                 f"{self.driver.current_url} titled {self.driver.title!r}") from None
        self.record()
        return result

    def visible(self, element_id):
        return self.until(EC.visibility_of_element_located((By.ID, element_id)), f"#{element_id} to be visible")

    def at(self, path):
        self.until(lambda d: urlparse(d.current_url).path == path, f"the browser to be at {path}")

    def click_and_wait(self, element_id):
        """Clicks a button and waits until the browser has left the page it was on."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.find(element_id).click()
        self.until(lambda d: EC.staleness_of(page)(d) and d.execute_script("return document.readyState") == "complete",
                   f"a new page after clicking #{element_id}")

    @property
    def path(self):
        return urlparse(self.driver.current_url).path

    # reading the page
    def find(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def has(self, element_id):
        return bool(self.driver.find_elements(By.ID, element_id))

    def text(self, element_id):
        return self.find(element_id).text.strip()

    def body_text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def form_input(self, form_id, name):
        return self.find(form_id).find_element(By.NAME, name)

    def form_values(self, form_id):
        return {i.get_attribute("name"): i.get_attribute("value") or ""
                for i in self.find(form_id).find_elements(By.CSS_SELECTOR, "input[name]")}

    def staff_links(self):
        """{employee id: link text} of the rows in #staff."""
        links = {}
        for link in self.find("staff").find_elements(By.TAG_NAME, "a"):
            match = re.fullmatch(r"/portal/employees/([^/?#]+)", urlparse(link.get_attribute("href") or "").path)
            if match:
                links[match.group(1)] = link.text.strip()
        return links

    def cookie_header(self):
        """The current host's cookies as a Cookie header, for requests outside the browser."""
        return "; ".join(f"{c['name']}={c['value']}" for c in self.driver.get_cookies())

    # signing in
    def fill_sign_in(self, manager):
        self.visible("sign-in-form")
        for field_id, value in (("email", manager.email), ("password", manager.password)):
            self.find(field_id).clear()  # a refused sign-in comes back with the e-mail filled in
            self.find(field_id).send_keys(value)
        self.click_and_wait("sign-in")

    def sign_in(self, host, manager):
        self.open(host, "/portal/sign-in")
        self.fill_sign_in(manager)
        self.at("/portal/employees")
        self.visible("brand-name")

    # records and pictures
    def record(self):
        try:
            page = SeenPage(self.test_name, self.driver.current_url, self.driver.title, self.driver.page_source,
                            self.driver.get_cookies())
        except Exception:  # a page mid-navigation; the next wait records it
            return
        digest = hashlib.sha256(f"{page.url}\0{page.source}".encode()).hexdigest()
        if digest in self.seen["digests"]:
            return
        self.seen["digests"].add(digest)
        self.seen["pages"].append(page)
        pages = OUTPUT / "pages"
        pages.mkdir(parents=True, exist_ok=True)
        (pages / f"{len(self.seen['pages']):03d}-{self.test_name}.html").write_text(
            f"<!-- {page.url} -->\n{page.source}", encoding="utf-8")

    def screenshot(self, name):
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(OUTPUT / f"{name}.png"))
        (OUTPUT / f"{name}.html").write_text(self.driver.page_source, encoding="utf-8")


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    rules = ", ".join(f"MAP {host} 127.0.0.1" for host in (HOST_A, HOST_B, HOST_UNKNOWN))
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     f"--host-resolver-rules={rules}", "--disable-features=HttpsUpgrades",
                     "--password-store=basic", "--no-first-run", "--disable-background-networking"):
        options.add_argument(argument)
    # A browser asking for French, which no brand offers, so each brand's default language shows
    # whether or not the portal also honours Accept-Language.
    options.add_argument("--lang=fr-FR")
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr",
                                              "credentials_enable_service": False,
                                              "profile.password_manager_enabled": False})
    # The driver's path given explicitly: selenium-manager must not try to download one.
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def driver():
    browser = chromium()
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def seen():
    return {"pages": [], "digests": set()}


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def portal(request, driver, seen):
    """A fresh page: every host's cookies removed, so each test signs in on its own."""
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get("about:blank")
    view = Portal(driver, seen, request.node.name)
    yield view
    view.record()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        view.screenshot(f"failure-{request.node.name}")


def product_name_hits(where, text):
    """Each place `text` names the product, with some context."""
    return [f"{where}: …{text[max(0, m.start() - 60):m.end() + 60]!r}…"
            for m in re.finditer(PRODUCT_NAME, text or "", re.IGNORECASE)]
