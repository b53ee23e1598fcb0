"""A classmethod factory returning ``cls(...)`` makes an instance of its class (of the subclass it
is called on), whose attributes set from the constructor's arguments carry their types; a local
assigned a client in one branch of an ``if`` chain and something else in another may hold that
client (gpt-researcher 0.15.1 GenericLLMProvider.from_provider). In one module and across
modules; VALID cases: a classmethod returning something else, a staticmethod whose ``cls`` is a
parameter, the subclass it is called on not calling the client, a name reassigned in sequence."""

from __future__ import annotations

from helpers import check, write_tree

PROVIDER = """
import anthropic


class Provider:
    def __init__(self, client, verbose=True):
        self.client = client

    @classmethod
    def from_name(cls, name):
        if name == "anthropic":
            client = anthropic.Anthropic(max_retries=4)
        elif name == "local":
            client = LocalModel()
        else:
            raise ValueError(name)
        return cls(client, verbose=False)

    def ask(self, text):
        return self.client.messages.create(model="m", max_tokens=5, messages=[text])


class Quiet(Provider):
    def ask(self, text):
        return text
"""

RETRIED = """
@retry(stop=stop_after_attempt(3), wait=wait_exponential())
def run(text):
    return {made}.ask(text)
"""
LAYER = "from tenacity import retry, stop_after_attempt, wait_exponential\n"


def found(tmp_path, path: str) -> list[tuple[str, int, str]]:
    return [(d["code"], d["line"], d["message"]) for d in check(tmp_path, path)]


def expected(line: int, where: str) -> list[tuple[str, int, str]]:
    chain = f"run -> ask ({where}, via factory return) -> messages.create (via attribute)"
    return [
        ("RTL002", line, f"tenacity @retry on 'run' (up to 3 attempts) retries on every exception around billable "
                         f"{chain} and declares no non-retryable errors; stop at once on BadRequestError, "
                         "AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError"),
        ("RTL005", line, "messages.create runs under 2 retry layers: tenacity @retry on 'run' (3) x Anthropic client "
                         f"(5: retries 4) = up to 15 calls per run; chain {chain}; let one layer retry"),
    ]


def test_a_classmethod_factory_in_one_module_makes_an_instance_of_its_class(tmp_path):
    write_tree(tmp_path, {"app.py": PROVIDER + "\n\n" + LAYER + RETRIED.format(made='Provider.from_name("anthropic")')})
    assert found(tmp_path, "app.py") == expected(29, "app.py:18")
    chain = check(tmp_path, "app.py")[1]["chain"]
    assert [(link["name"], link["via"]) for link in chain] == [
        ("run", ""), ("ask", "factory return"), ("messages.create", "attribute")]


def test_a_classmethod_factory_reexported_and_imported_in_a_function_across_modules(tmp_path):
    """gpt-researcher: ``get_llm`` imports the provider from the package that re-exports it and
    returns ``GenericLLMProvider.from_provider(...)``; the retry loop calls the provider's method."""
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/providers/__init__.py": "from .base import Provider\n\n__all__ = ['Provider']\n",
        "pkg/providers/base.py": PROVIDER,
        "pkg/llm.py": LAYER + """

def get_llm(name):
    from pkg.providers import Provider
    return Provider.from_name(name)

""" + RETRIED.format(made='get_llm("anthropic")'),
    })
    assert found(tmp_path, "pkg/llm.py") == expected(9, "pkg/providers/base.py:18")


def test_the_subclass_a_classmethod_is_called_on_is_what_it_makes(tmp_path):
    write_tree(tmp_path, {"app.py": PROVIDER + "\n\n" + LAYER + RETRIED.format(made='Quiet.from_name("anthropic")')})
    assert found(tmp_path, "app.py") == []


def test_a_classmethod_returning_something_else_is_not_an_instance(tmp_path):
    source = PROVIDER.replace("return cls(client, verbose=False)", "cls(client)\n        return Settings(name)")
    write_tree(tmp_path, {"app.py": "class Settings:\n    def __init__(self, name):\n        self.name = name\n\n"
                                    "    def ask(self, text):\n        return text\n" + source + "\n\n" + LAYER
                                    + RETRIED.format(made='Provider.from_name("anthropic")')})
    assert found(tmp_path, "app.py") == []


def test_a_staticmethods_cls_parameter_is_not_the_class(tmp_path):
    source = PROVIDER.replace("    @classmethod\n", "    @staticmethod\n")
    write_tree(tmp_path, {"app.py": source + "\n\n" + LAYER + RETRIED.format(made='Provider.from_name(dict, "anthropic")')})
    assert found(tmp_path, "app.py") == []


def test_a_name_reassigned_in_sequence_is_what_it_was_last_assigned(tmp_path):
    """Not branches of one ``if``: ``client = Wrapped(client)`` replaces the client it wraps."""
    source = PROVIDER.replace("""        if name == "anthropic":
            client = anthropic.Anthropic(max_retries=4)
        elif name == "local":
            client = LocalModel()
        else:
            raise ValueError(name)
""", """        client = anthropic.Anthropic(max_retries=4)
        client = LocalModel(client)
""")
    write_tree(tmp_path, {"app.py": source + "\n\n" + LAYER + RETRIED.format(made='Provider.from_name("anthropic")')})
    assert found(tmp_path, "app.py") == [  # billable only by the call's shape, no client under it
        ("RTL002", 25, "tenacity @retry on 'run' (up to 3 attempts) retries on every exception around billable run "
                       "-> ask (app.py:14, via factory return) -> messages.create (inferred from the call's shape) "
                       "and declares no non-retryable errors; stop at once on BadRequestError, AuthenticationError, "
                       "PermissionDeniedError, NotFoundError, UnprocessableEntityError"),
    ]


def test_the_branches_clients_retries_are_read_from_the_first_that_makes_one(tmp_path):
    """``cls(client)`` with ``client`` an Anthropic client with its retries off in one branch:
    only the retry layer retries."""
    source = PROVIDER.replace("Anthropic(max_retries=4)", "Anthropic(max_retries=0)")
    write_tree(tmp_path, {"app.py": source + "\n\n" + LAYER + RETRIED.format(made='Provider.from_name("anthropic")')})
    assert [code for code, _, _ in found(tmp_path, "app.py")] == ["RTL002"]
