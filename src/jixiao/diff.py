"""Field-by-field differences between two extractions of one table (the model's and the rules')."""

from __future__ import annotations

from .models import TableData


def diff_tables(rules: TableData, model: TableData) -> list[tuple[str, str, str]]:
    """Every contract field where two extractions of one table differ: (path, model's, rules')."""
    a, b = model.model_dump(mode="json"), rules.model_dump(mode="json")
    out: list[tuple[str, str, str]] = []

    def walk(x, y, path: str) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for k in dict.fromkeys(list(x) + list(y)):
                walk(x.get(k), y.get(k), f"{path}.{k}" if path else k)
        elif isinstance(x, list) and isinstance(y, list):
            for i in range(max(len(x), len(y))):
                walk(x[i] if i < len(x) else None, y[i] if i < len(y) else None, f"{path}[{i}]")
        elif x != y and not (isinstance(x, (int, float)) and isinstance(y, (int, float)) and abs(x - y) < 1e-9):
            out.append((path, "空" if x is None else str(x), "空" if y is None else str(y)))

    walk(a, b, "")
    return out
