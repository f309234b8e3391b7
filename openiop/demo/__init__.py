"""Synthetic demo and benchmark data. Every name is invented and looks it."""
