"""The catalog's HTTP knowledge, compiled once per catalog: the calls that send a request
(``[http] senders``, ``requests.post(url)``), the clients a relative URL is joined to a base URL
of (``[http] base_urls``, ``httpx.Client(base_url)``) and the paid endpoints of each provider (a billable's
``endpoints``, ``api.openai.com/v1/chat/completions``). A glob's ``*`` stands for any text within
one part of a host or path (``*.openai.azure.com``, ``/openai/deployments/*/chat/completions``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrylint.catalog_schema import CatalogError
from retrylint.catalog_specs import BillableSpec

_SENDER = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\(\s*(\w+(?:\s*,\s*\w+)*)\s*\)")
_BASE_URL = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\(\s*(\w+)\s*\)")
_ENDPOINT = re.compile(r"([A-Za-z0-9*.-]+)(/[^\s?#]*)")


@dataclass(frozen=True)
class Sender:
    """A call that sends an HTTP request: where it takes the URL (and the method, if it does)."""

    name: str
    library: str  # the error library of what it raises: the first part of its name
    url: int  # the URL's position; the keyword is ``url``
    method: int | None  # the method's position (keyword ``method``), for ``request(method, url)``


@dataclass(frozen=True)
class Endpoint:
    """One billed endpoint of a provider's HTTP API."""

    host: str  # as written, how chains name it
    host_pattern: re.Pattern
    path_pattern: re.Pattern
    spec: BillableSpec


def compile_senders(written: list[str] | tuple[str, ...]) -> dict[str, Sender]:
    senders = {}
    for text in written:
        found = _SENDER.fullmatch(text.strip())
        params = [p.strip() for p in found[2].split(",")] if found else []
        if found is None or "url" not in params:
            raise CatalogError(f"[http] sender {text!r} must read '<qualified name>(<parameter>, ...)' with a parameter 'url'")
        name = found[1]
        senders[name] = Sender(name, name.partition(".")[0], params.index("url"),
                               params.index("method") if "method" in params else None)
    return senders


def compile_base_urls(written: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``httpx.Client(base_url)``: the client class -> the keyword its base URL is given in."""
    found = {}
    for text in written:
        match = _BASE_URL.fullmatch(text.strip())
        if match is None:
            raise CatalogError(f"[http] base_urls {text!r} must read '<qualified class>(<keyword>)'")
        found[match[1]] = match[2]
    return found


def compile_endpoints(billables: list[BillableSpec]) -> list[Endpoint]:
    endpoints = []
    for spec in billables:
        for text in spec.endpoints:
            found = _ENDPOINT.fullmatch(text.strip())
            if found is None:
                raise CatalogError(f"billable endpoint {text!r} must read 'host/path' (globs with '*')")
            endpoints.append(Endpoint(found[1].lower(), _glob(found[1].lower()), _glob(found[2].rstrip("/") or "/"), spec))
    return endpoints


def _glob(text: str) -> re.Pattern:
    """``*`` is any text without ``/``; everything else is itself."""
    return re.compile("[^/]*".join(re.escape(part) for part in text.split("*")))
