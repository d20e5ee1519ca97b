"""Screening a glacier's dated fronts: named rules, each with its source, mark the fronts
that are probably wrong (field ``screen``) so that reviews and time series start from them."""
