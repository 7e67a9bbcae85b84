"""Plan YAML to plain data, strictly: a repeated key or an impossible date is a problem, not a silent choice."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that collects duplicate mapping keys (YAML's 'last one wins' hides typos)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[str] = []

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for number, (key_node, _) in enumerate(node.value):
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` then an override is how anchors are meant to be used
            try:
                key = self.construct_object(key_node, deep=True)
                earlier = first.setdefault(key, number)
            except TypeError:  # an unhashable key: PyYAML's own error follows
                continue
            if earlier != number:
                line, was = key_node.start_mark.line + 1, node.value[earlier][0].start_mark.line + 1
                self.problems.append(f"line {line}: duplicate key {key!r} (first at line {was})")
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:  # 2022-13-01 or 0000-01-01: leave the text for the field check to name
            return self.construct_scalar(node)


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def load_yaml(text: str) -> tuple[Any, list[str]]:
    """(data, problems): problems are lines 'line N: …'; YAMLError for text that is not YAML."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data(), loader.problems
    except RecursionError:  # PyYAML's composer recurses: thousands of nested brackets
        raise yaml.YAMLError("nested too deeply") from None
    finally:
        loader.dispose()
