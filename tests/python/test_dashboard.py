"""The operator's view in a real browser (issue 15): `pglearn dashboard` on a loopback port against a database of
its own (a small synthetic market replayed walk-forward, one alert open), driven by Debian's headless Chromium
through Selenium: every page loads with no console error and its Plotly charts drawn, the overrides table lists the
current generation, a lesson page shows its charts; screenshots land in out/ for review. Also: the dashboard's
connection is read-only as pglearn_reader, the alert is notified on pglearn_alerts and listed by `pglearn alerts`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from pglearn import Client
from pglearn import migrate as mig
from pglearn.dashboard import connect_reader
from pglearn.replay import replay
from pglearn.synthetic import PLANTED, generate

from conftest import free_port

OUT = Path(__file__).resolve().parents[2] / "out"


@pytest.fixture()
def market(scratch_dsn):
    """A replayed synthetic market and one open alert (a failed job), committed; the NOTIFY it sent."""
    mig.migrate(scratch_dsn)
    with psycopg.connect(scratch_dsn) as conn:
        generate(conn, trades=600, weeks=4, patterns=8, seed=3)
    with Client(scratch_dsn) as client:
        assert replay(client, None, None, timedelta(weeks=1))["failed_steps"] == 0
    with psycopg.connect(scratch_dsn, autocommit=True) as listener, psycopg.connect(scratch_dsn, autocommit=True) as conn:
        listener.execute("LISTEN pglearn_alerts")
        conn.execute("INSERT INTO learning.job_runs (job, as_of, started_at, finished_at, status, error, sqlstate)"
                     " VALUES ('build_lessons', now(), now(), now(), 'failed', 'XX000: boom', 'XX000')")
        conn.execute("SELECT learning.evaluate_alerts()")
        notes = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
    return scratch_dsn, notes


@pytest.fixture()
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "Debian's chromium and chromium-driver are missing: make deps installs them"
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture()
def dashboard(market):
    dsn, _ = market
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pglearn.cli", "--dsn", dsn, "dashboard", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/static/plotly.min.js", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _visit(drv, url: str, shot: str) -> list[dict]:
    """Load a page, wait for every Plotly chart to be drawn, screenshot it; returns its console errors."""
    drv.get(url)
    deadline = time.time() + 20
    while time.time() < deadline:
        done = drv.execute_script(
            "return document.readyState === 'complete' && Array.from(document.querySelectorAll('.plotly-graph-div'))"
            ".every(d => d.querySelector('.main-svg'))")
        if done:
            break
        time.sleep(0.2)
    assert done, f"{url}: the charts were not drawn"
    OUT.mkdir(exist_ok=True)
    drv.save_screenshot(str(OUT / f"dashboard_{shot}.png"))
    return [e for e in drv.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def test_every_page_in_a_browser(market, dashboard, browser):
    dsn, notes = market
    with psycopg.connect(dsn) as conn:
        generation, override_lessons = conn.execute(
            "SELECT max(generation), array_agg(lesson_id ORDER BY lesson_id) FROM learning.v_active_overrides").fetchone()
        fading = conn.execute("SELECT id FROM learning.learning_lessons WHERE pattern_key = %s AND status = 'active'"
                              " ORDER BY scope_mask LIMIT 1", (PLANTED["fading"],)).fetchone()[0]
    assert generation and override_lessons
    pages = {"health": "/", "overrides": "/overrides", "lessons": "/lessons", "lessons_search": "/lessons?q=fade&sort=n",
             "lesson": f"/lessons/{fading}", "jobs": "/jobs", "factors": "/factors"}
    errors = {name: _visit(browser, dashboard + path, name) for name, path in pages.items()}
    assert errors == {name: [] for name in pages}, "console errors"

    browser.get(dashboard + "/")
    alerts = browser.find_element("id", "alerts").text
    assert "job_failed" in alerts and "build_lessons" in alerts, alerts
    browser.get(dashboard + "/overrides")
    table = browser.find_element("id", "overrides")
    assert f"Generation {generation}:" in browser.find_element("tag name", "main").text
    links = [a.text for a in table.find_elements("css selector", "td:first-child a")]
    assert sorted(int(x) for x in links) == override_lessons, "the overrides table lists the current generation"
    browser.get(dashboard + "/lessons?q=fade")
    assert str(fading) in [a.text for a in browser.find_elements("css selector", "#lessons td:first-child a")]
    _visit(browser, f"{dashboard}/lessons/{fading}", "lesson")
    for chart in ("edge", "trajectory", "trades"):
        assert browser.find_elements("css selector", f"#chart-{chart}-{fading} .main-svg"), f"the lesson's {chart} chart"

    # the new alert was notified, pglearn alerts lists it and exits 1 (a critical alert is open)
    assert notes and notes[0]["event"] == "new" and notes[0]["kind"] == "job_failed" and notes[0]["subject"] == "build_lessons"
    res = subprocess.run([sys.executable, "-m", "pglearn.cli", "--dsn", dsn, "alerts"], capture_output=True, text=True,
                         env={**os.environ})
    assert res.returncode == 1 and "critical" in res.stdout and "job_failed" in res.stdout, res


def test_dashboard_connection_is_read_only(scratch_dsn):
    mig.migrate(scratch_dsn)
    with connect_reader(scratch_dsn) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "pglearn_reader"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE learning.learning_configs SET config = config")
        conn.execute("SET default_transaction_read_only = off")  # even then: the reader's rights
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE learning.learning_configs SET config = config")
