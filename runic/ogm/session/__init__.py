"""Sessions: the unit of work and the shells that move its queries to a driver."""
