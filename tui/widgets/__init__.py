"""The app's widgets, one public widget per module (library side re-exported here)."""

from __future__ import annotations

from tui.widgets.facet_sidebar import FacetSidebar
from tui.widgets.filter_bar import FilterBar
from tui.widgets.key_bar import KeyBar
from tui.widgets.post_list import PostList
from tui.widgets.status_line import StatusLine

__all__ = ["FacetSidebar", "FilterBar", "KeyBar", "PostList", "StatusLine"]
