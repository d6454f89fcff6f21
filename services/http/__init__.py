"""HTTP: the Flask app, one Blueprint per resource, RFC 9457 problems, metrics."""
