"""Which argument fields count in a run's identity (:mod:`bimotion.training.identity`): not those
that do not change the trained model (:data:`HARMLESS`), and never a secret (:func:`is_secret`).

Differences that are ignored (:data:`HARMLESS`): where outputs go and how they are logged, saved
or published (``output_dir``, ``logging_*``, ``report_to``, ``disable_tqdm``, ``run_name``,
``save_*``, ``push_to_hub``, ``hub_*``), the test sets scored after training (``test_configs``),
the evaluation batch size, data-loading workers, memory and device settings (``use_cpu``,
``dataloader_*``, ``gradient_checkpointing``, ``attn_implementation``), and where datasets and
models are cached; also where a stored identity holds one (an older bimotion, in which it was not yet
harmless, wrote it): :func:`compared` decides for both sides.
"""

from __future__ import annotations

HARMLESS = frozenset(
    {
        # where outputs go, how they are logged, saved and published
        "output_dir",
        "logging_dir",
        "logging_strategy",
        "logging_steps",
        "logging_first_step",
        "logging_nan_inf_filter",
        "log_on_each_node",
        "log_level",
        "log_level_replica",
        "disable_tqdm",
        "report_to",
        "run_name",
        "project",
        "trackio_space_id",
        "trackio_bucket_id",
        "trackio_static_space_id",
        "include_num_input_tokens_seen",
        "skip_memory_metrics",
        "save_strategy",
        "save_steps",
        "save_total_limit",
        "save_on_each_node",
        "save_only_model",
        "enable_jit_checkpoint",
        "push_to_hub",
        "push_dry_run",
        "hub_token",
        "hub_private_repo",
        "hub_model_id",
        "hub_strategy",
        "hub_always_push",
        "hub_revision",
        # how a run is started or resumed
        "resume",
        "no_resume",
        "resume_from_checkpoint",
        "overwrite_output_dir",
        "ignore_data_skip",
        "do_train",
        "do_eval",
        "do_predict",
        "local_rank",
        "debug",
        # what is scored after training, and how evaluation batches are formed
        "test_configs",
        "per_device_eval_batch_size",
        "eval_accumulation_steps",
        "eval_do_concat_batches",
        "eval_use_gather_object",
        "include_for_metrics",
        "batch_eval_metrics",
        # memory, speed and devices (the same arithmetic)
        "use_cpu",
        "attn_implementation",
        "gradient_checkpointing",
        "gradient_checkpointing_kwargs",
        "activation_checkpointing",
        "activation_checkpointing_kwargs",
        "torch_empty_cache_steps",
        "dataloader_num_workers",
        "dataloader_pin_memory",
        "dataloader_persistent_workers",
        "dataloader_prefetch_factor",
        "dataloader_multiprocessing_context",
        "dataloader_in_order",
        "ddp_timeout",
        "ddp_backend",
        "ddp_bucket_cap_mb",
        "ddp_broadcast_buffers",
        "ddp_static_graph",
        "ddp_find_unused_parameters",
        # caches and locations, replaced by content digests
        "model_cache_dir",
        "dataset_cache_dir",
        "model_name_or_path",
        "bimotion",
        "yuemotion",
    }
)


def compared(name: str) -> bool:
    """Whether the argument field ``name`` counts in a run's identity: not :data:`HARMLESS`, and never a
    secret (``token``, ``hub_token``: a name ending so; ``average_tokens_across_devices``, how the loss is
    averaged, counts)."""
    return name not in HARMLESS and not is_secret(name)


def is_secret(name: str) -> bool:
    """Whether the argument (or flag, without its leading dashes) ``name`` holds a secret: ``token``, ``*_token``
    (``hub-token`` too: transformers' parser takes a flag's dashed spelling)."""
    name = name.replace("-", "_")
    return name == "token" or name.endswith("_token")
