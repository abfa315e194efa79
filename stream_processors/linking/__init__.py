"""Author linking: which researcher wrote this author line?

Pure functions and small dataclasses, no I/O and no clock, so the faust agent, the evaluation
and the tests run the same code. `linker.link_mention` is the entry point; `scorer` holds the
weights and hard rules; `evidence` the features; `names` graded name compatibility.
"""
