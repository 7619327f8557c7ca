"""Reading one YAML file strictly: syntax errors and repeated keys come with line and column."""

from __future__ import annotations

from typing import Any

import yaml

from bot.content.errors import ContentProblem


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice (PyYAML would keep the last silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, str | int) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        if isinstance(key, str | int):
            seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_yaml(data: bytes, shown_as: str) -> tuple[Any, ContentProblem | None]:
    """The parsed document, or a problem pointing at the line and column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, ContentProblem(shown_as, reason=f"is not UTF-8 text ({exc.reason})")
    try:
        return yaml.load(text, Loader=_StrictLoader), None  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "not valid YAML"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        return None, ContentProblem(
            shown_as, reason=f"YAML syntax error: {detail}", line=line, column=column
        )
    except yaml.YAMLError as exc:
        return None, ContentProblem(shown_as, reason=f"YAML syntax error: {exc}")
