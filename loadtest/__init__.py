"""The load and fault test: readers poll live streams while editors publish (make loadtest)."""
