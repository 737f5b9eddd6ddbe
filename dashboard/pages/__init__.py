"""One Shiny module per dashboard page: ``page_ui(id)`` and ``page_server(id, filters=...)``."""
