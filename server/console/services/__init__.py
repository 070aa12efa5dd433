"""The console's own services: what its pages show and do, on a database session, never seeing a request."""
