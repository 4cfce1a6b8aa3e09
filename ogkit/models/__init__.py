"""Content-addressed model store and the runtimes that execute stored models."""
