"""The service around the domain: intake, store, reads, evidence, HTTP, outbound.

The composition root (`services.bootstrap`), the settings (`services.config`) and the command
line (`services.cli`) sit here; each capability is a package, the WSGI entry is
`services.http.wsgi`.
"""
