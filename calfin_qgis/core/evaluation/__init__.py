"""Scoring detected fronts against references, and the evaluation report."""
