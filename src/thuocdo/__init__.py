"""Thước Đo: measure, act on and publish the quality of Vietnamese public administrative services."""

__version__ = "0.1.0"
