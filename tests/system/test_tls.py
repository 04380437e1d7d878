"""TLS: the simulator on HTTPS with a self-signed CA, for REST and the websocket alike."""
from __future__ import annotations

import certifi
import pytest

from conftest import ADMIN_PASSWORD, ansible_env, local_inventory, module_playbook, run_playbook, simulator


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory):
    with simulator(tmp_path_factory.mktemp("tls"), "2.16", tls=True) as sim:
        yield sim


def _run(tls_sim, collections_path, tmp_path, **options):
    margs = {"url": tls_sim.url, "username": "admin", "password": ADMIN_PASSWORD, "project": "Demo",
             "template": "Deploy app", "poll_interval": 30, **options}
    # The machine's own CA bundle variables point at a bundle without the simulator's CA; requests
    # would let them override a session-wide verify setting (TOOLCHAIN notes), so they are set here.
    env = ansible_env(collections_path, REQUESTS_CA_BUNDLE=certifi.where(), CURL_CA_BUNDLE=certifi.where(),
                      SSL_CERT_FILE=certifi.where())
    tls_sim.control("DELETE", "log")
    done, results = run_playbook(collections_path, tmp_path, module_playbook("semaphore_task"), {"margs": margs},
                                 args=["-i", str(local_inventory(tmp_path))], env=env)
    assert "h0" in results, done.stdout + done.stderr
    return done, results["h0"]


def test_default_refuses_the_self_signed_certificate(tls_sim, collections_path, tmp_path):
    done, result = _run(tls_sim, collections_path, tmp_path)
    assert result["failed"] is True
    assert result["msg"].startswith("POST /api/auth/login failed: the server certificate could not be verified")
    assert "Traceback" not in done.stdout + done.stderr
    assert tls_sim.log() == []  # the TLS handshake failed before any request reached the API


@pytest.mark.parametrize("options", [{"ca_path": "CA"}, {"validate_certs": False}], ids=["ca_path", "no_validation"])
def test_ca_path_or_no_validation_work_for_rest_and_websocket(tls_sim, collections_path, tmp_path, options):
    if options.get("ca_path") == "CA":
        options = {"ca_path": str(tls_sim.ca)}
    done, result = _run(tls_sim, collections_path, tmp_path, **options)
    assert result.get("failed") is not True, result.get("msg")
    assert result["status"] == "success"
    # The websocket was opened with the same TLS settings: the server upgraded it, and the module
    # did not fall back to polling (with poll_interval 30 a poll-only wait would still pass, so the
    # upgrade in the request log is what proves it).
    sockets = [entry for entry in tls_sim.log() if entry["path"] == "/api/ws"]
    assert [entry["status"] for entry in sockets] == [101]
    assert not any("websocket are not available" in warning for warning in result.get("warnings", []))
    # Without validation: said once in the module's words, never as urllib3's raw warning.
    assert "InsecureRequestWarning" not in done.stdout + done.stderr
    said = [warning for warning in result.get("warnings", []) if "validate_certs is false" in warning]
    assert len(said) == (1 if options.get("validate_certs") is False else 0), result.get("warnings")
