"""Checks of the dataset arguments the recipes share (before any audio is read): a local prepared
folder or a plausible Hub dataset id per benchmark; config names that exist, counting the user
groups a local folder's prepare.json records (:func:`register_prepared`); and, after the other
arguments, that every group they name has rows there (:func:`check_present`).  Re-exported by
:mod:`.args`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from bimotion.hub import is_hub_id
from bimotion.mixture import parse_mixture

from .parsing import ArgumentError, one_line
from .processes import note as main_note


def split_list(values: list[str] | None) -> list[str] | None:
    """``["eng_eld,zho_eld", "eng_adu[esd,crema_d]"]`` -> ``["eng_eld", "zho_eld", "eng_adu[esd,crema_d]"]``
    (commas inside brackets belong to the config)."""
    if values is None:
        return None
    return [v.strip() for value in values for v in re.split(r",(?![^\[]*\])", value) if v.strip()]


def check_dataset(value: str | None, flag: str, benchmark: str, *, cache_dir: str | None = None) -> None:
    """A folder written by ``bimotion prepare`` for ``benchmark`` (has prepare.json) or a plausible Hub dataset id."""
    if value is None:
        return
    path = Path(value).expanduser()
    info = path / "prepare.json"
    if path.is_dir():
        if not info.is_file():
            from bimotion.data.held import card_configs

            if card_configs(path) is not None:  # a dataset folder in the Hub's layout (configs in README.md)
                return
            from bimotion.data.layout import prepared_near

            raise ArgumentError(
                f"{flag} {value} is not a prepared dataset folder (no prepare.json){prepared_near(path)}: make one "
                "with `bimotion prepare`"
            )
        from bimotion.data.held import prepared_as

        try:  # the one reader of prepare.json: one not prepare's record, or of the other benchmark, is refused
            prepared_as(path, benchmark, named=f"{flag} {value}")
        except ValueError as err:
            said = one_line(err)
            raise ArgumentError(said if said.startswith(f"{flag} {value} ") else f"{flag} {value}: {said}") from err
    elif not is_hub_id(value):
        raise ArgumentError(f"{flag} {value}: no such folder, and not a Hub dataset id (OWNER/NAME)")
    else:
        check_hub_id(value, flag, "dataset", cache_dir=cache_dir, no_folder=True)  # a mistyped folder reads as an id


def check_hub_id(
    value: str,
    flag: str,
    repo_type: str,
    *,
    cache_dir: str | None = None,
    revision: str | None = None,
    no_folder: bool = False,
) -> None:
    """When the Hub cannot be reached (:func:`bimotion.hub.hub_unreachable_for`: where nothing says so
    yet, it is asked once for the file looked for here, so that a Hub giving no answer is known in a
    fresh process), a Hub id must be in a local cache: an uncached one fails here, in one line, rather
    than after the data is read (a model) or ~30 s of retries (a dataset).  A model is looked for as
    ``from_pretrained(value, cache_dir=, revision=)`` would; a dataset in the Hub's cache and in
    ``datasets``' own (its ``HF_DATASETS_CACHE``, or ``cache_dir``).  Nothing is checked when the Hub
    answers.  ``no_folder``: ``value`` was looked for as a folder here too, and the error says it is none."""
    from bimotion.hub import hub_unreachable_for, hub_unusable

    filename = "config.json" if repo_type == "model" else "README.md"  # a model's, a dataset's card
    why = hub_unreachable_for(value, filename, repo_type)
    if why is None:
        return
    from huggingface_hub import try_to_load_from_cache

    if repo_type == "model":
        found = isinstance(try_to_load_from_cache(value, filename, cache_dir=cache_dir, revision=revision), str)
    else:  # (a path when cached; None or a "known missing" marker when not)
        found = isinstance(try_to_load_from_cache(value, filename, repo_type="dataset"), str)
        found = found or _in_datasets_cache(value, cache_dir)
    if found:
        return
    extra = " --repo-type dataset" if repo_type == "dataset" else ""
    folder = "no such folder here, and " if no_folder else ""
    raise ArgumentError(
        f"{flag} {value}: {folder}{hub_unusable(why)} and this {repo_type} is not in "
        f"the local cache; download it where there is network (hf download {value}{extra} --local-dir DIR) "
        "and pass DIR"
    )


def _in_datasets_cache(value: str, cache_dir: str | None) -> bool:
    """Whether ``datasets`` has built Hub dataset ``value`` in its cache (``OWNER___NAME/``, as
    ``load_dataset`` finds it offline)."""
    import datasets.config
    from datasets.naming import camelcase_to_snakecase

    owner, _, name = value.rpartition("/")
    folder = f"{owner}___{camelcase_to_snakecase(name)}" if owner else camelcase_to_snakecase(name)
    roots = [Path(cache_dir).expanduser()] if cache_dir else []
    roots.append(Path(datasets.config.HF_DATASETS_CACHE))
    return any((root / folder).is_dir() for root in roots)


def check_datasets(
    datasets: dict[str, str | None], *, required: bool = True, local_only: bool = False, cache_dir: str | None = None
) -> None:
    """``{"bimotion": ..., "yuemotion": ...}``: each given one valid (``local_only``: a local prepared
    folder, as the probe's feature cache needs; a Hub id is refused before the Hub is asked about it),
    and (``required``) at least one given."""
    from bimotion.data.layout import is_prepared

    for name, value in datasets.items():
        if local_only and is_hub_id(value):  # refused before check_dataset asks the Hub about it
            raise ArgumentError(
                f"--{name} {value}: probes read local prepared folders only (their features are cached per folder), "
                f"not Hub ids: download it first, e.g. hf download {value} --repo-type dataset --local-dir DIR"
            )
        check_dataset(value, f"--{name}", name, cache_dir=cache_dir)
        if local_only and value and not is_prepared(value):  # a folder (no Hub id is left): one of no record
            from bimotion.data.held import unrecorded

            so = "and probes read only local prepared folders (their features are cached per folder, by its prepare.json)"
            raise ArgumentError(unrecorded(value, so, named=f"--{name} {value}"))
    if required and not any(datasets.values()):
        raise ArgumentError("give a prepared dataset: --bimotion DIR_OR_HUB_ID and/or --yuemotion DIR_OR_HUB_ID")


def register_prepared(datasets: dict[str, str | None]) -> None:
    """Make the benchmark each local prepared folder of ``datasets`` was prepared as (with the user
    corpora its prepare.json records) the one its name resolves to in this process, and the
    benchmarks given the ones a name of several (``all``) means (:func:`bimotion.registry.given`)."""
    from bimotion.data.held import prepared_as
    from bimotion.data.layout import is_prepared
    from bimotion.registry import given

    given(name for name, value in datasets.items() if value)
    for name, value in datasets.items():
        if value and is_prepared(value):
            prepared_as(value, name, named=f"--{name} {value}")


def check_configs(configs: Iterable[str] | None, flag: str, datasets: dict[str, str | None]) -> None:
    """Config names (``eng_eld``, ``eng``, ``esd``, ``eng_adu[esd]``, ``yuemotion:all``) that exist, from given
    datasets; a local prepared folder's user groups (``ind_eld``) count, as :func:`register_prepared` makes them."""
    register_prepared(datasets)  # also when no configs are named: the defaults are "every group", users' too
    if configs is None:
        return
    configs = split_list(list(configs))
    try:
        found = parse_mixture(configs)
    except (KeyError, ValueError) as err:
        raise ArgumentError(f"{flag}: {one_line(err)}") from err
    for bench in found.benchmarks:
        if not datasets.get(bench):
            raise ArgumentError(
                f"{flag} {' '.join(configs)} needs the prepared {bench} dataset: pass --{bench} DIR_OR_HUB_ID"
            )


def check_present(
    flags: dict[str, Iterable[str] | None], datasets: dict[str, str | None], *, every_group: str | None
) -> None:
    """Every config that ``{flag: configs}`` name has rows in the local prepared folders (their
    prepare.json; a Hub id is checked when it loads).  Run after the checks of the arguments
    themselves: a bad number is named before what the data lacks.  A config is read from what was
    prepared of it: a group from the corpora that were (one ``note:`` line, main process, names the
    others), a config of several groups (``zho``, ``all``, ``esd``) from the groups that have rows
    (one ``note:`` line names those that have none); one with nothing is an error naming the corpora
    to prepare.  scores.json's ``train_groups`` and ``train_corpora`` record what was used.
    ``every_group``: the flag of ``flags`` whose absence means every group the datasets hold (training's
    and the probe's ``--test_configs``, inference's ``--configs``:
    :func:`bimotion.training.data.default_test_configs`): that flag not given, it is checked that some
    group of each dataset is known (:func:`check_groups_known`); None for a caller none of whose flags
    means that.  Required, with no default: a caller that left it out went without that check, unsaid."""
    if every_group is not None and every_group not in flags:
        raise ValueError(f"check_present: every_group {every_group!r} is none of the flags {', '.join(flags)}")
    notes: dict[str, list[tuple[str, str]]] = {}  # what is said -> the (flag, config) pairs that read it
    for flag, configs in flags.items():
        if configs is None and flag == every_group:
            check_groups_known(flag, datasets)
        for config in split_list(list(configs)) if configs is not None else []:
            for said in _check_present(config, parse_mixture([config]), flag, datasets):
                notes.setdefault(said, []).append((flag, config))
    # said once, naming every flag and config that reads it (a group of a mixture and of a test config, of
    # several figures: one note, not one per config)
    main_note(*(f"note: {named[0][0]} {named[0][1]}{_also(named)}: {said}" for said, named in notes.items()))


def _also(named: list[tuple[str, str]]) -> str:
    """`` (and --test_configs, --panels eng_adu+eng_eld)``: the flags after the first of ``named`` ((flag,
    config) pairs), each by its flag alone where it names the first one's config."""
    first = named[0][1]
    others = dict.fromkeys(flag if config == first else f"{flag} {config}" for flag, config in named[1:])
    others.pop(named[0][0], None)  # the first flag again (a config it names twice)
    return f" (and {', '.join(others)})" if others else ""


def check_groups_known(flag: str, datasets: dict[str, str | None]) -> None:
    """``flag`` not given scores every group each of ``datasets`` holds: a dataset of which no group is
    known (:func:`bimotion.data.held.groups_unknown`: a card whose configs are of no group, such as the
    ``default`` that ``datasets.push_to_hub`` writes) is an ArgumentError naming it and ``flag``, before
    any work, not a traceback once the run is under way nor a benchmark scored on nothing."""
    from bimotion.data.held import groups_unknown

    for name, path in datasets.items():
        if path and (
            why := groups_unknown(path, name, f"name the groups to score with {flag}", named=f"--{name} {path}")
        ):
            raise ArgumentError(why)


def _check_present(config: str, found, flag: str, datasets: dict[str, str | None]) -> list[str]:
    """What :func:`check_present` notes of ``config`` (given as ``flag``: its errors name it), each without the
    ``note: FLAG CONFIG:`` it is said with; raises :class:`ArgumentError` where nothing of it was prepared."""
    from bimotion.data.held import held_pairs, no_rows

    notes, absent = [], {}  # absent: {(benchmark, path, groups held): [(group, its corpora)]}
    for bench in found.benchmarks:
        path = datasets.get(bench)
        have = held_pairs(path, bench, found.shards)
        if have is None:  # no record and no card: checked as it loads
            continue
        groups_held = tuple(sorted({g for g, _ in have}))
        for group in dict.fromkeys(s.group for s in found.shards if s.benchmark == bench):
            wanted = sorted({s.corpus for s in found.shards if (s.benchmark, s.group) == (bench, group)})
            held = [c for c in wanted if (group, c) in have]
            if held and len(held) < len(wanted):
                notes.append(
                    f"{group} is read from {', '.join(held)} only (the prepared {bench} "
                    f"dataset at {path} lacks {', '.join(c for c in wanted if c not in held)})"
                )
            if not held:
                absent.setdefault((bench, path, groups_held), []).append((group, wanted))
    if not absent:
        return notes
    missing = {group for lacking in absent.values() for group, _ in lacking}
    read = [group for group in found.groups if group not in missing]
    if read:  # a config of several groups (zho, all): read from those that have rows
        lacking = "; ".join(
            no_rows(path, bench, ", ".join(g for g, _ in groups)) for (bench, path, _), groups in absent.items()
        )
        return [*notes, f"{lacking}: {config} is read from {', '.join(read)} only"]
    (bench, path, groups_held), lacking = next(iter(absent.items()))
    corpora = ", ".join(sorted({c for _, wanted in lacking for c in wanted}))
    if len(found.groups) > 1:
        fix = f"prepare their corpora ({corpora}), or name a config of the groups it holds"
        of, detail = f"any group of {config}", ", ".join(found.groups)
        raise ArgumentError(f"{flag}: {no_rows(path, bench, of, detail=detail, holds=groups_held, fix=fix)}")
    group = lacking[0][0]
    leave = (  # augment's groups come from its mixture: it is narrowed, not edited
        "choose a --mixture without it (baseline; --languages and --age_groups narrow the others), or, for every "
        f"group it holds, `recipes/train.py --train_configs {bench}:all`"
        if flag == "--mixture"
        else f"leave {group} out"
    )
    fix = f"prepare it with the corpora of {group} ({corpora}), or {leave}"
    raise ArgumentError(f"{flag}: {no_rows(path, bench, group, holds=groups_held, fix=fix)}")


def check_split_rows(flags: Iterable[tuple[str, str, Iterable[str] | None]], datasets: dict[str, str | None]) -> None:
    """Every group that ``(flag, split, configs)`` name has ``split`` rows in the local prepared
    folders (a group of a few speakers, split by whole speakers, can have train and test rows but
    no validation rows): one ArgumentError naming the group, the split and what to do, before any
    data is read.  Run after :func:`check_present`, which names groups with no rows at all."""
    from bimotion.data.held import groups_without, held_shards

    for flag, split, configs in flags:
        for config in split_list(list(configs)) if configs is not None else []:
            shards = held_shards(datasets.get, parse_mixture([config]).shards)  # a union's groups with rows
            for group in groups_without(datasets.get, shards, split):
                bench = next(s.benchmark for s in shards if s.group == group)
                instead = (
                    "pass --validation_configs naming groups that have validation rows, "
                    if split == "validation" and flag != "--validation_configs"
                    else ""
                )
                raise ArgumentError(
                    f"{flag} {config}: {group} has no {split} rows in the prepared {bench} dataset at "
                    f"{datasets[bench]} (a group of few speakers, split by whole speakers, cannot fill every "
                    f"split): {instead}leave {group} out, or prepare it with more speakers or a split column"
                )
