"""Browser journeys: the app served from a thread, driven in the system Chromium."""
