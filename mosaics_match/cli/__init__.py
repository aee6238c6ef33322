"""The administrator's command line (`python -m mosaics_match ...`)."""
