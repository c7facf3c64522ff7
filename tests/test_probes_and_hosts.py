"""Probes answer whatever the Host and over plain HTTP; every other path keeps ALLOWED_HOSTS and HTTPS.

A kubelet probe sends the pod's IP as Host, over plain HTTP to the pod.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured

from dict_project import settings as config

POD_IP = "10.1.2.3"  # in no ALLOWED_HOSTS


@pytest.mark.django_db
@pytest.mark.parametrize("host", [POD_IP, "localhost"])
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_any_host_and_are_never_redirected(client, settings, path: str, host: str) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(path, HTTP_HOST=host)
    assert (response.status_code, response.json()["status"]) == (200, "ok")


def test_other_paths_refuse_a_host_not_allowed_with_a_problem(client) -> None:
    response = client.get("/api/v1/keys/", HTTP_HOST=POD_IP)
    assert (response.status_code, response["Content-Type"]) == (400, "application/problem+json")
    assert response.json()["code"] == "BadRequest"


def test_other_paths_are_redirected_to_https(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/api/v1/keys/")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/api/v1/keys/")


@pytest.mark.parametrize(
    "raw, header",
    [
        ("", None),
        ("false", None),
        ("true", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("HTTP_X_FORWARDED_SSL, on", ("HTTP_X_FORWARDED_SSL", "on")),
    ],
)
def test_the_proxy_ssl_header_from_the_environment(monkeypatch, raw: str, header) -> None:
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", raw)
    assert config.env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER") == header


def test_a_proxy_ssl_header_without_its_value_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO")
    with pytest.raises(ImproperlyConfigured, match="HEADER,value"):
        config.env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")


def test_a_bind_address_with_a_port_is_refused_not_misread(monkeypatch) -> None:
    monkeypatch.setenv("GRPC_BIND", "10.0.0.7:9090")
    with pytest.raises(ImproperlyConfigured, match="not host:port"):
        config.env_host("GRPC_BIND", "127.0.0.1")
    monkeypatch.setenv("GRPC_BIND", "10.0.0.7")
    assert config.env_host("GRPC_BIND", "127.0.0.1") == "10.0.0.7"
