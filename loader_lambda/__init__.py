"""The hourly loader: land each hour's raw objects in ``raw.raw_events`` exactly once, and lose nothing."""
