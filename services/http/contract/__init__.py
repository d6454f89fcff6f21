"""The HTTP API's contract: what each operation takes and answers, and its OpenAPI document."""
