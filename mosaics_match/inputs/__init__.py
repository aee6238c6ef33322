"""Hostile input made safe: batch uploads and ZIPs, job-posting files, the demo content in data/."""
