"""Options a layer takes from its surroundings when its own call leaves them out: Airflow's
``DAG(default_args={"retries": 3})`` around a task, given by ``with``, by a decorator on the
enclosing function, or by the ``dag=`` keyword. The catalog's ``defaults`` table says which."""

from __future__ import annotations

import libcst as cst

from retrylint.catalog import LayerSpec
from retrylint.analysis.layers.layer import bound_call, keywords_of
from retrylint.analysis.model import WITH, Function, ModuleModel, Scope, descendants


class Surroundings:
    def __init__(self, model: ModuleModel):
        self.model = model
        self._withs: dict[int, dict[int, cst.With]] = {}

    def options(self, spec: LayerSpec, call: cst.Call | None, scope: Scope, function: Function | None,
                path: tuple = ()) -> dict | None:
        """The call's keywords over the options its surroundings supply: ``spec.defaults_keyword``
        of a ``spec.defaults_from`` call decorating ``function``, holding the call in a ``with``
        (``path`` leads to it), or named by the call's ``spec.defaults_object_param`` (``dag=``).
        None for a spec without them."""
        if not spec.defaults_keyword:
            return None
        sources = []
        if function is not None and isinstance(function.node, cst.FunctionDef):
            sources += [d.decorator for d in function.node.decorators]
        if function is not None and path:
            withs = self._with_statements(function)
            sources += [item.item for i, kind, _ in path if kind == WITH and i in withs for item in withs[i].items]
        named = keywords_of(call).get(spec.defaults_object_param)
        sources += [named.value] if named is not None else []
        options: dict = {}
        for source in sources:
            bound = bound_call(source, scope)
            if bound is not None and self.model.qualify(bound.func, scope) in spec.defaults_from:
                given = keywords_of(bound).get(spec.defaults_keyword)
                if given is not None:
                    options.update(self._dict_options(given.value, scope))
        options.update({name: (arg.value, scope) for name, arg in keywords_of(call).items()})
        return options

    def enclosing_function(self, function: Function) -> Function | None:
        """The function whose body defines ``function`` (an Airflow ``@dag`` around its tasks)."""
        parent = function.scope.parent
        return next((f for f in self.model.functions if f.scope is parent and f is not function), None)

    def _dict_options(self, expr: cst.BaseExpression, scope: Scope) -> dict:
        """``{"retries": 3}`` or ``dict(retries=3)``, or a name bound to one, as options."""
        if isinstance(expr, cst.Name):
            binding = scope.lookup(expr.value)
            if binding is not None and binding.value is not None and binding.scope is not None:
                return self._dict_options(binding.value, binding.scope)
        if isinstance(expr, cst.Dict):
            return {
                element.key.evaluated_value: (element.value, scope) for element in expr.elements
                if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
            }
        if isinstance(expr, cst.Call) and self.model.qualify(expr.func, scope) == "builtins.dict":
            return {name: (arg.value, scope) for name, arg in keywords_of(expr).items()}
        return {}

    def _with_statements(self, function: Function) -> dict[int, cst.With]:
        found = self._withs.get(id(function))
        if found is None:
            found = {id(node): node for node in descendants(function.node) if isinstance(node, cst.With)}
            self._withs[id(function)] = found
        return found

