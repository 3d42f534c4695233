"""The rules extractor: the offline default backend, and the second opinion for the model.

It reads one chunk (the rows of one table) section by section -- head, funds, goals, indicators
-- with readers that know labels only through the vocabulary (vocabulary.py, data) and cells only
through the roles they play (sections.py).  A new spelling is a vocabulary entry, not a branch.
"""

from .parser import Result, extract
from .segment import split_goals, split_name_value

__all__ = ["Result", "extract", "split_goals", "split_name_value"]
