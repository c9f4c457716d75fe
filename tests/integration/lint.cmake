# `pechat lint` on what pechatd signed (exit 0) and on bad certificates (exit 1, 2): docs/LINT.md.
pechat_integration_test(lint)
