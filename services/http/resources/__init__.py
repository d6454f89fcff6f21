"""One flask-smorest Blueprint per resource of API.md; each endpoint a few lines."""
