"""Fine-tuning the model on a labeller's trusted fronts (issue 22); PyTorch only in here, and
only when it runs (``runner.fine_tune`` says what to install without it)."""
