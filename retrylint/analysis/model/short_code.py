"""How messages name an expression in a few characters (``client.chat.completions.cr...``), at
a cost that does not grow with the square of a chain of chained calls: ``x.a().b()...`` holds
each shorter chain inside it, so rendering each link's whole code is quadratic."""

from __future__ import annotations

import libcst as cst

# The expressions whose code starts with their parentheses and then one child's code.
_LEADING_CHILD = {cst.Attribute: "value", cst.Subscript: "value", cst.Call: "func"}


def shortened(code: str, limit: int) -> str:
    """``code`` on one line, cut to ``limit`` characters with ``...``."""
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


class ShortCode:
    """``short(node)`` is ``shortened(module.code_for_node(node), limit)``, rendering only what
    it shows: each node of a chain is rendered once, and once a link's start is longer than the
    limit, the links around it reuse that start instead of rendering their own code."""

    def __init__(self, module: cst.Module, limit: int = 40):
        self.module = module
        self.limit = limit
        self._start: dict[int, str] = {}  # id(node) -> its code, or a start of it longer than the limit

    def short(self, node: cst.CSTNode) -> str:
        chain = [node]  # down the leading children not done yet (iterative: a chain may be thousands deep)
        while type(chain[-1]) in _LEADING_CHILD and id(chain[-1]) not in self._start:
            chain.append(getattr(chain[-1], _LEADING_CHILD[type(chain[-1])]))
        for link in reversed(chain):
            if id(link) not in self._start:
                self._start[id(link)] = self._start_of(link)
        return shortened(self._start[id(node)], self.limit)

    def _start_of(self, node: cst.CSTNode) -> str:
        field = _LEADING_CHILD.get(type(node))
        if field is not None:
            inner = self._start[id(getattr(node, field))]
            if self._long(inner):  # the parentheses before the child, then the child's start
                return "".join(self.module.code_for_node(paren) for paren in node.lpar) + inner
        return self._cut(self.module.code_for_node(node))

    def _long(self, code: str) -> bool:
        return len(" ".join(code.split())) > self.limit

    def _cut(self, code: str) -> str:
        """A start of ``code`` that is still longer than the limit on one line (all of it when short)."""
        if not self._long(code):
            return code
        words = 0
        for end, char in enumerate(code):  # the shortest start whose one-line form passes the limit
            if not char.isspace():
                words += 1
                if words > self.limit:
                    return code[: end + 1]
        return code
