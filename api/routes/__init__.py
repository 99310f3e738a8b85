"""HTTP routes, one module per resource; each turns a request into one service call."""
