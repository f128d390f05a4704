"""Lecture requests (点单): branches order lectures, dispatchers send lecturers, lecturers take them."""
