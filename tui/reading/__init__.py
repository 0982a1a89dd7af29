"""What the reader decides, apart from Textual: selections, finding, quoting.

The reader screen (tui/screens/reader.py) and its post view (tui/widgets/post_view.py)
ask these modules and paint the answers; they are tested without an app.
"""
