"""Billable calls without a resolved client: a call only an SDK makes, by its shape (shapes.py),
and a raw HTTP request (``requests.post(url)``, ``session.post(url)`` of an aiohttp session, the
catalog's ``[http] senders``) whose URL a literal makes a provider's paid endpoint (a billable's
``endpoints``): written there, a module constant, an f-string or ``+`` of such values, a
parameter's default, or ``self.base_url`` set from an ``__init__`` parameter whose default, or what
a subclass passes to ``super().__init__``, is one (model/strings.py). Any of the URLs it may be
is enough; one no literal reaches (an environment variable) or a server on this machine is none.
A relative URL (``client.post("/chat/completions")``) is joined to the ``base_url`` the client was
built with (catalog ``[http] base_urls``: ``httpx.Client(base_url=...)``). Such a request raises
its HTTP library's errors and has no SDK retries."""

from __future__ import annotations

import re
from functools import lru_cache

import libcst as cst

from retrylint.analysis.client_constructors import constructor_in
from retrylint.analysis.layers.layer import keywords_of, positional
from retrylint.analysis.model import ModuleModel, Scope
from retrylint.analysis.model.strings import HOLE, PASSED, texts
from retrylint.analysis.shapes import SHAPE, inferred_shape
from retrylint.catalog import BillableSpec
from retrylint.catalog_endpoints import Endpoint, Sender

ENDPOINT = "provider endpoint"  # chains: "requests.post (via provider endpoint api.openai.com)"
BASED = " under the client's base_url"  # a relative URL joined to it (``httpx.Client(base_url=...)``)
_URL = re.compile(r"https?://([^/?#]*)([^?#]*)", re.IGNORECASE)
_PORT = re.compile(r":\d+$")


def inferred_billable(model: ModuleModel, call: cst.Call, scope: Scope, target: str | None):
    """(target, spec, chain steps) of a billable call known by its shape or its endpoint, or None."""
    sender = model.catalog.http_senders.get(target) if target is not None else None
    if sender is not None:
        found, based = _endpoint(model, call, scope, sender)
        step = f"{ENDPOINT} {found.host}{BASED if based else ''}" if found is not None else ""
        return (target, endpoint_spec(found.spec, sender.library), [step]) if found else None
    shaped = inferred_shape(model, call, scope) if model.catalog.billable_shapes else None
    return (*shaped, [SHAPE]) if shaped is not None else None


def _endpoint(model: ModuleModel, call: cst.Call, scope: Scope, sender: Sender) -> tuple[Endpoint | None, bool]:
    """The paid endpoint the request is sent to, and whether its URL is relative to the client's
    ``base_url``."""
    kw = keywords_of(call)
    url = kw.get("url") or positional(call, sender.url)
    if url is None:
        return None, False
    if sender.method is not None:
        method = kw.get("method") or positional(call, sender.method)
        written = texts(method.value, scope) if method is not None else frozenset()
        if written and all(HOLE not in text and text.upper() != "POST" for text in written):
            return None, False  # a GET (a list, a status) is free
    bases = None
    for text in sorted(texts(url.value, scope, PASSED)):
        relative = not _URL.match(text) and not text.startswith(HOLE)  # ``client.post("/chat/completions")``
        if relative and bases is None:
            bases = _base_urls(model, call, scope)
        joined = [f"{base.rstrip('/')}/{text.lstrip('/')}" for base in bases] if relative else [text]
        found = next(filter(None, (endpoint_of(model.catalog.endpoints, each) for each in joined)), None)
        if found is not None:
            return found, relative
    return None, False


def _base_urls(model: ModuleModel, call: cst.Call, scope: Scope) -> frozenset[str]:
    """The base URLs the client a request is sent on was built with (``httpx.Client(base_url=...)``,
    catalog ``[http] base_urls``), each text its keyword may hold; none for any other receiver."""
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
    made = constructor_in(receiver, scope) if receiver is not None else None
    keyword = model.catalog.http_base_urls.get(made[1].model.qualify(made[0].func, made[1]) or "") if made else None
    given = keywords_of(made[0]).get(keyword) if keyword is not None else None
    return texts(given.value, made[1], PASSED) if given is not None else frozenset()


def endpoint_of(endpoints: list[Endpoint], text: str) -> Endpoint | None:
    """The paid endpoint a URL (``HOLE`` for its unread parts) names: an unread part matches only
    where the endpoint's glob has a ``*``."""
    found = _URL.match(text)
    if found is None:
        return None
    host = _PORT.sub("", found[1]).lower()
    path = found[2].rstrip("/") or "/"
    return next((e for e in endpoints if e.host_pattern.fullmatch(host) and e.path_pattern.fullmatch(path)), None)


@lru_cache(maxsize=None)
def endpoint_spec(spec: BillableSpec, library: str) -> BillableSpec:
    """The provider's billable as a raw request sees it: its errors are the HTTP library's."""
    return BillableSpec(provider=library, kind=spec.kind, turns=spec.turns)
