"""The app's widgets, one public widget per module."""
