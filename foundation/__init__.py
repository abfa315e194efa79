"""The foundation every other package stands on: the project's errors, its settings and the
pipeline's generations. It imports nothing of ScholarStream's own."""
