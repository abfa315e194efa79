"""Stream processors: the faust app and its agents, one module per agent."""
