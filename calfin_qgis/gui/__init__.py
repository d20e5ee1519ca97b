"""Dock widgets of the plugin: the review dock where labellers check and fix fronts."""
