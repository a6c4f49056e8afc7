"""Shared set-up for cnnkit's unit tests."""

import matplotlib

matplotlib.use("Agg")  # plotting helpers are tested without a display
