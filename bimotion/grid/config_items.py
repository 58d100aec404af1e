"""How to write an item of a grid config's lists of specs (``SPEC_KEYS`` of :mod:`bimotion.grid.config`), key by
key: ``mixtures:`` and ``extra_tests:`` take mixture specs (a config name, or several joined by +); ``groups:`` and
``augment_only:`` one group an item, as docs/recipes-grid.md describes them (:func:`bimotion.grid.plan.target_mixtures`
reads each as one group).  Light: the config's checks read it as it is loaded."""

from __future__ import annotations

_SPECS = ("a mixture spec", "a config name, or several joined by +, e.g.")
_GROUPS = ("a group", "one group's name (with its corpora: eng_eld[crema_d]), e.g.")
# key: (what an item is, how to write one, a list to write; YAML)
ITEMS = {
    "mixtures": (*_SPECS, '[yue_adu, "yuemotion:all+eng_adu[esd]"]'),
    "extra_tests": (*_SPECS, '[yue_adu, "yuemotion:all+eng_adu[esd]"]'),
    "groups": (*_GROUPS, "[yue_adu, eng_eld]"),
    "augment_only": (*_GROUPS, "[eng_eld]"),
}


def item_fix(key: str, in_python: bool) -> str:
    """What an item of ``key`` is and how to write one (``not a group: write each as ...``): a list to write in a
    config file (YAML), or, ``in_python`` (a config built in Python), the same list in Python's words."""
    what, how, example = ITEMS[key]
    if in_python:
        import yaml

        return f"not {what}: give each as a string, e.g. {key}={yaml.safe_load(example)!r}"
    return f"not {what}: write each as {how} {key}: {example}"


def several_groups(key: str, index: int, spec: str, groups, items: list[str]) -> str:
    """Why item ``index`` of ``key`` (``groups`` or ``augment_only``), ``spec``, is none: it is ``groups``, and
    ``items`` are what to list instead, one group each."""
    return (
        f"{key}: item {index}, {spec!r}, is {len(items)} groups ({', '.join(groups)}), and each item of {key}: is one "
        f"group: list each group as its own item: {', '.join(items)}"
    )


def several_groups_given(flag: str, given: list[str], index: int, groups, items: list[str]) -> str:
    """:func:`several_groups` of a command's flag (advise's ``--groups``) whose values are ``given``: the flag and
    the value as typed (quoted as a shell needs), and the flag with each group its own value."""
    import shlex

    values = [*given[: index - 1], *items, *given[index:]]
    return (
        f"{flag} {shlex.quote(given[index - 1])} is {len(items)} groups ({', '.join(groups)}), and each value of "
        f"{flag} is one group: give each as its own value: {flag} {' '.join(map(shlex.quote, values))}"
    )
