"""Sub-commands of `yuemotion`: `prepare` takes one source folder; `check` and `push` are bimotion's."""
