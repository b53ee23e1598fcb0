"""Retry layers: every place that runs code again after it fails, and its policy.

- ``layer.py``: what is found (``Layer``, its ``Policy``, ``ExceptionRef``);
- ``finder.py``: ``LayerFinder`` visits a module and hands each place to a reader;
- ``registry.py``: which reader reads each catalog form; ``readers/``: one module per form;
- ``dialects/``: how a layer's arguments read as a policy, and how fixes write one (tenacity
  builders, keyword arguments);
- ``surroundings.py``: options a layer takes from around it (Airflow's ``default_args``)."""

from retrylint.analysis.layers.finder import LayerFinder
from retrylint.analysis.layers.layer import ExceptionRef, Layer, Policy, keywords_of, positional, short_name

__all__ = ["ExceptionRef", "Layer", "LayerFinder", "Policy", "keywords_of", "positional", "short_name"]
