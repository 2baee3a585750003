/* Intentionally empty: the worker links a library with link_whole; the real code comes from the system package. */
