"""The part that runs things: options, plan, interpreters, environments, builds, workers, sampling."""
