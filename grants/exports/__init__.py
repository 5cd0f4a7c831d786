"""Exports built by the worker: the job, its task, «My exports» and the permission-checked download."""
