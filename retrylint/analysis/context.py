"""What a rule sees: the module model, its retry layers, reachability, settings, and helpers
for making diagnostics and library-specific fixes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from retrylint.catalog import Catalog
from retrylint.catalog_specs import in_unit
from retrylint.diagnostics import Applicability, ChainLink, Diagnostic, Edit, Fix
from retrylint.fixing.edits import FixBuilder
from retrylint.analysis.foreign_errors import foreign_libraries, may_call
from retrylint.analysis.layers import Layer
from retrylint.analysis.layers.dialects import FixTemplate, fix_templates
from retrylint.analysis.model import ModuleModel
from retrylint.analysis.model.typeflow import SHAPE
from retrylint.analysis.reach import Reachability
from retrylint.analysis.reach_record import Reach
from retrylint.settings import Settings

if TYPE_CHECKING:
    from retrylint.rules.base import Rule

BROADEST = {"builtins.Exception", "builtins.BaseException"}
TEMPLATE_FIELD = re.compile(r"\{([A-Za-z_][\w.]*)\}")  # ``{n}``, ``{errors}``, ``{module.name}`` in a fix template


@dataclass
class RuleContext:
    model: ModuleModel
    catalog: Catalog
    settings: Settings
    layers: list[Layer]
    reachability: Reachability
    build_fixes: bool = True  # False: the catalog's fix templates are not filled (an editor asks later)

    @cached_property
    def fixes(self) -> FixBuilder:
        return FixBuilder(self.model, self.settings.line_length)

    @cached_property
    def nested_layers(self) -> set[int]:
        """Layers that sit under another layer (reached through it)."""
        nested = set()
        for layer in self.layers:
            for reach in self.reachability.reaches(layer):
                nested.update(id(inner) for inner in reach.inner_layers if inner is not layer)
        return nested

    def outermost(self, layer: Layer) -> bool:
        return id(layer) not in self.nested_layers

    def diagnostic(
        self,
        rule: "type[Rule] | Rule",
        node: cst.CSTNode,
        message: str,
        fix: Fix | None = None,
        chain: list[ChainLink] | None = None,
    ) -> Diagnostic:
        code_range = self.model.range(node)
        return Diagnostic(
            code=rule.code,
            name=rule.name,
            message=message,
            path=self.model.path,
            line=code_range.start.line,
            column=code_range.start.column + 1,
            end_line=code_range.end.line,
            end_column=code_range.end.column + 1,
            fix=fix,
            chain=list(chain or []),
        )

    # ----- fixes shared by several rules ---------------------------------------------------
    def set_layer_arguments(self, layer: Layer, values: dict[str, str], imports: tuple[str, ...] = ()) -> list[Edit] | None:
        """Edits that set ``name=value`` for each of ``values`` on the call declaring ``layer``
        (a bare decorator becomes a call; a call site without its policy object gets one).
        Values may hold ``{0}``, ``{1}``... for the spellings of ``imports`` (qualified names
        imported in the file's style)."""
        spec = layer.spec
        wrap = layer.call is None and layer.handover_call is not None and spec is not None and spec.policy_objects
        if wrap:
            imports = (*imports, spec.policy_objects[0])
        spelled, import_edits = self.fixes.references(imports)
        codes = {name: value.format(*spelled) for name, value in values.items()}
        if wrap:
            inner = ", ".join(f"{name}={code}" for name, code in codes.items())
            old, codes = layer.handover_call, {spec.policy_param: f"{spelled[-1]}({inner})"}
            new = layer.handover_call
        elif layer.call is not None:
            old = new = layer.call
        elif layer.bare is not None:
            old, new = layer.bare, cst.Call(func=layer.bare)
        else:
            return None
        for name, code in codes.items():
            new = self.fixes.with_keyword(new, name, code)
            if new is None:
                return None
        return [self.fixes.replace(old, new), *import_edits]

    def template_fix(self, layer: Layer, purpose: str, n: int | None = None, errors: tuple[str, ...] = ()) -> tuple[str, list[Edit] | None] | None:
        """The message and edits of the fix for ``purpose`` (``cap``, ``never_retry``,
        ``backoff``) as the catalog writes it for the layer's dialect, with ``n`` attempts in all (each
        template writes them in its own unit) or the
        ``errors`` not to retry; None when the catalog has no template for it (or fixes are
        not built)."""
        if not self.build_fixes:
            return None
        templates = fix_templates(layer.spec.dialect)(self.catalog, layer.spec).get(purpose) if layer.spec else None
        if not templates:
            return None
        imports = list(errors)
        errors_code = "(" + ", ".join(f"{{{i}}}" for i in range(len(errors))) + ("," if len(errors) == 1 else "") + ")"

        def filled(template: FixTemplate) -> str:
            def fill(match: re.Match) -> str:
                name = match.group(1)
                if name == "n":
                    return str(in_unit(n, template.counts))
                if name == "errors":
                    return errors_code
                imports.append(name)
                return f"{{{len(imports) - 1}}}"
            return TEMPLATE_FIELD.sub(fill, template.value)

        values = {}
        for template in templates:
            new = filled(template)
            existing = layer.keywords.get(template.keyword)
            if template.join and existing is not None and not self._names_one_of(layer, existing.value, template.replaces):
                if self._plain_function(layer, existing.value):
                    return None  # ``stop=my_stop``: a plain function does not join with ``|``
                code = self.model.code(existing.value)
                code = f"({code})" if isinstance(existing.value, cst.BinaryOperation) else code
                new = template.join.replace("{existing}", code.replace("{", "{{").replace("}", "}}")).replace("{new}", new)
            values[template.keyword] = new
        edits = self.set_layer_arguments(layer, values, tuple(imports))
        message = templates[0].message
        if message is None:
            message = "Pass " + ", ".join(f"{t.keyword}={filled(t)}" for t in templates)
        return message.replace("{n}", str(n)), edits

    def _plain_function(self, layer: Layer, expr: cst.BaseExpression) -> bool:
        """A lambda, or a name of a project function (not a builder's instance)."""
        outer = layer.function.scope.parent or self.model.scope
        return isinstance(expr, cst.Lambda) or any(
            self.model.resolve_function(self.model.qualify(expr, scope)) is not None for scope in (outer, layer.function.scope)
        )

    def _names_one_of(self, layer: Layer, expr: cst.BaseExpression, names: tuple[str, ...]) -> bool:
        """Whether ``expr`` names one of ``names``, read where the layer is declared or inside it."""
        outer = layer.function.scope.parent or self.model.scope
        return any(self.model.qualify(expr, scope) in names for scope in (outer, layer.function.scope))

    def reaches(self, layer: Layer) -> list[Reach]:
        return self.reachability.reaches(layer)

    def answer_errors_retried(self, layer: Layer, reach: Reach) -> list[str]:
        """The errors the reach's call raises on a reply it cannot use, after its paid request
        returned (the catalog's ``answer_errors``), that the layer retries: each such retry bills
        the request again (aviary's ToolSelector raising MalformedMessageError)."""
        errors = reach.spec.answer_errors
        policy = layer.policy
        if not errors or not policy.retries_exceptions or (policy.predicate and policy.predicate_bound is None):
            return []
        names = {ref.name for ref in [*policy.retry_on, *(policy.predicate_bound or ())] if ref.name}
        if policy.retry_all or names & BROADEST:
            return list(errors)
        return [error for error in errors if error in names]

    def retries_answer_errors_only(self, layer: Layer, reaches: list[Reach]) -> bool:
        """Every class the layer retries is one its billable calls raise on a reply they cannot
        use: waiting between attempts mends nothing."""
        policy = layer.policy
        if policy.retry_all or policy.predicate or not policy.retry_on:
            return False
        errors = {error for reach in reaches for error in reach.spec.answer_errors} | self.catalog.answer_errors
        return all(self.catalog.canonical_exception(ref.name) in errors for ref in policy.retry_on)

    def retried_reaches(self, layer: Layer) -> list[Reach]:
        """The reaches whose billable call can fail with an error the layer retries: a layer
        retrying only classes the call's SDK never raises (requests' ``HTTPError`` around an
        OpenAI client) re-runs nothing of that call when it fails."""
        return [reach for reach in self.reaches(layer) if not self._retries_none_of(layer, reach)]

    def _retries_none_of(self, layer: Layer, reach: Reach) -> bool:
        """Every class the layer retries is known, and known not to come from the reach's SDK nor
        from anything else the layer's function calls (a builtins class may come from anywhere)."""
        libraries = foreign_libraries(layer, reach)
        if libraries is None or any(library.library == "builtins" for library in libraries):
            return False
        roots = {module.partition(".")[0] for library in libraries for module in (library.module, *library.aliases)}
        billable = {id(found.call) for found in self.reaches(layer)}
        return not may_call(layer.function, roots, billable, set(), depth=3)

    def deterministic_errors_reached(self, layer: Layer) -> list[str]:
        """The deterministic errors of the SDKs the layer reaches and of the DB libraries the
        module uses, plus the user's ``non-retryable`` list, in catalog order. A call billable by
        its shape alone names no SDK: its errors count only when the modules import that SDK."""
        names: list[str] = []
        imported = set(self.model.imported_modules)
        for reach in self.reaches(layer):
            imported |= reach.function.scope.model.imported_modules
        roots = {module.partition(".")[0] for module in imported}
        libraries = []
        for reach in self.reaches(layer):
            if reach.chain[-1].via == SHAPE:
                library = self.catalog.library_for_provider(reach.spec.provider)
                if library is not None and library.module.partition(".")[0] in roots and library not in libraries:
                    libraries.append(library)
                continue
            # A wrapper's calls (instructor's) raise the errors of the SDK client under them.
            for provider in (reach.spec.provider, reach.client.spec.provider if reach.client else None):
                library = self.catalog.library_for_provider(provider) if provider is not None else None
                if library is not None and library not in libraries:
                    libraries.append(library)
        libraries += self.catalog.libraries_detected_by(imported)
        for library in libraries:
            if library is None:
                continue
            for name in library.qualified(library.deterministic):
                if name not in names:
                    names.append(name)
        for name in self.settings.non_retryable:
            if name not in names:
                names.append(name)
        return names


def make_fix(message: str, edits: list[Edit] | None, unsafe: bool = False) -> Fix | None:
    if not edits:
        return None
    return Fix(Applicability.UNSAFE if unsafe else Applicability.SAFE, message, tuple(edits))
