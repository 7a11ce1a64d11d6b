"""The branded manager portal as a telecom manager uses it, in headless Chromium.

Each test signs in on its own (the `portal` fixture starts without cookies) and checks what the
manager sees; the API (reseller key) is the witness for what was stored. The product-name test
runs last so that it also checks every page the earlier tests saw.
"""
import uuid
from urllib.parse import parse_qs, urlencode, urlparse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import (DISTINCTIVE_NAME, HOST_A, HOST_B, HOST_UNKNOWN, PORT, PRODUCT_NAME, Manager, fetch,
                      product_name_hits)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def signed_in_headers(portal, host):
    """What the browser would send with a form post from `host`: its cookies and its origin."""
    return {"Cookie": portal.cookie_header(), "Origin": f"http://{host}:{PORT}", **FORM}


def test_sign_in_on_brand_a_host(portal, world):
    portal.open(HOST_A, "/portal/")
    portal.at("/portal/sign-in")  # signed out: / sends you to sign in
    portal.visible("sign-in-form")
    portal.screenshot("sign-in")

    portal.fill_sign_in(world.a1.manager)
    portal.at("/portal/employees")
    portal.visible("staff")
    assert portal.text("brand-name") == "Brand A Telecom"
    shown = set(portal.staff_links().values())
    assert set(world.a1.seeded) - shown == set(), f"the staff list shows {sorted(shown)}"
    logo = portal.find("brand-logo")
    portal.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", logo),
                 "the brand logo to load")
    portal.screenshot("staff-list")


def test_search_finds_an_employee(portal, world):
    portal.sign_in(HOST_A, world.a1.manager)
    search = portal.visible("q")
    search.clear()
    search.send_keys("Quist")
    portal.click_and_wait("search")
    portal.until(lambda d: urlparse(d.current_url).path == "/portal/employees"
                 and parse_qs(urlparse(d.current_url).query).get("q") == ["Quist"], "the search results")
    portal.visible("staff")

    assert portal.staff_links() == {world.a1.employees[DISTINCTIVE_NAME]: DISTINCTIVE_NAME}
    others = set(world.a1.employees) - {DISTINCTIVE_NAME}
    assert [name for name in others if name in portal.find("staff").text] == []


def test_rename_an_employee(portal, world):
    employee_id = world.new_employee(world.a1, "Rename Target")
    portal.sign_in(HOST_A, world.a1.manager)
    portal.open(HOST_A, f"/portal/employees/{employee_id}")
    assert portal.visible("employee-name").text.strip() == "Rename Target"

    name = portal.form_input("employee-form", "fullName")
    name.clear()
    name.send_keys("Renamed Through Portal")
    portal.click_and_wait("save")
    portal.visible("notice")
    assert portal.path == f"/portal/employees/{employee_id}"
    assert portal.text("employee-name") == "Renamed Through Portal"
    portal.screenshot("employee")

    stored, _ = world.employee(world.a1, employee_id)
    assert stored["fullName"] == "Renamed Through Portal"


def test_stale_edit_shows_a_conflict(portal, world):
    employee_id = world.new_employee(world.a1, "Conflict Target")
    portal.sign_in(HOST_A, world.a1.manager)
    portal.open(HOST_A, f"/portal/employees/{employee_id}")
    portal.visible("employee-form")

    api_etag = world.rename_through_api(world.a1, employee_id, "Changed Through API")

    name = portal.form_input("employee-form", "fullName")
    name.clear()
    name.send_keys("Changed In Browser")
    portal.click_and_wait("save")
    conflict = portal.visible("conflict")
    assert conflict.get_attribute("role") == "alert"
    assert conflict.text.strip(), "the conflict message is empty"
    assert not portal.has("notice")

    stored, etag = world.employee(world.a1, employee_id)
    assert stored["fullName"] == "Changed Through API"
    assert etag == api_etag, "the employee changed again after the API's change"


def test_post_without_csrf_token_is_refused(portal, world):
    employee_id = world.new_employee(world.a1, "Csrf Target")
    path = f"/portal/employees/{employee_id}"
    portal.sign_in(HOST_A, world.a1.manager)
    portal.open(HOST_A, path)
    portal.visible("employee-form")
    fields = portal.form_values("employee-form")
    token = fields.pop("csrf", "")
    assert token, "the employee form has no csrf field"
    headers = signed_in_headers(portal, HOST_A)
    altered = token[:-1] + ("A" if token[-1:] != "A" else "B")

    for label, extra in [("no csrf field", {}), ("a wrong csrf token", {"csrf": "not-the-token"}),
                         ("an altered csrf token", {"csrf": altered}), ("an empty csrf token", {"csrf": ""})]:
        forged = fetch("POST", path, host=HOST_A, headers=headers,
                       body=urlencode({**fields, "fullName": "Forged Name", **extra}))
        assert forged.status == 403, f"with {label}: {forged}"
        stored, _ = world.employee(world.a1, employee_id)
        assert stored["fullName"] == "Csrf Target", f"with {label} the post changed the employee"

    # The same post with the page's token is accepted: the refusals above were the token's doing.
    genuine = fetch("POST", path, host=HOST_A, headers=headers,
                    body=urlencode({**fields, "fullName": "Saved With Token", "csrf": token}))
    assert genuine.status == 303, f"with the page's own token: {genuine}"
    stored, _ = world.employee(world.a1, employee_id)
    assert stored["fullName"] == "Saved With Token"


def test_manager_cannot_open_another_customers_employee(portal, world):
    foreign_name = "Marta Aurora-Secret"
    foreign_id = world.a2.employees[foreign_name]
    portal.sign_in(HOST_A, world.a1.manager)

    portal.open(HOST_A, f"/portal/employees/{foreign_id}")
    seen = portal.driver.title + "\n" + portal.body_text()
    assert "404" in seen or "not found" in seen.lower() or "ikke fundet" in seen.lower(), seen
    source = portal.driver.page_source
    for secret in (foreign_name, world.a2.name, world.a2.manager.email):
        assert secret.lower() not in source.lower(), f"the 404 page shows {secret!r}"
    assert not portal.has("employee-form") and not portal.has("employee-name")
    foreign_title = portal.driver.title

    portal.open(HOST_A, f"/portal/employees/{uuid.uuid4()}")
    assert portal.driver.title == foreign_title, "another customer's employee and no employee look different"

    answer = fetch("GET", f"/portal/employees/{foreign_id}", host=HOST_A,
                   headers={"Cookie": portal.cookie_header()})
    assert answer.status == 404, str(answer)
    assert foreign_name not in answer.text and world.a2.name not in answer.text


def test_brand_b_host_shows_brand_b_and_refuses_brand_a_manager(portal, world):
    portal.open(HOST_B, "/portal/sign-in")
    assert portal.visible("brand-name").text.strip() == "Brand B Mobil"
    assert "Brand A Telecom" not in portal.driver.page_source

    portal.fill_sign_in(world.a1.manager)  # A1's e-mail and password; B1's manager has that e-mail
    refused = portal.visible("form-error")
    assert refused.get_attribute("role") == "alert"
    assert portal.path == "/portal/sign-in"
    assert portal.has("sign-in-form") and not portal.has("staff")
    wrong_manager_message = refused.text.strip()

    # Exactly what an unknown e-mail gets: nothing tells that the e-mail exists at brand A.
    portal.fill_sign_in(Manager("nobody-at-all@brand-b.test", "no-such-password-000", "Nobody"))
    assert portal.visible("form-error").text.strip() == wrong_manager_message
    assert not portal.has("staff")


def test_brand_b_manager_with_shared_email_sees_only_b1_staff(portal, world):
    portal.sign_in(HOST_B, world.b1.manager)
    portal.visible("staff")
    assert portal.text("brand-name") == "Brand B Mobil"
    assert portal.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    shown = set(portal.staff_links().values())
    assert set(world.b1.seeded) <= shown, f"the staff list shows {sorted(shown)}"
    source = portal.driver.page_source
    assert [name for name in world.a.employee_names() if name in source] == []
    assert "Brand A Telecom" not in source


def test_unknown_host_shows_a_neutral_page(portal, world):
    for path in ("/portal/sign-in", "/portal/"):
        portal.open(HOST_UNKNOWN, path)
        source = portal.driver.page_source
        visible = portal.driver.title + "\n" + portal.body_text()
        for brand in (world.a.brand, world.b.brand):
            for value in (brand["displayName"], brand["supportEmail"], brand["supportPhone"], brand["supportUrl"]):
                assert value not in source, f"{path} on an unknown host shows {value!r}"
        assert product_name_hits(path, source + visible) == []
        assert not portal.has("sign-in-form")
        assert portal.driver.find_elements(By.CSS_SELECTOR, "input[type=password]") == []

    answer = fetch("GET", "/portal/sign-in", host="nowhere.test")
    for brand in (world.a.brand, world.b.brand):
        assert brand["displayName"] not in answer.text
    assert 'id="sign-in-form"' not in answer.text and "type=\"password\"" not in answer.text


def test_keyboard_only_sign_in(portal, world):
    manager = world.a1.manager
    portal.open(HOST_A, "/portal/sign-in")
    portal.visible("sign-in-form")

    def focused():
        return portal.driver.switch_to.active_element.get_attribute("id")

    for _ in range(25):
        if focused() == "email":
            break
        ActionChains(portal.driver).send_keys(Keys.TAB).perform()
    else:
        raise AssertionError(f"25 TABs from the top never reached the e-mail field (last focus: {focused()!r})")
    ActionChains(portal.driver).send_keys(manager.email).send_keys(Keys.TAB).perform()
    assert focused() == "password", "TAB from the e-mail field does not reach the password field"
    ActionChains(portal.driver).send_keys(manager.password).send_keys(Keys.ENTER).perform()

    portal.at("/portal/employees")
    assert portal.visible("brand-name").text.strip() == "Brand A Telecom"
    assert portal.has("staff")


def test_session_cookie_is_httponly_and_strict(portal, world):
    portal.open(HOST_A, "/portal/sign-in")
    portal.visible("sign-in-form")
    before = {c["name"]: c["value"] for c in portal.driver.get_cookies()}
    portal.fill_sign_in(world.a1.manager)
    portal.at("/portal/employees")
    cookies = portal.driver.get_cookies()

    session = [c for c in cookies if before.get(c["name"]) != c["value"]]
    assert session, f"signing in set no cookie (cookies: {[c['name'] for c in cookies]})"
    for cookie in session:
        assert cookie.get("httpOnly") is True, f"{cookie['name']} is not HttpOnly"
        assert cookie.get("sameSite") == "Strict", f"{cookie['name']} is SameSite={cookie.get('sameSite')}"
    for cookie in cookies:
        assert PRODUCT_NAME not in cookie["name"].lower(), f"cookie {cookie['name']} names the product"

    # They are the session: without them the portal asks to sign in again.
    for cookie in session:
        portal.driver.delete_cookie(cookie["name"])
    portal.open(HOST_A, "/portal/employees")
    portal.at("/portal/sign-in")


def test_product_name_never_shown(portal, world, seen):
    """Runs last: checks the pages of this test and of every earlier one, and raw HTTP answers."""
    employee_id = world.a1.employees["Ada Lovelace"]
    unknown_id = str(uuid.uuid4())

    portal.open(HOST_A, "/portal/sign-in")
    portal.fill_sign_in(Manager(world.a1.manager.email, "wrong-password-for-sure", ""))
    portal.visible("form-error")
    portal.sign_in(HOST_A, world.a1.manager)
    portal.visible("staff")
    portal.open(HOST_A, f"/portal/employees/{employee_id}")
    portal.visible("employee-form")
    portal.open(HOST_A, "/portal/usage")
    portal.visible("usage")
    portal.open(HOST_A, f"/portal/employees/{unknown_id}")
    portal.open(HOST_A, "/portal/no-such-page")
    cookie = portal.cookie_header()
    page_csrf_missing = fetch("POST", f"/portal/employees/{employee_id}", host=HOST_A,
                              headers={"Cookie": cookie, "Origin": f"http://{HOST_A}:{PORT}", **FORM},
                              body=urlencode({"fullName": "Ada Lovelace"}))
    portal.open(HOST_B, "/portal/sign-in")
    portal.visible("sign-in-form")
    portal.open(HOST_UNKNOWN, "/portal/sign-in")

    signed_in = {"Cookie": cookie}
    answers = [
        (fetch("GET", "/portal/", host=HOST_A), None),
        (fetch("GET", "/portal/sign-in", host=HOST_A), 200),
        (fetch("GET", "/portal/sign-in", host=HOST_B), 200),
        (fetch("GET", "/portal/employees", host=HOST_A, headers=signed_in), 200),
        (fetch("GET", "/portal/employees?q=Ada", host=HOST_A, headers=signed_in), 200),
        (fetch("GET", f"/portal/employees/{employee_id}", host=HOST_A, headers=signed_in), 200),
        (fetch("GET", "/portal/usage", host=HOST_A, headers=signed_in), 200),
        (fetch("GET", f"/portal/employees/{unknown_id}", host=HOST_A, headers=signed_in), 404),
        (fetch("GET", f"/portal/employees/{world.a2.employees['Niels Bohr']}", host=HOST_A, headers=signed_in), 404),
        (page_csrf_missing, 403),
        (fetch("GET", "/portal/sign-in", host="nowhere.test"), None),
        (fetch("GET", "/portal/", host="nowhere.test"), None),
        (fetch("GET", f"/portal/employees/{employee_id}/export", host=HOST_A, headers=signed_in), 200),
    ]

    hits = []
    for answer, expected in answers:
        where = f"{answer.method} {answer.path} ({answer.status})"
        assert expected is None or answer.status == expected, f"{where}: expected {expected}: {answer}"
        hits += product_name_hits(f"{where} body", answer.text)
        for name, value in answer.headers:
            hits += product_name_hits(f"{where} header", f"{name}: {value}")
    export = answers[-1][0]
    assert export.body, "the export download is empty"

    assert len(seen["pages"]) >= 8
    for page in seen["pages"]:
        where = f"page {page.url} (seen by {page.test})"
        hits += product_name_hits(f"{where} title", page.title)
        hits += product_name_hits(f"{where} source", page.source)
        for c in page.cookies:
            hits += product_name_hits(f"{where} cookie", f"{c['name']}={c['value']}")
    assert hits == [], "the product's name is shown:\n" + "\n".join(hits)
