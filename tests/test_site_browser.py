"""The built site in a real browser (Debian's Chromium through Playwright): search finds
and opens a power, facets narrow results, pages work by keyboard and on a 375 px phone."""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.search_terms import fnv1a, text_terms

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path):
    """A built site served on 127.0.0.1 (a free port) by a plain static server."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def base_url(small_registry: Path, tmp_path_factory):
    """The small registry's site, served for the module."""
    site = tmp_path_factory.mktemp("browser-site") / "_site"
    build(small_registry, site)
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors


def results_count(page) -> int:
    page.wait_for_function("/[0-9,]+ 项结果|没有找到/.test(document.querySelector('#status').textContent)")
    text = page.inner_text("#status")
    if "没有找到" in text:
        return 0
    return int(text.split(" 项结果")[0].split("找到 ")[1].replace(",", ""))


def test_search_for_road_transport_then_open_a_result(page, base_url) -> None:
    page.goto(f"{base_url}/search/")
    page.fill("#q", "道路运输")
    assert results_count(page) > 0
    first = page.locator("#results li a.result-title[href^='/powers/']").first
    title = first.inner_text()
    assert "道路" in title or "运输" in title
    with page.expect_navigation():
        first.click()
    assert "/powers/" in page.url
    assert page.locator("h1").inner_text() == title
    assert page.locator("#citations-h").is_visible()


def test_a_code_finds_its_power(page, base_url, small_registry) -> None:
    code = sorted(p.stem for p in (small_registry / "data" / "powers" / "jiaotong").glob("*.ttl"))[5]
    page.goto(f"{base_url}/search/?q={code}")
    assert results_count(page) == 1
    assert code in page.inner_text("#results")


def test_a_facet_narrows_the_results(page, base_url) -> None:
    page.goto(f"{base_url}/search/?q=许可")
    total = results_count(page)
    assert total > 1
    boxes = page.locator("fieldset[data-facet='department'] input[type=checkbox]")
    assert boxes.count() >= 2
    label = page.locator("fieldset[data-facet='department'] label").first.inner_text()
    department = label.rsplit("\n", 1)[0].strip() if "\n" in label else label.split(" ")[0]
    boxes.first.check()
    page.wait_for_function(f"!document.querySelector('#status').textContent.includes('{total:,} 项')")
    narrowed = results_count(page)
    assert 0 < narrowed < total
    assert "department=" in page.url
    for info in page.locator("#results li p.muted").all_inner_texts()[:10]:
        assert department.split()[0] in info


def test_matches_are_highlighted(page, base_url) -> None:
    page.goto(f"{base_url}/search/?q=道路运输")
    results_count(page)
    page.wait_for_selector("#results li mark")
    assert page.locator("#results li mark").count() > 0


def test_keyboard_users_can_skip_to_content(page, base_url) -> None:
    page.goto(f"{base_url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#main'")


def test_power_page_fits_a_375px_phone(browser, base_url, small_registry, tmp_path) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=1)
    pg = context.new_page()
    try:
        code = sorted(p.stem for p in (small_registry / "data" / "powers" / "jiaotong").glob("*.ttl"))[20]
        for url in (f"/powers/{code}/", "/", "/search/?q=道路运输", "/departments/jiaotong/"):
            pg.goto(base_url + url)
            pg.wait_for_load_state("networkidle")
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{url} is {width}px wide"
        pg.goto(f"{base_url}/powers/{code}/")
        pg.screenshot(path=str(tmp_path / "power-375.png"), full_page=True)
        assert (tmp_path / "power-375.png").stat().st_size > 10_000
    finally:
        context.close()


def test_pages_work_without_javascript(browser, base_url) -> None:
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(f"{base_url}/")
        assert pg.locator("svg[role=img]").count() >= 2
        with pg.expect_navigation():
            pg.click("text=按部门浏览")
        assert pg.url.endswith("/departments/")
        with pg.expect_navigation():
            pg.locator("table a").first.click()
        with pg.expect_navigation():
            pg.locator("table.powers a").first.click()
        assert "/powers/" in pg.url and pg.locator("h1").is_visible()
    finally:
        context.close()


SAMPLES = ["道路旅客运输经营许可", "对未经许可擅自从事机动车驾驶员培训业务的处罚",
           "３３０１１８００１０００ ＧＢ／Ｔ 39046—2020", "危险化学品 安全生产", "税", "A-1 b_2 Ｃ３"]


def test_the_browser_cuts_text_as_the_index_does(page, base_url) -> None:
    page.goto(f"{base_url}/search/")
    got = page.evaluate("""async (samples) => {
        const e = await import("/static/search-engine.js");
        return samples.map((s) => [e.textTerms(s, {unigrams: true, prefixes: true}),
                                   e.textTerms(s).map(e.fnv1a)]);
    }""", SAMPLES)
    for sample, (terms, hashes) in zip(SAMPLES, got, strict=True):
        assert terms == text_terms(sample, unigrams=True, prefixes=True), sample
        assert hashes == [fnv1a(t) for t in text_terms(sample)], sample


def test_a_two_word_query_also_finds_the_words_apart(page, base_url) -> None:
    # no name holds 驾驶培训 as written (its bigram 驶培 is nowhere); 驾驶 … 培训 apart, yes
    page.goto(f"{base_url}/search/?q=驾驶培训")
    assert results_count(page) >= 1
    titles = page.locator("#results a.result-title").all_inner_texts()
    assert "机动车驾驶员培训许可" in titles
    assert page.locator("#results li mark").count() > 0


def test_a_query_of_punctuation_alone_finds_nothing(page, base_url) -> None:
    page.goto(f"{base_url}/search/?q=！？…")
    assert results_count(page) == 0


def test_a_one_character_query_finds_names_holding_it(page, base_url) -> None:
    page.goto(f"{base_url}/search/?q=费")
    assert results_count(page) >= 1
    assert all("费" in t for t in page.locator("#results a.result-title").all_inner_texts())


def test_search_results_show_record_text_as_text(page, registry_copy, tmp_path) -> None:
    path = sorted((registry_copy / "data" / "powers" / "jiaotong").glob("*.ttl"))[0]
    evil = '<img src=x onerror="window.pwned=1">鲸鱼观测登记'
    turtle = 'dcterms:title "' + evil.replace('"', '\\"') + '"@zh'
    text = re.sub(r'dcterms:title\s+"([^"]*)"@zh', lambda m: turtle,
                  path.read_text(encoding="utf-8"), count=1)
    path.write_text(text, encoding="utf-8")
    site = tmp_path / "_site"
    build(registry_copy, site, dumps=False)
    with serve(site) as url:
        page.goto(f"{url}/search/?q=鲸鱼观测")
        assert results_count(page) == 1
        assert page.locator("#results a.result-title").inner_text() == evil
        assert page.locator("#results img").count() == 0
        assert page.evaluate("window.pwned") is None


def test_a_page_open_across_a_full_reindex_still_finds(page, registry_copy, tmp_path) -> None:
    site = tmp_path / "_site"
    build(registry_copy, site, dumps=False)
    with serve(site) as url:
        page.goto(f"{url}/search/")
        page.wait_for_function("document.querySelector('#status').textContent.length > 0")
        build(registry_copy, site, dumps=False, incremental=False)  # a new index under it
        page.fill("#q", "道路运输")
        assert results_count(page) > 0
        title = page.locator("#results a.result-title").first.inner_text()
        assert "道路" in title or "运输" in title


def test_a_failed_fetch_says_so_and_the_next_search_works(page, base_url) -> None:
    failed = []

    def flaky(route):
        if not failed:
            failed.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/search-index/s/*", flaky)
    page.goto(f"{base_url}/search/")
    page.wait_for_function("document.querySelector('#status').textContent.length > 0")
    page.fill("#q", "许可")
    page.wait_for_function("document.querySelector('#status').textContent.includes('出错')")
    page.fill("#q", "许可证")
    page.fill("#q", "许可")
    assert results_count(page) > 1 and failed
