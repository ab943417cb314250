"""The Prism mock server of `openapi.yaml`: start, wait until ready, stop (see `mock.prism`)."""
