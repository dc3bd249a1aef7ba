"""Walks over a directed graph given as a mapping from each node to its successors.

A helper for the two layouts (the swimlane drawing and the BPMN diagram), which order the steps of
a blueprint the same way: it knows no blueprint, only nodes and successors.
"""
from __future__ import annotations

__all__ = ["depth_first"]


def depth_first(successors: dict, roots) -> tuple[set, list]:
    """One depth-first walk from `roots`, then from every node not reached yet.

    Returns the edges that close a loop (to a node still on the walk's path) and the nodes in
    post-order; reversed, the post-order is a topological order once those edges are left out.

    Examples
    --------
    >>> back, post = depth_first({"a": ["b"], "b": ["c", "a"], "c": []}, ["a"])
    >>> back, post
    ({('b', 'a')}, ['c', 'b', 'a'])
    """
    state: dict = {}  # 1: on the walk's path, 2: done
    back: set = set()
    post: list = []
    for root in list(roots) + [n for n in successors if n not in roots]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                post.append(node)
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors[child])))
    return back, post
