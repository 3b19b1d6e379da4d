"""No module of packages/*/src imports itself through others: the import graph has no cycle.

A cycle forces deferred imports and import-order accidents, and means no member of it can be understood,
tested or replaced alone. The graph is grimp's (import-linter's own), over the installed `training_operator`
namespace, i.e. every package's src. Imports under `if TYPE_CHECKING:` never run and are left out: they are
how an annotation names a type from a module that imports this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grimp


def strongly_connected(nodes: Iterable[str], edges: Callable[[str], Iterable[str]]) -> list[frozenset[str]]:
    """Tarjan's algorithm, iterative: every group of two or more modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges(target)))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(frozenset(group))
    return found


def import_cycles() -> list[frozenset[str]]:
    graph = grimp.build_graph("training_operator", exclude_type_checking_imports=True, cache_dir=None)
    return strongly_connected(graph.modules, graph.find_modules_directly_imported_by)


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert strongly_connected(edges, lambda node: edges[node]) == [frozenset("abc")]


def test_no_import_cycle_at_all() -> None:
    assert import_cycles() == []
