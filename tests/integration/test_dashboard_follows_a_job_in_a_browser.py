"""The dashboard in a real browser (headless Chromium driven through chromium-driver) against the local
cluster while a real job runs: `training-operator dashboard` prints a link; the jobs page shows the job as
soon as it is created and its state goes Created → Running → Succeeded without a reload; the job page draws
one chart row per replica and follows a pod's log up to a line the job printed; a wrong token gets 403;
nothing answers on a non-loopback address. Screenshots of both pages go to $TRAINING_OPERATOR_ARTIFACTS
(CI keeps them).

The job's pods wait on files the test creates, so each state is held until the page has shown it: an init
container keeps the job Created, the main container keeps it Running after printing its line.

Once a failed job's pods are deleted (a backoff limit, a clean-pod policy, a user), their logs are gone; the
job page still shows the failing container's last lines, read the moment the failure showed, and the chart
still draws the deleted pod's run with the failure marked. (When the operator deletes the pods within
milliseconds of the failure, as a backoff limit reached at the first restart does, reading first is a race;
here the test deletes the pod, so the outcome is certain.)
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import kubernetes
import pytest

from training_operator.core import access
from training_operator.core.kube.client import ApiClient
from training_operator.local.testing import BackgroundCluster
from training_operator.unified import localcli
from training_operator.unified.testing import operator_process, stop

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CLI = str(Path(sys.executable).parent / "training-operator")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
KNOWN_LINE = "hello from the dashboard test, rank"
LAST_WORDS = "ValueError: learning rate must be positive"
JOB = "TFJob/default/hello"
#: records every state the jobs page shows for the job, and marks the page so a reload would show
RECORDER = """
window.__notReloaded = true;
window.__states = [];
new MutationObserver(() => {
  const badge = document.querySelector('tr[data-key="JOB"] .state');
  const shown = badge && badge.textContent;
  if (shown && window.__states[window.__states.length - 1] !== shown) window.__states.push(shown);
}).observe(document.body, {subtree: true, childList: true, characterData: true});
""".replace("JOB", JOB)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium and chromium-driver (see .ci/run)")
        pytest.skip("no chromium and chromium-driver here (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Chromium leaves its singleton-socket directory in TMPDIR when the driver quits: keep it in pytest's
    # own temporary tree (which pytest prunes), not in /tmp, where every run left one behind
    scratch = tmp_path_factory.mktemp("chromium")
    service = Service(DRIVER, env={**os.environ, "TMPDIR": str(scratch)})
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    state = tmp_path / "cluster"
    with BackgroundCluster(state, network="loopback", backoff_base=0.2, backoff_cap=1.0) as found:

        async def install() -> None:
            async with ApiClient(access.load(str(found.kubeconfig_path)), qps=0) as client:
                await localcli.apply_crds(client)

        asyncio.run(install())
        with operator_process(found.kubeconfig_path, tmp_path / "operator.log", "--enable-scheme", "tfjob"):
            yield found


@pytest.fixture
def dashboard(cluster: Any, tmp_path: Path) -> Iterator[str]:
    """`training-operator dashboard` as a user starts it; its printed link."""
    command = [CLI, "dashboard", "--kubeconfig", str(cluster.kubeconfig_path), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, line
        yield line.split(": ", 1)[1].strip()
    finally:
        stop(process)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def artifacts() -> Path:
    # kept for people to look at (CI lists them); .ci/artifacts is git-ignored
    default = Path(__file__).resolve().parents[2] / ".ci" / "artifacts"
    folder = Path(os.environ.get("TRAINING_OPERATOR_ARTIFACTS") or default) / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def gated_job(gates: Path) -> dict[str, Any]:
    """Two workers that stay Pending until `gates/start` exists and run until `gates/finish` does."""
    start, finish = gates / "start", gates / "finish"
    wait = "import pathlib, time\nwhile not pathlib.Path({!r}).exists(): time.sleep(0.05)\n"
    # a training loop of sorts: a step every half second until told to finish
    steps = (
        "step = 0\nwhile not pathlib.Path({!r}).exists():\n"
        "    print('step', step, flush=True); step += 1; time.sleep(0.5)\n"
    )
    main = f"import os, pathlib, time\nprint({KNOWN_LINE!r}, os.environ['HOSTNAME'], flush=True)\n"
    template = {
        "spec": {
            "initContainers": [
                {"name": "gate", "image": "local", "command": [sys.executable, "-c", wait.format(str(start))]}
            ],
            "containers": [
                {
                    "name": "tensorflow",
                    "image": "local",
                    "command": [sys.executable, "-c", main + steps.format(str(finish))],
                }
            ],
        }
    }
    worker = {"replicas": 2, "restartPolicy": "Never", "template": template}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": "hello", "namespace": "default"},
        "spec": {"tfReplicaSpecs": {"Worker": worker}},
    }


def until(driver: Any, check: Any, what: str, seconds: float = 90) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: check(d))
    except TimeoutException:
        logs = "\n".join(str(e) for e in driver.get_log("browser"))
        pytest.fail(f"the page never showed {what}; browser console:\n{logs}")


def text(driver: Any, css: str) -> str:
    """The element's text as shown, read in one step: the page may replace the element at any moment."""
    script = "const found = document.querySelector(arguments[0]); return found ? found.innerText : '';"
    return str(driver.execute_script(script, css))


def screenshot(driver: Any, path: Path) -> None:
    """The whole page, not just the window."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(1000, int(height) + 40))
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)


def non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # picks the outgoing interface; sends nothing
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_the_dashboard_follows_a_job_from_creation_to_success(
    browser, cluster, dashboard, artifacts, tmp_path
):
    base = dashboard.split("/?")[0]
    browser.get(dashboard)
    until(browser, lambda d: text(d, "#live") == "live", "a live connection")
    browser.execute_script(RECORDER)
    jobs_window = browser.current_window_handle

    with kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path)) as kube:
        custom = kubernetes.client.CustomObjectsApi(kube)
        custom.create_namespaced_custom_object("kubeflow.org", "v1", "default", "tfjobs", gated_job(tmp_path))
    row = f'tr[data-key="{JOB}"]'
    until(browser, lambda d: text(d, f"{row} .state") == "Created", "the new job as Created")
    (tmp_path / "start").touch()
    until(browser, lambda d: text(d, f"{row} .state") == "Running", "the job Running")

    browser.switch_to.new_window("window")
    browser.set_window_size(1400, 1000)
    browser.get(f"{base}/jobs/TFJob/default/hello")
    until(browser, lambda d: text(d, "#state") == "Running", "the job page with the job Running")
    rows = "return window.Chart && Chart.getChart(document.getElementById('chart'))?.options.scales.y.labels"
    until(browser, lambda d: d.execute_script(rows) == ["worker-0", "worker-1"], "one chart row per replica")
    until(browser, lambda d: KNOWN_LINE in text(d, "#log"), "the line the job printed, in the log panel")
    until(browser, lambda d: "step 5" in text(d, "#log"), "the log following what the job prints")

    (tmp_path / "finish").touch()
    until(browser, lambda d: text(d, "#state") == "Succeeded", "the job page showing Succeeded")
    until(browser, lambda d: "Succeeded" in text(d, "#conditions"), "the Succeeded condition")
    screenshot(browser, artifacts / "job.png")

    browser.switch_to.window(jobs_window)
    until(browser, lambda d: text(d, f"{row} .state") == "Succeeded", "the jobs page showing Succeeded")
    assert browser.execute_script("return window.__notReloaded") is True
    shown = browser.execute_script("return window.__states")
    # "New": the moment before the operator gave the job a status
    assert [state for state in shown if state != "New"] == ["Created", "Running", "Succeeded"]
    screenshot(browser, artifacts / "jobs.png")
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe


def test_a_wrong_token_gets_403(browser, dashboard):
    base = dashboard.split("/?")[0]
    browser.delete_all_cookies()
    browser.get(f"{base}/?token=wrong")
    assert "403 Forbidden" in browser.find_element("tag name", "body").text
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/events/jobs", timeout=10)
    assert refused.value.code == 403
    refused.value.close()


def test_nothing_answers_beyond_loopback(dashboard):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    port = int(dashboard.split("/?")[0].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # it does listen, on loopback
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=5).close()


def failing_job() -> dict[str, Any]:
    script = f"print('loading shards', flush=True)\nraise SystemExit({LAST_WORDS!r})"
    container = {"name": "tensorflow", "image": "local", "command": [sys.executable, "-c", script]}
    worker = {"replicas": 1, "restartPolicy": "Never", "template": {"spec": {"containers": [container]}}}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": "sweep", "namespace": "default"},
        "spec": {"tfReplicaSpecs": {"Worker": worker}},
    }


async def pages(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    async for raw in response.content:
        line = raw.decode()
        if line.startswith("data: "):
            yield json.loads(line[len("data: ") :])


async def next_page(stream: AsyncIterator[dict[str, Any]], check: Any, what: str) -> dict[str, Any]:
    page: dict[str, Any] = {}
    try:
        async with asyncio.timeout(60):
            async for page in stream:
                if page.get("job") and check(page):
                    return page
    except TimeoutError:
        pass
    pytest.fail(f"the page never showed {what}; last page: {json.dumps(page)}")


async def test_the_failing_containers_last_lines_outlive_its_pod(cluster, dashboard):
    base, token = dashboard.split("/?token=")
    async with aiohttp.ClientSession() as browser:
        kube = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
        custom = kubernetes.client.CustomObjectsApi(kube)
        custom.create_namespaced_custom_object("kubeflow.org", "v1", "default", "tfjobs", failing_job())
        url = f"{base}/events/jobs/TFJob/default/sweep"
        async with browser.get(url, params={"token": token}) as response:
            stream = pages(response)
            await next_page(
                stream, lambda p: (p.get("failure") or {}).get("lines"), "the failure's last lines"
            )
            kubernetes.client.CoreV1Api(kube).delete_namespaced_pod("sweep-worker-0", "default")
            page = await next_page(stream, lambda p: not p["pods"], "the pod gone")
        kube.close()
    failure = page["failure"]
    assert page["job"]["state"] == "Failed"
    assert failure["pod"] == "sweep-worker-0"
    assert failure["lines"][-2:] == ["loading shards", LAST_WORDS]
    (row,) = page["chart"]["rows"]
    assert "failure" in [mark["kind"] for mark in row["marks"]]
