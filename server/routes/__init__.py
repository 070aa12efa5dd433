"""HTTP routes: thin functions that parse the request, call a service, and shape the response."""
