"""The files a training run writes to its ``output_dir`` besides the model and its checkpoints:
shared by :mod:`.run` (which writes them) and :mod:`.identity` (which checks and discards them)."""

SCORES = "scores.json"  # validation and test scores, the run's summary
MANIFEST = "train_manifest.txt"  # the sorted clip ids the model was trained on
IDENTITY_FILE = "run_identity.json"  # what the run is, checked when it resumes
CONFUSION = "confusion_test.png"  # per-group confusion counts on the test split (numbers: SCORES' "confusion")
PROBE_CONFIG = "probe.json"  # a probe's (bimotion.probe) head settings and trained labels, beside probe.pt
