"""The annotation store: model, durable TinyDB storage, anchoring and export.

This package imports neither Textual nor Rich nor ``tui``.
"""
