"""Evaluation and model building on the real labelled data in ../shared/data."""
