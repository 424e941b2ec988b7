"""Plausible wrong answers for notebook 12_hyperparameter_sweeps: answer cell id -> replacement."""

MISTAKES = {
    "fraction_below": (
        "def fraction_below(x, low, high, log=False):\n"
        "    return float(min(max((x - low) / (high - low), 0.0), 1.0))  # the log scale is ignored\n"
    ),
    "search_space": (
        "def search_space(trial):\n"
        "    return {\n"
        "        'depth': trial.suggest_categorical('depth', [1, 2, 3, 5]),\n"
        "        'width': trial.suggest_categorical('width', [5, 10, 20, 30]),\n"
        "        'lr': trial.suggest_float('lr', 0.001, 0.1),  # log=True forgotten\n"
        "        'batch_size': trial.suggest_categorical('batch_size', [32, 64, 128]),\n"
        "    }\n"
    ),
    "report_epoch": (
        "def report_epoch(trial, epoch, history):\n"
        "    for name in METRICS:\n"
        "        trial.set_user_attr(name, list(getattr(history, name)))\n"
        "    if trial.should_prune():  # asked before the new value is reported\n"
        "        raise optuna.TrialPruned()\n"
        "    trial.report(history.dev_loss[-1], step=epoch)\n"
    ),
}
