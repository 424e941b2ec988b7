"""Data sets of the course: generators (deterministic from a seed) and loaders of user files."""
