"""Terminus position and change over time from a dated fronts layer."""
