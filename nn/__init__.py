"""nn: neurons, layers and MLPs built on autograd_tiny's public API."""

__all__: list[str] = []
